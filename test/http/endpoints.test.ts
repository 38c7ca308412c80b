import { env, exports } from "cloudflare:workers";
import { createExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { MAX_FORM_BYTES } from "../../src/http/body-limit";
import { ENDPOINTS } from "../../src/shared/endpoints";
import worker from "../../src/worker";

/**
 * The endpoint catalogue (src/shared/endpoints.ts) drives the route table and every check before it,
 * so each endpoint gets the checks of its kind: the JSON-RPC check on every legacy message path,
 * the Origin check on every MCP path, and the 64 KiB body cap on every OAuth endpoint and page.
 */

const BASE = new URL(env.PUBLIC_URL).origin;

function send(path: string, init: RequestInit = {}) {
  const headers = new Headers(init.headers);
  headers.set("Host", new URL(BASE).host);
  return exports.default.fetch(new Request(`${BASE}${path}`, { ...init, headers }));
}

describe("the JSON-RPC check on legacy message paths", () => {
  const messagePaths = ENDPOINTS.flatMap((endpoint) => (endpoint.legacyMessagePath ? [endpoint.legacyMessagePath] : []));

  it("covers the message path of every legacy SSE endpoint, /connect's among them", () => {
    expect(messagePaths).toEqual(expect.arrayContaining(["/sse/message", "/internal/message", "/connect/message"]));
  });

  it.each(messagePaths)("refuses a body on %s that is not a JSON-RPC message with 400, before any token is read", async (path) => {
    const response = await send(`${path}?sessionId=anything`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: "Bearer some-token-or-key" },
      body: '{"hello":"world"}',
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { code: number } }).error.code).toBe(-32600);
  });
});

describe("the Origin check on MCP paths", () => {
  it.each(["/mcp", "/sse", "/sse/message", "/internal", "/internal/message", "/connect", "/connect/message"])(
    "refuses a foreign Origin on %s",
    async (path) => {
      const response = await send(path, { method: "POST", headers: { Origin: "https://evil.example" }, body: "{}" });
      expect(response.status).toBe(403);
    },
  );

  it.each(["/connect/authorize", "/connect/token", "/connect/register"])("treats %s as OAuth, not MCP: no Origin refusal", async (path) => {
    const response = await send(path, { method: "POST", headers: { Origin: "https://evil.example" }, body: "" });
    expect(response.status).not.toBe(403);
  });
});

describe("the body cap on OAuth endpoints and pages", () => {
  const CHUNK_BYTES = 16 * 1024;
  const TOTAL_BYTES = 16 * 1024 * 1024;

  /** A chunked body of 16 MiB that records how much of it was pulled. */
  function hugeBody() {
    const pulled = { bytes: 0 };
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (pulled.bytes >= TOTAL_BYTES) return controller.close();
        pulled.bytes += CHUNK_BYTES;
        controller.enqueue(new Uint8Array(CHUNK_BYTES).fill(0x61));
      },
    });
    return { stream, pulled };
  }

  const paths = [
    "/authorize",
    "/connect/authorize",
    "/token",
    "/connect/token",
    "/register",
    "/connect/register",
    "/callback",
    "/admin",
    "/admin/revoke",
  ];

  it.each(paths)("answers a streamed body over 64 KiB on %s with 413, having read little more than 64 KiB", async (path) => {
    const { stream, pulled } = hugeBody();
    const headers = {
      Host: new URL(BASE).host,
      "Content-Type": path.endsWith("register") ? "application/json" : "application/x-www-form-urlencoded",
    };
    const request = new Request(`${BASE}${path}`, { method: "POST", headers, body: stream, duplex: "half" } as RequestInit);
    expect(request.headers.get("Content-Length")).toBeNull();
    const response = await worker.fetch(request, { ...env, ADMIN_EMAILS: "boss@example.com" } as unknown as Env, createExecutionContext());
    expect(response.status).toBe(413);
    const body = (await response.json()) as { error: string; error_description: string };
    expect(body).toMatchObject({ error: "invalid_request", error_description: expect.stringContaining("64 KiB") });
    expect(pulled.bytes).toBeLessThan(MAX_FORM_BYTES + 4 * CHUNK_BYTES);
  });

  it("refuses a declared Content-Length over 64 KiB without reading the body", async () => {
    const response = await send("/token", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: "grant_type=refresh_token&x=" + "a".repeat(MAX_FORM_BYTES),
    });
    expect(response.status).toBe(413);
  });

  it("lets a body of 64 KiB through", async () => {
    const form = "grant_type=refresh_token&refresh_token=x:y:z&client_id=c&pad=";
    const response = await send("/token", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", "CF-Connecting-IP": "203.0.113.200" },
      body: form + "a".repeat(MAX_FORM_BYTES - form.length),
    });
    expect(response.status).not.toBe(413);
    expect(response.status).toBeLessThan(500);
  });
});
