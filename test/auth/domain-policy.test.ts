import { describe, expect, it } from "vitest";
import { parseDomains } from "../../src/config";
import { GOOGLE_ISSUER, checkSignInPolicy, type IdentityClaims } from "../../src/auth/domain-policy";

const OTHER_ISSUER = "https://idp.example.net";
const allowed = parseDomains("example.com");

function claims(overrides: Partial<IdentityClaims>): IdentityClaims {
  return { sub: "1", email: "ada@example.com", email_verified: true, ...overrides };
}

const admits = (issuer: string, overrides: Partial<IdentityClaims>, domains = allowed) =>
  checkSignInPolicy(claims(overrides), domains, issuer).allowed;

describe("ALLOWED_EMAIL_DOMAINS parsing", () => {
  it("splits on commas, drops an optional @, lower-cases and ignores blanks", () => {
    expect(parseDomains(" @Example.com, example.ORG ,,")).toEqual(["example.com", "example.org"]);
    expect(parseDomains("")).toEqual([]);
  });
});

describe("the sign-in policy for any issuer", () => {
  it("admits a verified email in an allowed domain", () => {
    expect(checkSignInPolicy(claims({}), allowed, OTHER_ISSUER)).toEqual({ allowed: true, email: "ada@example.com" });
  });

  it("compares the domain case-insensitively", () => {
    expect(admits(OTHER_ISSUER, { email: "ADA@EXAMPLE.COM" })).toBe(true);
    expect(admits(OTHER_ISSUER, {}, parseDomains("@EXAMPLE.com"))).toBe(true);
  });

  it("compares the domain exactly: no suffix or prefix look-alikes", () => {
    expect(admits(OTHER_ISSUER, { email: "x@evilexample.com" })).toBe(false);
    expect(admits(OTHER_ISSUER, { email: "x@example.com.evil.net" })).toBe(false);
    expect(admits(OTHER_ISSUER, { email: "x@sub.example.com" })).toBe(false);
    expect(admits(OTHER_ISSUER, { email: "example.com@evil.net" })).toBe(false);
  });

  it("refuses a foreign email", () => {
    expect(admits(OTHER_ISSUER, { email: "eve@evil.net" })).toBe(false);
  });

  it("refuses an unverified email, including a verification flag that is not the boolean true", () => {
    expect(admits(OTHER_ISSUER, { email_verified: false })).toBe(false);
    expect(admits(OTHER_ISSUER, { email_verified: "true" })).toBe(false);
    expect(admits(OTHER_ISSUER, { email_verified: undefined })).toBe(false);
  });

  it("refuses a missing, empty or malformed email", () => {
    expect(admits(OTHER_ISSUER, { email: undefined })).toBe(false);
    expect(admits(OTHER_ISSUER, { email: "" })).toBe(false);
    expect(admits(OTHER_ISSUER, { email: "@example.com" })).toBe(false);
    expect(admits(OTHER_ISSUER, { email: "ada@" })).toBe(false);
    expect(admits(OTHER_ISSUER, { email: ["ada@example.com"] })).toBe(false);
  });

  it("does not require hd from issuers other than Google", () => {
    expect(admits(OTHER_ISSUER, { hd: undefined })).toBe(true);
  });
});

describe("the sign-in policy for Google", () => {
  it("admits a Workspace account whose hd and email are allowed", () => {
    expect(admits(GOOGLE_ISSUER, { hd: "example.com" })).toBe(true);
    expect(admits(GOOGLE_ISSUER, { hd: "EXAMPLE.COM", email: "Ada@Example.com" })).toBe(true);
  });

  it("refuses a consumer account (no hd), even with an allowed email domain", () => {
    const decision = checkSignInPolicy(claims({ hd: undefined }), allowed, GOOGLE_ISSUER);
    expect(decision).toEqual({ allowed: false, reason: expect.stringMatching(/personal Google account/) });
  });

  it("refuses a foreign hd even when the email domain is allowed", () => {
    expect(admits(GOOGLE_ISSUER, { hd: "evil.net" })).toBe(false);
    expect(admits(GOOGLE_ISSUER, { hd: "evilexample.com" })).toBe(false);
  });

  it("refuses a foreign email even when hd is allowed (the original pull request's bug)", () => {
    expect(admits(GOOGLE_ISSUER, { hd: "example.com", email: "eve@evil.net" })).toBe(false);
    expect(admits(GOOGLE_ISSUER, { hd: "example.com", email: "x@example.com.evil.net" })).toBe(false);
  });

  it("refuses an unverified email with an allowed hd", () => {
    expect(admits(GOOGLE_ISSUER, { hd: "example.com", email_verified: false })).toBe(false);
  });

  it("refuses a missing email with an allowed hd", () => {
    expect(admits(GOOGLE_ISSUER, { hd: "example.com", email: undefined })).toBe(false);
  });
});
