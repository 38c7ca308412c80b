import { env } from "cloudflare:workers";
import { createExecutionContext } from "cloudflare:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterEach, describe, expect, it, vi } from "vitest";
import worker from "../../src/worker";
import { BASE } from "./harness";

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

describe("incomplete configuration", () => {
  for (const setting of ["OAUTH_KV", "OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET", "PLAUSIBLE_API_KEY"]) {
    it(`answers 503 naming ${setting} on every connector endpoint, logs it, and keeps /mcp working`, async () => {
      const log = vi.spyOn(console, "error").mockImplementation(() => {});
      const fetchWorker = workerWith({ [setting]: undefined });
      for (const [method, path] of AFFECTED) {
        const response = await fetchWorker(`${BASE}${path}`, { method });
        expect(response.status, path).toBe(503);
        expect(await response.json()).toEqual({ error: "server_error", error_description: setting });
      }
      expect(log).toHaveBeenCalledWith(expect.stringContaining(setting));

      const client = new Client({ name: "still-works", version: "1.0.0" });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(`${BASE}/mcp`), {
          fetch: fetchWorker,
          requestInit: { headers: { Authorization: "Bearer plausible-key-for-tests" } },
        }),
      );
      expect((await client.listTools()).tools.length).toBeGreaterThan(0);
      await client.close();
    });
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

  it("refuses every request while PUBLIC_URL is unset, since no host can be trusted", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const response = await workerWith({ PUBLIC_URL: "" })(`${BASE}/mcp`, { method: "POST" });
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ error: "server_error", error_description: "PUBLIC_URL" });
  });
});
