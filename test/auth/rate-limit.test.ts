import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { BASE, Browser } from "../support/harness";

const SIGN_IN_LIMIT = Number(env.AUTH_RATE_LIMIT_PER_MINUTE);
const TOKEN_PER_CLIENT = Number(env.TOKEN_RATE_LIMIT_PER_CLIENT);

const requests = {
  register: (browser: Browser) =>
    browser.fetch(`${BASE}/register`, { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" }),
  authorize: (browser: Browser) => browser.fetch(`${BASE}/authorize?response_type=code&client_id=unknown`),
};

function token(browser: Browser, clientId: string, headers: Record<string, string> = {}) {
  return browser.fetch(`${BASE}/token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: "x:y:z", client_id: clientId }).toString(),
  });
}

async function descriptionOf(response: Response): Promise<string> {
  const body = (await response.json()) as { error: string; error_description: string };
  expect(body.error).toBe("temporarily_unavailable");
  return body.error_description;
}

describe("per-address rate limit on /register and /authorize", () => {
  for (const [endpoint, send] of Object.entries(requests)) {
    it(`limits ${endpoint} to AUTH_RATE_LIMIT_PER_MINUTE per address, without affecting other addresses`, async () => {
      const flooding = new Browser();
      for (let i = 0; i < SIGN_IN_LIMIT; i++) expect((await send(flooding)).status).not.toBe(429);
      const limited = await send(flooding);
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get("Retry-After"))).toBeGreaterThan(0);
      expect(await descriptionOf(limited)).toMatch(/^Too many sign-in requests from this address; retry in \d+ seconds\.$/);

      expect((await send(new Browser())).status).not.toBe(429);
    });
  }

  it("counts the two endpoints together for one address, and leaves /token alone", async () => {
    const browser = new Browser();
    for (let i = 0; i < SIGN_IN_LIMIT; i++) await requests.register(browser);
    expect((await requests.authorize(browser)).status).toBe(429);
    expect((await token(browser, "some-client")).status).not.toBe(429);
  });

  it("does not limit discovery or /internal", async () => {
    const browser = new Browser();
    for (let i = 0; i < SIGN_IN_LIMIT; i++) await requests.register(browser);
    expect((await browser.fetch(`${BASE}/.well-known/oauth-authorization-server`)).status).toBe(200);
    expect((await browser.fetch(`${BASE}/internal`, { method: "POST" })).status).toBe(401);
  });
});

describe("rate limit on /token: per client, under a per-address ceiling", () => {
  it("lets a team's refreshes through one shared address (Claude's servers) beyond the per-address sign-in limit", async () => {
    const sharedEgress = new Browser();
    for (let member = 0; member < 2 * SIGN_IN_LIMIT; member++) {
      expect((await token(sharedEgress, `connector-of-member-${member}`)).status, `member ${member}`).not.toBe(429);
    }
  });

  it("limits one client to TOKEN_RATE_LIMIT_PER_CLIENT per address; other clients, and the same client elsewhere, go on", async () => {
    const sharedEgress = new Browser();
    const client = "https://client.example/metadata.json";
    for (let i = 0; i < TOKEN_PER_CLIENT; i++) expect((await token(sharedEgress, client)).status).not.toBe(429);
    const limited = await token(sharedEgress, client);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("Retry-After"))).toBeGreaterThan(0);
    expect(await descriptionOf(limited)).toMatch(/^Too many token requests from this client; retry in \d+ seconds\.$/);

    expect((await token(sharedEgress, "another-client")).status).not.toBe(429);
    // A client_id can be public (a metadata document URL): nobody elsewhere can use up its requests.
    expect((await token(new Browser(), client)).status).not.toBe(429);
  });

  it("reads the client of HTTP Basic client authentication", async () => {
    const browser = new Browser({ TOKEN_RATE_LIMIT_PER_CLIENT: "2" });
    const basic = { Authorization: `Basic ${btoa("basic-client:secret")}` };
    const send = () =>
      browser.fetch(`${BASE}/token`, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded", ...basic },
        body: "grant_type=refresh_token&refresh_token=x:y:z",
      });
    expect((await send()).status).not.toBe(429);
    expect((await send()).status).not.toBe(429);
    expect((await send()).status).toBe(429);
    expect((await token(browser, "basic-client-elsewhere")).status).not.toBe(429);
  });

  it("stops an address at TOKEN_RATE_LIMIT_PER_ADDRESS, however many clients it names", async () => {
    const browser = new Browser({ TOKEN_RATE_LIMIT_PER_ADDRESS: "5" });
    for (let i = 0; i < 5; i++) expect((await token(browser, `rotating-client-${i}`)).status).not.toBe(429);
    const limited = await token(browser, "rotating-client-5");
    expect(limited.status).toBe(429);
    expect(await descriptionOf(limited)).toMatch(/^Too many token requests from this address/);
  });
});
