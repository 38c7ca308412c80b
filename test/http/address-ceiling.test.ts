import { env } from "cloudflare:workers";
import { createExecutionContext, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { AuthRateLimiter } from "../../src/auth/rate-limiter";
import { addressGroup } from "../../src/shared/client-address";
import { sha256Hex } from "../../src/shared/hash";
import { readAddressLimits } from "../../src/config";
import worker from "../../src/worker";
import { onlySettings } from "../support/settings";

/**
 * The per-address ceiling on the MCP endpoints anyone with a key can call (/mcp, /sse, /connect):
 * requests a minute, and keys an address has not used within the hour. The workerd project raises
 * both for other test files; these tests run with the defaults (an empty setting takes the default).
 */

const BASE = new URL(env.PUBLIC_URL).origin;
const DEFAULTS = { ADDRESS_RATE_LIMIT_PER_MINUTE: "", NEW_KEYS_PER_ADDRESS_PER_HOUR: "" };
const { requestsPerMinute, newKeysPerHour } = readAddressLimits(onlySettings());

/** A /64 of its own for each test, so counts never leak between tests. */
function fresh64(): string {
  const group = () => Math.floor(Math.random() * 0xffff).toString(16);
  return `2001:db8:${group()}:${group()}`;
}

function send(path: string, address: string, init: { key?: string; settings?: Record<string, string>; body?: string } = {}) {
  const headers: Record<string, string> = { Host: new URL(BASE).host, "CF-Connecting-IP": address, "Content-Type": "application/json" };
  if (init.key) headers.Authorization = `Bearer ${init.key}`;
  const request = new Request(`${BASE}${path}`, { method: "POST", headers, body: init.body ?? "{not json" });
  return worker.fetch(request, { ...env, ...DEFAULTS, ...init.settings } as unknown as Env, createExecutionContext());
}

async function messageOf(response: Response): Promise<string> {
  return ((await response.json()) as { error: { message: string } }).error.message;
}

describe("the per-address ceiling on MCP traffic", () => {
  it("has defaults generous enough for a team behind one NAT", () => {
    expect(requestsPerMinute).toBeGreaterThanOrEqual(300);
    expect(newKeysPerHour).toBeGreaterThanOrEqual(30);
  });

  it(
    `answers the request after ADDRESS_RATE_LIMIT_PER_MINUTE (default ${requestsPerMinute}) in a ` +
      "minute from one address with 429 and Retry-After",
    async () => {
      const address = `${fresh64()}::1`;
      for (let i = 0; i < requestsPerMinute; i++) {
        const response = await send("/mcp", address);
        expect(response.status, `request ${i + 1}`).not.toBe(429);
      }
      const limited = await send("/mcp", address);
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get("Retry-After"))).toBeGreaterThan(0);
      expect(await messageOf(limited)).toMatch(
        /^Too many requests from this network address.*ADDRESS_RATE_LIMIT_PER_MINUTE.*Retry in \d+ seconds/,
      );
      // One ceiling for the endpoints anyone with a key can call; /internal's members are not under it.
      for (const path of ["/sse", "/sse/message?sessionId=x", "/connect", "/connect/message?sessionId=x"]) {
        expect((await send(path, address)).status, path).toBe(429);
      }
      expect((await send("/internal", address)).status).toBe(401);
      expect((await send("/mcp", `${fresh64()}::1`)).status).not.toBe(429);
    },
  );

  it(
    "answers a key never used from this address with 429 once NEW_KEYS_PER_ADDRESS_PER_HOUR (default " +
      `${newKeysPerHour}) new keys came within the hour; known keys go on`,
    async () => {
      const address = `${fresh64()}::1`;
      const prefix = crypto.randomUUID();
      for (let i = 0; i < newKeysPerHour; i++) {
        // A known key costs nothing more: each is sent twice.
        expect((await send("/mcp", address, { key: `${prefix}-${i}` })).status, `key ${i + 1}`).not.toBe(429);
        expect((await send("/mcp", address, { key: `${prefix}-${i}` })).status, `key ${i + 1} again`).not.toBe(429);
      }
      const limited = await send("/sse", address, { key: `${prefix}-new` });
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get("Retry-After"))).toBeGreaterThan(0);
      expect(await messageOf(limited)).toMatch(
        /different API keys.*NEW_KEYS_PER_ADDRESS_PER_HOUR.*Keys already used from here keep working/,
      );
      expect((await send("/mcp", address, { key: `${prefix}-0` })).status).not.toBe(429);
      expect((await send("/mcp", `${fresh64()}::1`, { key: `${prefix}-new` })).status).not.toBe(429);
    },
  );
});

describe("the per-address ceiling's leases", () => {
  /** The requests the address's limiter object has counted in the current minute, leased ones included. */
  async function counted(address: string): Promise<number> {
    const namespace = env.AUTH_RATE_LIMITER as DurableObjectNamespace<AuthRateLimiter>;
    const stub = namespace.get(namespace.idFromName(await sha256Hex(`rate-limit:mcp:${addressGroup(address)}`)));
    return runInDurableObject(
      stub,
      (_instance, state) => state.storage.kv.get<Record<string, { count: number }>>("counts")!.requests!.count,
    );
  }

  it("ask the limiter object once per 16 requests from a busy address, counting the 15 after the first in advance", async () => {
    const address = `${fresh64()}::1`;
    expect((await send("/mcp", address)).status).not.toBe(429);
    expect(await counted(address)).toBe(16);
    for (let i = 1; i < 16; i++) expect((await send("/mcp", address)).status).not.toBe(429);
    expect(await counted(address)).toBe(16);
    expect((await send("/mcp", address)).status).not.toBe(429);
    expect(await counted(address)).toBe(32);
  });

  it("still send a key new to the address to the limiter object, which counts it against the new keys", async () => {
    const address = `${fresh64()}::1`;
    const settings = { NEW_KEYS_PER_ADDRESS_PER_HOUR: "1" };
    expect((await send("/mcp", address, { key: crypto.randomUUID(), settings })).status).not.toBe(429);
    expect((await send("/mcp", address, { key: crypto.randomUUID(), settings })).status).toBe(429);
  });

  it("remember at most 16 keys per address, the latest, and send an older key to the limiter object again", async () => {
    const address = `${fresh64()}::1`;
    const keys = Array.from({ length: 17 }, () => crypto.randomUUID());
    for (const key of keys) expect((await send("/mcp", address, { key })).status).not.toBe(429);
    const before = await counted(address);
    expect((await send("/mcp", address, { key: keys[1] })).status).not.toBe(429);
    expect(await counted(address)).toBe(before);
    expect((await send("/mcp", address, { key: keys[0] })).status).not.toBe(429);
    expect(await counted(address)).toBeGreaterThan(before);
  });

  it("count request by request under a limit of 40 a minute", async () => {
    const address = `${fresh64()}::1`;
    const settings = { ADDRESS_RATE_LIMIT_PER_MINUTE: "39" };
    for (let i = 1; i <= 3; i++) {
      expect((await send("/mcp", address, { settings })).status).not.toBe(429);
      expect(await counted(address)).toBe(i);
    }
  });
});

describe("IPv6 addresses are grouped by /64 in every per-address bucket", () => {
  it("groups an IPv6 address by its first 64 bits and leaves IPv4 alone", () => {
    expect(addressGroup("2001:DB8:1:2::5")).toBe("2001:db8:1:2::/64");
    expect(addressGroup("2001:db8:1:2:ffff:ffff:ffff:ffff")).toBe("2001:db8:1:2::/64");
    expect(addressGroup("2001:0db8:0001:0002:0:0:0:1")).toBe("2001:db8:1:2::/64");
    expect(addressGroup("2001:db8::1")).toBe("2001:db8:0:0::/64");
    expect(addressGroup("::1")).toBe("0:0:0:0::/64");
    expect(addressGroup("64:ff9b:1:2::192.0.2.1")).toBe("64:ff9b:1:2::/64");
    expect(addressGroup("::ffff:192.0.2.1")).toBe("192.0.2.1");
    expect(addressGroup("192.0.2.1")).toBe("192.0.2.1");
  });

  it("counts two addresses of one /64 in one bucket on the MCP endpoints", async () => {
    const prefix = fresh64();
    const settings = { ADDRESS_RATE_LIMIT_PER_MINUTE: "2" };
    expect((await send("/mcp", `${prefix}::1`, { settings })).status).not.toBe(429);
    expect((await send("/mcp", `${prefix}:aaaa:bbbb:cccc:dddd`, { settings })).status).not.toBe(429);
    expect((await send("/mcp", `${prefix}::2`, { settings })).status).toBe(429);
    expect((await send("/mcp", `${fresh64()}::1`, { settings })).status).not.toBe(429);
  });

  it("counts two addresses of one /64 in one bucket on sign-in", async () => {
    const prefix = fresh64();
    const settings = { AUTH_RATE_LIMIT_PER_MINUTE: "1" };
    expect((await send("/register", `${prefix}::1`, { settings, body: "{}" })).status).not.toBe(429);
    expect((await send("/register", `${prefix}::2`, { settings, body: "{}" })).status).toBe(429);
  });
});
