import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { hex } from "../../src/shared/hash";
import {
  BASE,
  Browser,
  CLIENT_REDIRECT,
  authorizeUrl,
  consentHandle,
  oauthHelpers,
  pkce,
  postConsent,
  register,
  signIn,
  useFakeIssuer,
} from "../support/harness";

const fakes = useFakeIssuer();

async function openConsent(browser: Browser, client = undefined as Awaited<ReturnType<typeof register>> | undefined) {
  const registered = client ?? (await register(browser));
  const page = await browser.fetch(await authorizeUrl(registered, await pkce().challenge));
  return { client: registered, page, html: await page.text() };
}

function expectNoIssuerRedirect(response: Response) {
  expect(response.headers.get("Location")).toBeNull();
}

describe("the consent page", () => {
  it("names the client, its redirect host and the scopes, with Approve and Deny, and cannot be framed", async () => {
    const browser = new Browser();
    const client = await register(browser, { client_name: "Cowork" });
    const page = await browser.fetch(await authorizeUrl(client, await pkce().challenge, { scope: "mcp:read" }));
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("Allow Cowork to use Plausible Analytics");
    expect(html).toContain("<strong>127.0.0.1</strong>");
    expect(html).toContain("<code>mcp:read</code>");
    expect(html).toMatch(/<form method="post" action="\/authorize">/);
    expect(html).toMatch(/<button type="submit" name="decision" value="approve">Approve<\/button>/);
    expect(html).toMatch(/value="deny">Deny<\/button>/);
    expect(page.headers.get("X-Frame-Options")).toBe("DENY");
    expect(page.headers.get("Content-Security-Policy")).toContain("frame-ancestors 'none'");
    expect([...browser.cookies.keys()].some((name) => name.startsWith("__Host-"))).toBe(true);
  });

  it("shows a client_name with markup escaped", async () => {
    const browser = new Browser();
    const client = await register(browser, { client_name: `<script>alert("x")</script><img src=x onerror=alert(1)>` });
    const { html } = await openConsent(browser, client);
    expect(html).not.toContain("<script>alert");
    expect(html).not.toContain("<img");
    expect(html).toContain("&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62;");
  });

  it("refuses a POST without the browser's binding cookie: 400 page, no redirect to the fakes.issuer", async () => {
    const browser = new Browser();
    const { html } = await openConsent(browser);
    const stranger = new Browser(); // the attacker's page posts the handle from another browser
    const response = await postConsent(stranger, consentHandle(html), "approve");
    expect(response.status).toBe(400);
    expectNoIssuerRedirect(response);
    expect(await response.text()).toContain("not started in this browser");
  });

  it("refuses a reused consent handle: 400 page, no second redirect to the fakes.issuer", async () => {
    const browser = new Browser();
    const { html } = await openConsent(browser);
    const handle = consentHandle(html);
    const cookies = new Map(browser.cookies);
    const first = await postConsent(browser, handle, "approve");
    expect(first.status).toBe(302);
    for (const [name, value] of cookies) browser.cookies.set(name, value); // even with the cookie replayed
    const second = await postConsent(browser, handle, "approve");
    expect(second.status).toBe(400);
    expectNoIssuerRedirect(second);
  });

  it("keeps a consent handle for ten minutes only: once storage drops it, the POST is a 400 page", async () => {
    const browser = new Browser();
    const before = new Set((await env.OAUTH_KV.list({ prefix: "transaction:" })).keys.map((key) => key.name));
    const { html } = await openConsent(browser);
    const keys = (await env.OAUTH_KV.list({ prefix: "transaction:" })).keys.filter((key) => !before.has(key.name));
    expect(keys).toHaveLength(1);
    const now = Math.floor(Date.now() / 1000);
    // KV expires the record itself: the handle's lifetime is exactly the record's TTL.
    expect(keys[0]!.expiration).toBeGreaterThan(now + 540);
    expect(keys[0]!.expiration).toBeLessThanOrEqual(now + 600);
    await env.OAUTH_KV.delete(keys[0]!.name); // what KV does when the ten minutes are up
    const response = await postConsent(browser, consentHandle(html), "approve");
    expect(response.status).toBe(400);
    expectNoIssuerRedirect(response);
    expect(await response.text()).toContain("expired or was already used");
  });

  it("sends Deny back to the client as access_denied with its state and our fakes.issuer", async () => {
    const browser = new Browser();
    const { html } = await openConsent(browser);
    const response = await postConsent(browser, consentHandle(html), "deny");
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get("Location")!);
    expect(location.origin + location.pathname).toBe(CLIENT_REDIRECT);
    expect(location.searchParams.get("error")).toBe("access_denied");
    expect(location.searchParams.get("state")).toBe("client-state-123");
    expect(location.searchParams.get("iss")).toBe(BASE);
  });

  it("remembers an approval for that client only: a new client always sees the consent page", async () => {
    const browser = new Browser();
    const approvedClient = await register(browser, { client_name: "Approved" });
    const { code } = await signIn(browser, fakes.issuer, approvedClient, await pkce().challenge);
    expect(code).toBeTruthy();

    const again = await browser.fetch(await authorizeUrl(approvedClient, await pkce().challenge));
    expect(again.status).toBe(302);
    expect(again.headers.get("Location")).toMatch(new RegExp(`^${fakes.issuer.authorizationEndpoint}\\?`));

    const newClient = await register(browser, { client_name: "Newcomer" });
    const page = await browser.fetch(await authorizeUrl(newClient, await pkce().challenge));
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("Allow Newcomer");
  });
});

async function hmacHex(secret: string, message: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(message));
  return hex(mac);
}

/**
 * Plants, in `browser`, a remembered approval of `url`'s request and a subject cookie for `sub`, both
 * made with the provider's own API from `rootSecret` the way the server derives its consent key.
 */
async function plantRememberedApproval(browser: Browser, url: string, rootSecret: string, sub: string): Promise<void> {
  const secret = await hmacHex(rootSecret, "plausible-mcp consent approvals");
  const subject = await hmacHex(secret, `subject:${sub}`);
  const oauth = oauthHelpers();
  const authRequest = await oauth.parseAuthRequest(new Request(url));
  const consent = await oauth.beginConsent(authRequest);
  const binding = consent.headers
    .getSetCookie()
    .map((cookie) => cookie.split(";")[0])
    .join("; ");
  const approved = await oauth.approveConsent(new Request(url, { headers: { Cookie: binding } }), consent.handle, {
    scope: authRequest.scope,
    remember: { secret, subject },
  });
  for (const cookie of approved.headers.getSetCookie()) {
    const [pair = ""] = cookie.split(";");
    const separator = pair.indexOf("=");
    browser.cookies.set(pair.slice(0, separator).trim(), pair.slice(separator + 1).trim());
  }
  browser.cookies.set("__Host-plausible-mcp-subject", subject);
}

describe("remembered consent", () => {
  it("cannot be forged by whoever holds the identity provider's client secret", async () => {
    const cookieSecret = (env as unknown as { COOKIE_SECRET: string }).COOKIE_SECRET;
    const oidcClientSecret = (env as unknown as { OIDC_CLIENT_SECRET: string }).OIDC_CLIENT_SECRET;
    const forged = new Browser();
    const client = await register(forged, { client_name: "Forged Approval" });
    const url = await authorizeUrl(client, await pkce().challenge);
    await plantRememberedApproval(forged, url, oidcClientSecret, "forged-consent-victim");
    const page = await forged.fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("Allow Forged Approval");

    // Control: the same cookies made with the server's own COOKIE_SECRET are honoured (straight to the fakes.issuer).
    const genuine = new Browser();
    await plantRememberedApproval(genuine, url, cookieSecret, "forged-consent-victim");
    const skipped = await genuine.fetch(url);
    expect(skipped.status).toBe(302);
    expect(skipped.headers.get("Location")).toMatch(new RegExp(`^${fakes.issuer.authorizationEndpoint}\\?`));
  });

  it("belongs to the person who gave it: another person signing in on the same browser sees the consent page", async () => {
    const browser = new Browser();
    const client = await register(browser, { client_name: "Shared Laptop" });
    fakes.issuer.user = { sub: "consent-owner", email: "owner@example.com", email_verified: true, name: "Owner" };
    expect((await signIn(browser, fakes.issuer, client, await pkce().challenge)).code).toBeTruthy();

    // Someone else at the same browser: the approval is remembered, so the fakes.issuer is next...
    fakes.issuer.user = { sub: "consent-other", email: "other@example.com", email_verified: true, name: "Other" };
    const skipped = await browser.fetch(await authorizeUrl(client, await pkce().challenge));
    expect(skipped.status).toBe(302);
    // ...but once they are known to be another person, they are asked themselves, and no code is issued.
    const callback = await browser.fetch(fakes.issuer.signIn(skipped.headers.get("Location")!));
    expect(callback.status).toBe(200);
    expect(callback.headers.get("Location")).toBeNull();
    expect(await callback.text()).toContain("Allow Shared Laptop");

    // Their own approval is remembered for them in turn.
    expect((await signIn(browser, fakes.issuer, client, await pkce().challenge)).code).toBeTruthy();
    const again = await browser.fetch(await authorizeUrl(client, await pkce().challenge));
    expect(again.status).toBe(302);
    expect((await browser.fetch(fakes.issuer.signIn(again.headers.get("Location")!))).status).toBe(302);
  });
});

describe("the identity provider's callback", () => {
  async function reachIssuer(browser: Browser) {
    const { html } = await openConsent(browser);
    const toIssuer = await postConsent(browser, consentHandle(html), "approve");
    expect(toIssuer.status).toBe(302);
    return fakes.issuer.signIn(toIssuer.headers.get("Location")!);
  }

  it("refuses a reused state: 400, no code issued", async () => {
    const browser = new Browser();
    const callbackUrl = await reachIssuer(browser);
    const cookies = new Map(browser.cookies);
    const first = await browser.fetch(callbackUrl);
    expect(new URL(first.headers.get("Location")!).searchParams.get("code")).toBeTruthy();
    for (const [name, value] of cookies) browser.cookies.set(name, value);
    const replay = await browser.fetch(callbackUrl);
    expect(replay.status).toBe(400);
    expect(replay.headers.get("Location")).toBeNull();
  });

  it("refuses a state from another browser: 400, no code issued", async () => {
    const victim = new Browser();
    const callbackUrl = await reachIssuer(victim);
    const attacker = new Browser();
    const response = await attacker.fetch(callbackUrl);
    expect(response.status).toBe(400);
    expect(response.headers.get("Location")).toBeNull();
  });

  it("refuses an invented state: 400, no code issued", async () => {
    const browser = new Browser();
    const response = await browser.fetch(`${BASE}/callback?code=abc&state=invented`);
    expect(response.status).toBe(400);
    expect(response.headers.get("Location")).toBeNull();
  });

  it("answers the client with access_denied when the user cancels at the identity provider", async () => {
    const browser = new Browser();
    const callbackUrl = new URL(await reachIssuer(browser));
    callbackUrl.searchParams.delete("code");
    callbackUrl.searchParams.set("error", "access_denied");
    const response = await browser.fetch(callbackUrl);
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get("Location")!);
    expect(location.searchParams.get("error")).toBe("access_denied");
    expect(location.searchParams.get("code")).toBeNull();
  });
});
