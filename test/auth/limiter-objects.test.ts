import { env } from "cloudflare:workers";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { AuthRateLimiter } from "../../src/auth/rate-limiter";
import { BASE, Browser } from "../support/harness";

/** Limiter objects keep nothing once their windows have passed, and each connector counts in objects of its own. */

afterEach(() => vi.useRealTimers());

describe("a limiter object's storage", () => {
  it("is deleted by its alarm once every window has passed, and kept while one is open", async () => {
    const namespace = env.AUTH_RATE_LIMITER as DurableObjectNamespace<AuthRateLimiter>;
    const stub = namespace.get(namespace.idFromName(`test-${crypto.randomUUID()}`));
    expect(await stub.take([{ bucket: "minute", limit: 5, windowSeconds: 60 }])).toEqual({ allowed: true });
    expect(await stub.take([{ bucket: "hour", limit: 5, windowSeconds: 3600 }])).toEqual({ allowed: true });
    const stored = () =>
      runInDurableObject(stub, async (_instance, state) => ({
        keys: [...state.storage.kv.list()].length,
        alarm: await state.storage.getAlarm(),
      }));
    expect((await stored()).keys).toBeGreaterThan(0);
    expect((await stored()).alarm).not.toBeNull();

    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 61_000);
    await runDurableObjectAlarm(stub);
    expect((await stored()).keys).toBeGreaterThan(0);

    vi.setSystemTime(Date.now() + 3600_000);
    await runDurableObjectAlarm(stub);
    expect(await stored()).toEqual({ keys: 0, alarm: null });
  });
});

describe("a limiter object's leases", () => {
  it("count the leased requests at once and never lease past a limit", async () => {
    const namespace = env.AUTH_RATE_LIMITER as DurableObjectNamespace<AuthRateLimiter>;
    const stub = namespace.get(namespace.idFromName(`test-${crypto.randomUUID()}`));
    const minute = { bucket: "minute", limit: 10, windowSeconds: 60 };
    const first = await stub.take([minute], undefined, 4);
    expect(first).toMatchObject({ allowed: true, lease: { requests: 4 } });
    const second = await stub.take([minute], undefined, 15);
    // 5 counted so far, so 1 for this request and 4 of the 15 asked for.
    expect(second).toMatchObject({ allowed: true, lease: { requests: 4 } });
    expect(await stub.take([minute], undefined, 15)).toMatchObject({ allowed: false, bucket: "minute" });
  });

  it("say until when a key stays known from the address", async () => {
    const namespace = env.AUTH_RATE_LIMITER as DurableObjectNamespace<AuthRateLimiter>;
    const stub = namespace.get(namespace.idFromName(`test-${crypto.randomUUID()}`));
    const before = Date.now();
    const decision = await stub.take(
      [{ bucket: "minute", limit: 100, windowSeconds: 60 }],
      { seen: { bucket: "key:k", limit: 1, windowSeconds: 3600 }, cost: { bucket: "new-keys", limit: 5, windowSeconds: 3600 } },
      2,
    );
    expect(decision.allowed && decision.lease?.until).toBeGreaterThanOrEqual(before + 60_000);
    expect(decision.allowed && decision.lease?.keyKnownUntil).toBeGreaterThanOrEqual(before + 3600_000);
  });
});

describe("each connector's sign-in limits", () => {
  const register = (browser: Browser, path: string) =>
    browser.fetch(`${BASE}${path}`, { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" });
  const token = (browser: Browser, path: string, clientId: string) =>
    browser.fetch(`${BASE}${path}`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: "x:y:z", client_id: clientId }).toString(),
    });

  it("are not used up on /internal by /connect's sign-ins from the same address", async () => {
    const browser = new Browser({ AUTH_RATE_LIMIT_PER_MINUTE: "2" });
    for (let i = 0; i < 2; i++) expect((await register(browser, "/connect/register")).status).not.toBe(429);
    expect((await register(browser, "/connect/register")).status).toBe(429);
    expect((await register(browser, "/register")).status).not.toBe(429);
  });

  it("are not used up on /internal's /token by /connect's token requests of the same client", async () => {
    const browser = new Browser({ TOKEN_RATE_LIMIT_PER_CLIENT: "2" });
    const client = "https://claude.example/metadata.json";
    for (let i = 0; i < 2; i++) expect((await token(browser, "/connect/token", client)).status).not.toBe(429);
    expect((await token(browser, "/connect/token", client)).status).toBe(429);
    expect((await token(browser, "/token", client)).status).not.toBe(429);
  });
});
