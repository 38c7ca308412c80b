import { describe, expect, it, vi } from "vitest";
import type { FakeUser, IdTokenTampering } from "../support/oidc-issuer";
import { addressHash } from "../../src/shared/hash";
import { Browser, oauthHelpers, pkce, register, signIn, useFakeIssuer } from "../support/harness";

const fakes = useFakeIssuer();

let userCounter = 0;

/** Signs a fresh user in through the whole flow; the callback's answer and the user's grants. */
async function attemptSignIn(user: Omit<FakeUser, "sub">, tampering?: IdTokenTampering) {
  const sub = `refused-${++userCounter}`;
  fakes.issuer.user = { sub, ...user };
  fakes.issuer.nextIdToken = tampering;
  const browser = new Browser();
  const client = await register(browser);
  const { callback, code } = await signIn(browser, fakes.issuer, client, await pkce().challenge);
  const { items } = await oauthHelpers().listUserGrants(sub);
  return { callback, code, grants: items, page: await callback.text() };
}

const member = { email: "ada@example.com", email_verified: true, name: "Ada" };

async function expectDenied(attempt: Awaited<ReturnType<typeof attemptSignIn>>, because: RegExp) {
  expect(attempt.callback.status).toBe(403);
  expect(attempt.callback.headers.get("Location")).toBeNull();
  expect(attempt.code).toBeUndefined();
  expect(attempt.grants).toEqual([]);
  expect(attempt.page).toMatch(because);
}

describe("ID token verification", () => {
  it("admits a correctly signed token (control case)", async () => {
    const attempt = await attemptSignIn(member);
    expect(attempt.code).toBeTruthy();
    expect(attempt.grants).toHaveLength(1);
  });

  it("denies a bad signature", async () => {
    await expectDenied(await attemptSignIn(member, { forgeSignature: true }), /signature is invalid/);
  });

  it("denies a token for another audience", async () => {
    await expectDenied(await attemptSignIn(member, { claims: { aud: "someone-elses-client" } }), /claim &#34;aud&#34;/);
  });

  it("denies a token from another fakes.issuer", async () => {
    await expectDenied(await attemptSignIn(member, { claims: { iss: "https://evil.example" } }), /claim &#34;iss&#34;/);
  });

  it("denies an expired token", async () => {
    const past = Math.floor(Date.now() / 1000) - 3600;
    await expectDenied(await attemptSignIn(member, { claims: { iat: past - 300, exp: past } }), /expired/);
  });

  it("denies a token whose nonce belongs to another sign-in", async () => {
    await expectDenied(await attemptSignIn(member, { claims: { nonce: "another-sign-in" } }), /nonce does not match/);
  });

  it("denies a token without a nonce", async () => {
    await expectDenied(await attemptSignIn(member, { claims: { nonce: undefined } }), /nonce does not match/);
  });
});

describe("the domain policy in the sign-in flow", () => {
  it("refuses an email outside the allowed domains with a 403 page that says why, and no grant", async () => {
    await expectDenied(
      await attemptSignIn({ ...member, email: "eve@evilexample.com" }),
      /not in an allowed domain \(example\.com, example\.org\)/,
    );
  });

  it("logs a refusal with a hash of the address, never the address", async () => {
    const lines: string[] = [];
    vi.spyOn(console, "log").mockImplementation((line: string) => void lines.push(line));
    vi.spyOn(console, "warn").mockImplementation((line: string) => void lines.push(line));
    await expectDenied(await attemptSignIn({ ...member, email: "Eve.Outsider@evilexample.com" }), /not in an allowed domain/);
    await expectDenied(await attemptSignIn({ ...member, email: "unverified@example.com", email_verified: false }), /is not verified/);
    expect(lines.join("\n")).not.toMatch(/eve\.outsider|unverified@/i);
    const refusals = lines.map((line) => JSON.parse(line)).filter((line) => line.event === "authorization");
    expect(refusals).toEqual([
      {
        event: "authorization",
        decision: "refused",
        reason:
          `The email address ${await addressHash("eve.outsider@evilexample.com")} is not in an allowed ` +
          "domain (example.com, example.org).",
        user_hash: await addressHash("eve.outsider@evilexample.com"),
      },
      expect.objectContaining({ user_hash: await addressHash("unverified@example.com") }),
    ]);
  });

  it("refuses an unverified email", async () => {
    await expectDenied(await attemptSignIn({ ...member, email_verified: false }), /is not verified/);
  });

  it("escapes what the identity provider sent when it explains a refusal", async () => {
    const attempt = await attemptSignIn({ ...member, email: `"<img src=x onerror=alert(1)>"@evil.example` });
    await expectDenied(attempt, /&#60;img src=x onerror=alert\(1\)&#62;/);
    expect(attempt.page).not.toContain("<img");
  });

  it("refuses an identity without an email", async () => {
    await expectDenied(await attemptSignIn({ email_verified: true, name: "Nobody" }), /did not share an email/);
  });
});
