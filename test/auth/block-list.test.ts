import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { blockMember, unblockMember } from "../../src/auth/block-list";
import { grantUserId } from "../../src/auth/user-index";
import { Browser, callInternal, connectedClient, refresh, useSignInFakes } from "../support/harness";

/** A block (src/auth/block-list.ts) also stops tokens a revocation did not reach: every /internal request and refresh checks it. */

const fakes = useSignInFakes();
afterEach(() => {
  fakes.plausible.restore();
  vi.restoreAllMocks();
});

async function signedIn(sub: string, email: string) {
  fakes.issuer.user = { sub, email, email_verified: true, name: sub };
  const browser = new Browser();
  return { browser, ...(await connectedClient(browser, fakes.issuer)) };
}

describe("a blocked member", () => {
  it("cannot use a still-valid /internal token (by email, any letter case); unblocking restores it", async () => {
    const member = await signedIn("block-1", "Blocked.One@example.com");
    expect((await callInternal(member.browser, member.tokens.access_token)).status).toBe(200);
    await blockMember(env.OAUTH_KV, "blocked.one@EXAMPLE.com", [], "test");
    const refused = await callInternal(member.browser, member.tokens.access_token);
    expect(refused.status).toBe(401);
    expect(refused.headers.get("WWW-Authenticate")).toMatch(/^Bearer .*error="invalid_token"/);
    expect(((await refused.json()) as { error_description: string }).error_description).toContain("revoked your access");
    await unblockMember(env.OAUTH_KV, "blocked.one@example.com");
    expect((await callInternal(member.browser, member.tokens.access_token)).status).toBe(200);
  });

  it("cannot refresh (by subject, whatever the email now is)", async () => {
    const member = await signedIn("block-2", "blocked.two@example.com");
    await blockMember(env.OAUTH_KV, "old-address@example.com", [grantUserId("block-2")], "test");
    vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const refused = await refresh(member.browser, member.client, member.tokens.refresh_token!);
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({
      error: "invalid_grant",
      error_description: expect.stringContaining("revoked your access"),
    });
    expect((await callInternal(member.browser, member.tokens.access_token)).status).toBe(401);
  });
});
