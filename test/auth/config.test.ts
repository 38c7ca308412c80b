import { env } from "cloudflare:workers";
import { createExecutionContext } from "cloudflare:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterEach, describe, expect, it, vi } from "vitest";
import worker from "../../src/worker";
import { BASE } from "../support/harness";

const AFFECTED = [
  ["GET", "/internal"],
  ["GET", "/authorize?response_type=code&client_id=x"],
  ["GET", "/callback?code=x&state=y"],
  ["POST", "/token"],
  ["POST", "/register"],
  ["GET", "/.well-known/oauth-authorization-server"],
  ["GET", "/.well-known/oauth-protected-resource/internal"],
] as const;

/** The worker with some settings taken away, as a deployment that forgot them would run. */
function workerWith(changes: Record<string, unknown>) {
  const brokenEnv = { ...env, ...changes } as Env;
  return (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    const headers = new Headers(request.headers);
    headers.set("Host", new URL(request.url).host);
    return worker.fetch(new Request(request, { headers }), brokenEnv, createExecutionContext());
  };
}

afterEach(() => vi.restoreAllMocks());

/** A tool listing over /mcp (Streamable HTTP) and /sse (HTTP+SSE) through `fetchWorker`. */
async function bearerEndpointsServe(fetchWorker: ReturnType<typeof workerWith>): Promise<void> {
  const withKey = (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    request.headers.set("Authorization", "Bearer plausible-key-for-tests");
    return fetchWorker(request);
  };
  const transports = [
    new StreamableHTTPClientTransport(new URL(`${BASE}/mcp`), { fetch: withKey }),
    new SSEClientTransport(new URL(`${BASE}/sse`), { fetch: withKey, eventSourceInit: { fetch: withKey } as never }),
  ];
  for (const transport of transports) {
    const client = new Client({ name: "still-works", version: "1.0.0" });
    await client.connect(transport);
    expect((await client.listTools()).tools.length).toBeGreaterThan(0);
    await client.close();
  }
}

describe("incomplete configuration", () => {
  // What a deployment that lost or never had a setting runs with; an empty variable is what
  // `wrangler deploy` leaves behind when a value given once with --var is not given again.
  const MISSING: [string, string | undefined][] = [
    ["OAUTH_KV", undefined],
    ["OIDC_CLIENT_ID", undefined],
    ["OIDC_CLIENT_SECRET", undefined],
    ["PLAUSIBLE_API_KEY", undefined],
    ["COOKIE_SECRET", undefined],
    ["COOKIE_SECRET", "shorter-than-thirty-two-chars"],
    ["ALLOWED_EMAIL_DOMAINS", ""],
    ["PUBLIC_URL", ""],
  ];
  for (const [setting, value] of MISSING) {
    it(
      `answers 503 naming ${setting}${value ? " (too short)" : ""} on every connector endpoint, logs ` +
        "it, and keeps /mcp and /sse working",
      async () => {
        const log = vi.spyOn(console, "error").mockImplementation(() => {});
        const fetchWorker = workerWith({ [setting]: value });
        for (const [method, path] of AFFECTED) {
          const response = await fetchWorker(`${BASE}${path}`, { method });
          expect(response.status, path).toBe(503);
          expect(await response.json()).toEqual({ error: "server_error", error_description: setting });
        }
        expect(log).toHaveBeenCalledWith(expect.stringContaining(setting));
        await bearerEndpointsServe(fetchWorker);
      },
    );
  }

  it("treats an empty secret like a missing one", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const response = await workerWith({ OIDC_CLIENT_SECRET: "  " })(`${BASE}/token`, { method: "POST" });
    expect(await response.json()).toEqual({ error: "server_error", error_description: "OIDC_CLIENT_SECRET" });
  });

  it("names an invalid variable: no allowed domain, a remote http issuer, a too-short token lifetime", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const cases: [Record<string, string>, string][] = [
      [{ ALLOWED_EMAIL_DOMAINS: " , " }, "ALLOWED_EMAIL_DOMAINS"],
      [{ OIDC_ISSUER: "http://idp.example.net" }, "OIDC_ISSUER"],
      [{ ACCESS_TOKEN_TTL_SECONDS: "30" }, "ACCESS_TOKEN_TTL_SECONDS"],
      [{ REFRESH_TOKEN_TTL_SECONDS: "forever" }, "REFRESH_TOKEN_TTL_SECONDS"],
    ];
    for (const [changes, setting] of cases) {
      const response = await workerWith(changes)(`${BASE}/.well-known/oauth-authorization-server`);
      expect(response.status).toBe(503);
      expect(await response.json()).toEqual({ error: "server_error", error_description: setting });
    }
  });

  it("still checks the Origin on /mcp while PUBLIC_URL is unset", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const response = await workerWith({ PUBLIC_URL: "" })(`${BASE}/mcp`, { method: "POST", headers: { Origin: "https://evil.example" } });
    expect(response.status).toBe(403);
  });
});
