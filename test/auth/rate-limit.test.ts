import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { BASE, Browser } from "./harness";

const LIMIT = Number(env.AUTH_RATE_LIMIT_PER_MINUTE);

const requests = {
  register: (browser: Browser) => browser.fetch(`${BASE}/register`, { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" }),
  token: (browser: Browser) => browser.fetch(`${BASE}/token`, { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: "grant_type=authorization_code" }),
  authorize: (browser: Browser) => browser.fetch(`${BASE}/authorize?response_type=code&client_id=unknown`),
};

describe("per-address rate limit on /register, /token and /authorize", () => {
  for (const [endpoint, send] of Object.entries(requests)) {
    it(`limits ${endpoint} to AUTH_RATE_LIMIT_PER_MINUTE per address, without affecting other addresses`, async () => {
      const flooding = new Browser();
      for (let i = 0; i < LIMIT; i++) expect((await send(flooding)).status).not.toBe(429);
      const limited = await send(flooding);
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get("Retry-After"))).toBeGreaterThan(0);
      expect(((await limited.json()) as { error: string }).error).toBe("temporarily_unavailable");

      expect((await send(new Browser())).status).not.toBe(429);
    });
  }

  it("counts the three endpoints together for one address", async () => {
    const browser = new Browser();
    for (let i = 0; i < LIMIT; i++) await requests.register(browser);
    expect((await requests.token(browser)).status).toBe(429);
    expect((await requests.authorize(browser)).status).toBe(429);
  });

  it("does not limit discovery or /internal", async () => {
    const browser = new Browser();
    for (let i = 0; i < LIMIT; i++) await requests.register(browser);
    expect((await browser.fetch(`${BASE}/.well-known/oauth-authorization-server`)).status).toBe(200);
    expect((await browser.fetch(`${BASE}/internal`, { method: "POST" })).status).toBe(401);
  });
});
