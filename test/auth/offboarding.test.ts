import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import revokeWorker from "../../scripts/revoke-worker";
import { revokeUserByEmail } from "../../src/auth/user-index";
import { Browser, callInternal, connectedClient, oauthHelpers, refresh, useFakeIssuer } from "../support/harness";

const fakes = useFakeIssuer();

async function signedIn(sub: string, email: string) {
  fakes.issuer.user = { sub, email, email_verified: true, name: sub };
  const browser = new Browser();
  return { browser, ...(await connectedClient(browser, fakes.issuer)) };
}

describe("offboarding by email", () => {
  it("revokes every grant of the user (any letter case, every connector); their next call is 401, others keep working", async () => {
    const laptop = await signedIn("offboard-1", "leaver@example.com");
    const desktop = await signedIn("offboard-1", "Leaver@Example.com");
    const colleague = await signedIn("offboard-2", "stayer@example.com");

    expect(await revokeUserByEmail(env.OAUTH_KV, oauthHelpers(), "LEAVER@example.com")).toBe(2);

    for (const session of [laptop, desktop]) {
      expect((await callInternal(session.browser, session.tokens.access_token)).status).toBe(401);
      expect((await refresh(session.browser, session.client, session.tokens.refresh_token!)).status).toBe(400);
    }
    expect((await callInternal(colleague.browser, colleague.tokens.access_token)).status).toBe(200);
    expect((await oauthHelpers().listUserGrants("offboard-1")).items).toEqual([]);
  });

  it("finds nothing to revoke for an unknown email", async () => {
    expect(await revokeUserByEmail(env.OAUTH_KV, oauthHelpers(), "nobody@example.com")).toBe(0);
  });

  it("works through the one-off worker that `npm run revoke` starts", async () => {
    const session = await signedIn("offboard-3", "script@example.com");
    const response = await revokeWorker.fetch(new Request("http://127.0.0.1/revoke", { method: "POST", body: "script@example.com" }), env);
    expect(await response.json()).toEqual({ email: "script@example.com", revokedGrants: 1, blocked: true });
    expect((await callInternal(session.browser, session.tokens.access_token)).status).toBe(401);
    // Blocked too: signing in again is refused until the block is lifted.
    await expect(signedIn("offboard-3", "script@example.com")).rejects.toThrow();
    const unblock = await revokeWorker.fetch(new Request("http://127.0.0.1/unblock", { method: "POST", body: "Script@example.com" }), env);
    expect(await unblock.json()).toEqual({ email: "script@example.com", unblocked: true });
    expect((await signedIn("offboard-3", "script@example.com")).tokens.access_token).toBeTruthy();

    const bad = await revokeWorker.fetch(new Request("http://127.0.0.1/revoke", { method: "POST", body: "not-an-email" }), env);
    expect(bad.status).toBe(400);
  });
});
