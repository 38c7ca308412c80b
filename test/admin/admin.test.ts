import { env } from "cloudflare:workers";
import { EncryptJWT } from "jose";
import { afterEach, describe, expect, it } from "vitest";
import { csrfOf, postForm, signInToAdmin as signInAs } from "../support/admin-session";
import {
  BASE,
  Browser,
  callInternal,
  connectedClient,
  oauthHelpers,
  pkce,
  refresh,
  signIn,
  useSignInFakes,
  openInternalSession,
} from "../support/harness";

/** /admin: administrators (ADMIN_EMAILS) sign in like /internal's members and manage the team. */

const ADMIN = "boss@example.com";
const SETTINGS = { ADMIN_EMAILS: `${ADMIN}, Second@Example.org` } as Partial<Record<keyof Env, string>>;

const fakes = useSignInFakes();
afterEach(() => fakes.plausible.restore());

/** Opens /admin signed out, follows the redirect to the fakes.issuer as `email`, and returns the callback's answer. */
async function signInToAdmin(email: string, browser = new Browser(SETTINGS)) {
  const signIn = await signInAs(fakes, browser, email);
  expect(signIn.start.status).toBe(302);
  return signIn;
}

async function signedInAdmin(): Promise<Browser> {
  const { browser, callback } = await signInToAdmin(ADMIN);
  expect(callback.status).toBe(302);
  expect(callback.headers.get("Location")).toBe("/admin");
  return browser;
}

/** A member who signed in to /internal and made one call on the shared key, with the session still open. */
async function activeMember(sub: string, email: string) {
  fakes.issuer.user = { sub, email, name: email, email_verified: true };
  const browser = new Browser();
  const { client, tokens } = await connectedClient(browser, fakes.issuer);
  const session = await openInternalSession(browser, tokens.access_token);
  const result = await session.callTool({ name: "get_aggregate", arguments: { site_id: "example.com", date_range: "7d" } });
  expect(result.isError).toBeFalsy();
  return { browser, client, tokens, session };
}

const secrets = env as unknown as { OIDC_CLIENT_SECRET: string; ADMIN_SESSION_SECRET: string };

/** An admin session token sealed the way the server seals one, with a key derived from `secret`. */
async function sealSession(secret: string, claims: { iat: number; exp: number }): Promise<string> {
  const hmac = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const key = new Uint8Array(await crypto.subtle.sign("HMAC", hmac, new TextEncoder().encode("plausible-mcp admin session cookies")));
  return new EncryptJWT({ email: ADMIN, csrf: "forged-csrf" })
    .setProtectedHeader({ alg: "dir", enc: "A256GCM" })
    .setAudience("plausible-mcp-admin")
    .setJti(crypto.randomUUID())
    .setIssuedAt(claims.iat)
    .setExpirationTime(claims.exp)
    .encrypt(key);
}

function withSessionCookie(token: string): Browser {
  const browser = new Browser(SETTINGS);
  browser.cookies.set("__Host-plausible-mcp-admin", token);
  return browser;
}

const now = () => Math.floor(Date.now() / 1000);

function postRevoke(browser: Browser, form: Record<string, string>, headers: Record<string, string> = {}, path = "/admin/revoke") {
  return postForm(browser, path, form, headers);
}

describe("/admin access", () => {
  it("does not exist while ADMIN_EMAILS is empty", async () => {
    expect((await new Browser().fetch(`${BASE}/admin`)).status).toBe(404);
    expect((await new Browser({ ADMIN_EMAILS: " " } as never).fetch(`${BASE}/admin/audit`)).status).toBe(404);
  });

  it("sends a signed-out visitor to sign in with the team's identity provider", async () => {
    const { start } = await signInToAdmin(ADMIN);
    const location = new URL(start.headers.get("Location")!);
    expect(location.origin).toBe(new URL(fakes.issuer.issuer).origin);
    expect(location.searchParams.get("redirect_uri")).toBe(`${BASE}/admin/callback`);
    expect(start.headers.getSetCookie().join("\n")).toMatch(
      /^__Host-plausible-mcp-admin-sign-in=[^;]+; Path=\/; Secure; HttpOnly; SameSite=Lax/m,
    );
  });

  it("gives an administrator a short-lived __Host- session and the members page, never framed", async () => {
    const { browser, callback } = await signInToAdmin(ADMIN);
    expect(callback.headers.getSetCookie().join("\n")).toMatch(
      /__Host-plausible-mcp-admin=[^;]+; Path=\/; Secure; HttpOnly; SameSite=Lax; Max-Age=1800/,
    );
    const page = await browser.fetch(`${BASE}/admin`);
    expect(page.status).toBe(200);
    expect(page.headers.get("Content-Security-Policy")).toContain("frame-ancestors 'none'");
    // Its forms must carry this origin (a no-referrer page would post `Origin: null`), never to another site.
    expect(page.headers.get("Referrer-Policy")).toBe("same-origin");
    expect(await page.text()).toContain("Signed in as <strong>boss@example.com</strong>");
  });

  it("matches ADMIN_EMAILS without regard to case", async () => {
    const { callback } = await signInToAdmin("second@example.org");
    expect(callback.status).toBe(302);
  });

  it("answers 403 to a member of an allowed domain who is not an administrator", async () => {
    const { browser, callback } = await signInToAdmin("member@example.com");
    expect(callback.status).toBe(403);
    expect(await callback.text()).toContain("not an administrator");
    // Nothing was granted: the next visit is sent to sign in again.
    expect((await browser.fetch(`${BASE}/admin`)).status).toBe(302);
  });

  it("ends an administrator's access at once when they are taken off ADMIN_EMAILS", async () => {
    const admin = await signedInAdmin();
    const later = new Browser({ ADMIN_EMAILS: "someone-else@example.com" } as never);
    for (const [name, value] of admin.cookies) later.cookies.set(name, value);
    const page = await later.fetch(`${BASE}/admin`);
    expect(page.status).toBe(403);
    expect(await page.text()).toContain("not an administrator");
  });

  it("applies /internal's domain policy: an outside account gets 403", async () => {
    const { callback } = await signInToAdmin("boss@outside.test", new Browser({ ADMIN_EMAILS: "boss@outside.test" } as never));
    expect(callback.status).toBe(403);
    expect(await callback.text()).toContain("not in an allowed domain");
  });

  it("refuses a callback whose state was not started in this browser", async () => {
    const { start } = await signInToAdmin(ADMIN);
    const elsewhere = await new Browser(SETTINGS).fetch(fakes.issuer.signIn(start.headers.get("Location")!));
    expect(elsewhere.status).toBe(400);
  });

  it("answers 503 naming ADMIN_SESSION_SECRET while it is missing or shorter than 32 characters", async () => {
    for (const secret of ["", "too-short-0123456789"]) {
      const response = await new Browser({ ...SETTINGS, ADMIN_SESSION_SECRET: secret } as never).fetch(`${BASE}/admin`);
      expect(response.status).toBe(503);
      const page = await response.text();
      expect(page).toContain("ADMIN_SESSION_SECRET");
      expect(page).toContain("wrangler secret put ADMIN_SESSION_SECRET");
    }
  });

  it("ignores a session sealed with a key derived from OIDC_CLIENT_SECRET", async () => {
    const forged = await sealSession(secrets.OIDC_CLIENT_SECRET, { iat: now(), exp: now() + 1800 });
    expect((await withSessionCookie(forged).fetch(`${BASE}/admin`)).status).toBe(302);
  });

  it("refuses a session issued more than 30 minutes ago, whatever its expiry says", async () => {
    const old = await sealSession(secrets.ADMIN_SESSION_SECRET, { iat: now() - 31 * 60, exp: now() + 86_400 });
    expect((await withSessionCookie(old).fetch(`${BASE}/admin`)).status).toBe(302);
    // Control: the same token, issued now, is a session.
    const fresh = await sealSession(secrets.ADMIN_SESSION_SECRET, { iat: now(), exp: now() + 1800 });
    expect((await withSessionCookie(fresh).fetch(`${BASE}/admin`)).status).toBe(200);
  });

  it("signs out with a CSRF-protected form; the session's cookie is refused afterwards, even replayed", async () => {
    const admin = await signedInAdmin();
    const page = await (await admin.fetch(`${BASE}/admin`)).text();
    expect(page).toMatch(/<form class="inline" method="post" action="\/admin\/sign-out">.*<button type="submit">Sign out<\/button>/);
    const token = admin.cookies.get("__Host-plausible-mcp-admin")!;
    const signOut = (form: Record<string, string>) =>
      admin.fetch(`${BASE}/admin/sign-out`, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: BASE },
        body: new URLSearchParams(form).toString(),
      });
    expect((await signOut({})).status).toBe(403);
    const signedOut = await signOut({ csrf: csrfOf(page) });
    expect(signedOut.status).toBe(200);
    expect(await signedOut.text()).toContain("Signed out");
    expect(admin.cookies.has("__Host-plausible-mcp-admin")).toBe(false);
    expect((await withSessionCookie(token).fetch(`${BASE}/admin`)).status).toBe(302);
  });

  it("ignores a forged or foreign session cookie", async () => {
    const browser = new Browser(SETTINGS);
    browser.cookies.set("__Host-plausible-mcp-admin", "eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..forged.forged.forged");
    expect((await browser.fetch(`${BASE}/admin`)).status).toBe(302);
  });
});

describe("/admin members and revocation", () => {
  it("shows a member who used /internal; Revoke and block ends their open session (401), audited with the admin's email", async () => {
    const member = await activeMember("member-sub-1", "ada@example.com");
    const admin = await signedInAdmin();
    const page = await (await admin.fetch(`${BASE}/admin`)).text();
    expect(page).toContain("ada@example.com");
    expect(page).toMatch(/<button type="submit" aria-label="Revoke and block ada@example.com">Revoke and block<\/button>/);
    expect(page).toContain("Test Connector");

    const revoked = await postRevoke(admin, { csrf: csrfOf(page), email: "ada@example.com" });
    expect(revoked.status).toBe(303);
    expect((await callInternal(member.browser, member.tokens.access_token)).status).toBe(401);
    await expect(member.session.listTools()).rejects.toThrow();

    const audit = await (await admin.fetch(`${BASE}/admin/audit?member=ada@example.com&format=jsonl`)).text();
    const records = audit
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, string>);
    expect(records.map((record) => [record.member, record.email, record.tool])).toEqual([
      ["ada@example.com", "ada@example.com", "get_aggregate"],
      ["ada@example.com", ADMIN, "admin:revoke-and-block"],
    ]);
  });

  it("keeps a revoked member out: no new grant through the remembered approval and a silent sign-in, until Unblock", async () => {
    const member = await activeMember("member-sub-5", "bo@example.com");
    const admin = await signedInAdmin();
    const revoked = await postRevoke(admin, { csrf: csrfOf(await (await admin.fetch(`${BASE}/admin`)).text()), email: "bo@example.com" });
    expect(revoked.headers.get("Location")).toBe("/admin?notice=revoked");

    // The member clicks Connect again: the approval is remembered and the issuer signs them in silently...
    fakes.issuer.user = { sub: "member-sub-5", email: "bo@example.com", name: "Bo", email_verified: true };
    const again = await signIn(member.browser, fakes.issuer, member.client, await pkce().challenge);
    // ...and the callback refuses them: no code, no grant.
    expect(again.callback.status).toBe(403);
    expect(again.code).toBeUndefined();
    expect(await again.callback.text()).toContain("revoked your access");
    expect((await oauthHelpers().listUserGrants("member-sub-5")).items).toEqual([]);
    expect((await refresh(member.browser, member.client, member.tokens.refresh_token!)).status).toBe(400);

    const page = await (await admin.fetch(`${BASE}/admin`)).text();
    expect(page).toMatch(/<h2>Blocked<\/h2>[\s\S]*<td>bo@example.com<\/td><td>boss@example.com<\/td>/);
    expect(page).toMatch(/<button type="submit" aria-label="Unblock bo@example.com">Unblock<\/button>/);
    const unblocked = await postRevoke(admin, { csrf: csrfOf(page), email: "bo@example.com" }, {}, "/admin/unblock");
    expect(unblocked.headers.get("Location")).toBe("/admin?notice=unblocked");
    expect(await (await admin.fetch(`${BASE}/admin`)).text()).not.toContain("Unblock bo@example.com");

    const restored = await signIn(member.browser, fakes.issuer, member.client, await pkce().challenge);
    expect(restored.code).toBeTruthy();
    const audit = await (await admin.fetch(`${BASE}/admin/audit?member=bo@example.com&format=jsonl`)).text();
    expect(
      audit
        .trim()
        .split("\n")
        .map((line) => (JSON.parse(line) as Record<string, string>).tool),
    ).toEqual(["get_aggregate", "admin:revoke-and-block", "admin:unblock"]);
  });

  it("shows only notices it wrote itself, never text from the address bar", async () => {
    const admin = await signedInAdmin();
    const injected = "<script>alert('pwned')</script> Call 555-0100 to restore access";
    const page = await (
      await admin.fetch(`${BASE}/admin?revoked=${encodeURIComponent(injected)}&notice=${encodeURIComponent(injected)}`)
    ).text();
    expect(page).not.toMatch(/pwned|555-0100/);
    expect(page).not.toContain('role="status"');
    const revokedNotice = await (await admin.fetch(`${BASE}/admin?notice=revoked`)).text();
    expect(revokedNotice).toMatch(/<p role="status"><strong>Revoked and blocked<\/strong>/);
  });

  it("refuses a revocation without the session's CSRF token or from another origin", async () => {
    const member = await activeMember("member-sub-2", "grace@example.com");
    const admin = await signedInAdmin();
    const csrf = csrfOf(await (await admin.fetch(`${BASE}/admin`)).text());
    expect((await postRevoke(admin, { email: "grace@example.com" })).status).toBe(403);
    expect((await postRevoke(admin, { csrf: "0".repeat(48), email: "grace@example.com" })).status).toBe(403);
    expect((await postRevoke(admin, { csrf, email: "grace@example.com" }, { Origin: "https://evil.test" })).status).toBe(403);
    // Signed out: refused, not sent to sign in.
    expect((await postRevoke(new Browser(SETTINGS), { csrf, email: "grace@example.com" })).status).toBe(403);
    expect((await callInternal(member.browser, member.tokens.access_token)).status).toBe(200);
  });

  it("shows the shared key's use this hour and each member's share", async () => {
    await activeMember("member-sub-3", "lin@example.com");
    const admin = await signedInAdmin();
    const page = await (await admin.fetch(`${BASE}/admin`)).text();
    expect(page).toMatch(/<tr><th>Used<\/th><td>\d+ of 600 requests<\/td><\/tr>/);
    expect(page).toContain("closed (calls go through)");
    expect(page).toMatch(/<tr><td>lin@example.com<\/td><td>1 of 120<\/td><\/tr>/);
  });
});

describe("/admin audit", () => {
  it("lists the records of a date range as a table and downloads them as JSON lines and CSV", async () => {
    await activeMember("member-sub-4", "kay@example.com");
    const admin = await signedInAdmin();
    const today = new Date().toISOString().slice(0, 10);
    const table = await (await admin.fetch(`${BASE}/admin/audit?from=${today}&to=${today}&member=kay@example.com`)).text();
    expect(table).toContain("<td>kay@example.com</td><td>kay@example.com</td><td>get_aggregate</td><td>example.com</td>");
    const csv = await admin.fetch(`${BASE}/admin/audit?from=${today}&to=${today}&member=kay@example.com&format=csv`);
    expect(csv.headers.get("Content-Disposition")).toBe(`attachment; filename="plausible-mcp-audit-${today}-to-${today}.csv"`);
    const lines = (await csv.text()).trim().split("\r\n");
    expect(lines[0]).toBe("at,member,email,tool,site_id,query_hash");
    expect(lines[1]).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z,kay@example.com,kay@example.com,get_aggregate,example.com,[0-9a-f]{64}$/);
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    const none = await (
      await admin.fetch(`${BASE}/admin/audit?from=${yesterday}&to=${yesterday}&member=kay@example.com&format=jsonl`)
    ).text();
    expect(none).toBe("");
  });
});
