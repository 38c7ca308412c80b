import { beforeAll, beforeEach, describe, expect, it, vi, afterEach } from "vitest";
import { limitRequestBody, MAX_REQUEST_BYTES } from "../../src/http/body-limit";
import { endpointFor } from "../../src/shared/endpoints";
import { Browser, connectedClient, createIssuer } from "../support/harness";
import { installFakePlausible } from "../support/fake-plausible";
import { ORIGIN, workerFetch } from "../support/mcp-clients";
import type { FakeOidcIssuer } from "../support/oidc-issuer";

// Bad input at the HTTP layer of every MCP endpoint: oversized bodies (declared
// or streamed), invalid JSON, wrong content types, missing Accept, unknown
// methods. Each gets the transport's proper status, never a 500.
let issuer: FakeOidcIssuer;
let internalToken: string;
let browser: Browser;
let keySessionId: string;
beforeAll(async () => {
  // A session the key opened, so requests get past the owner check and the session check to the transport.
  keySessionId = await openKeySession("test-key-aaaaaaaa");
  issuer = await createIssuer();
  issuer.install();
  browser = new Browser();
  internalToken = (await connectedClient(browser, issuer)).tokens.access_token;
});
beforeEach(() => issuer.install());
afterEach(() => vi.restoreAllMocks());

/** Opens an /sse stream (the fake Plausible accepts the key) and returns the session id of its `endpoint` event. */
async function openKeySession(apiKey: string): Promise<string> {
  const plausible = installFakePlausible();
  const opened = await workerFetch(`${ORIGIN}/sse`, { headers: { authorization: `Bearer ${apiKey}`, accept: "text/event-stream" } });
  plausible.restore();
  const reader = opened.body!.getReader();
  let text = "";
  while (!/event: endpoint\ndata: [^\n]+\n/.test(text)) text += new TextDecoder().decode((await reader.read()).value);
  await reader.cancel();
  return new URL(/event: endpoint\ndata: ([^\n]+)\n/.exec(text)![1]!, ORIGIN).searchParams.get("sessionId")!;
}

const ACCEPT_BOTH = "application/json, text/event-stream";
const TOOLS_LIST = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" });
const INITIALIZE = JSON.stringify({
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "probe", version: "1" } },
});

type Endpoint = "/mcp" | "/internal" | "/sse/message";
const ENDPOINTS: Endpoint[] = ["/mcp", "/internal", "/sse/message"];

/** Sends to an endpoint with the right credentials for it: a bearer key, or a signed-in user's token on /internal. */
function send(endpoint: Endpoint, init: { method?: string; headers?: Record<string, string>; body?: BodyInit | null }): Promise<Response> {
  const path = endpoint === "/sse/message" ? `/sse/message?sessionId=${keySessionId}` : endpoint;
  const authorization = endpoint === "/internal" ? `Bearer ${internalToken}` : "Bearer test-key-aaaaaaaa";
  const request = new Request(`${ORIGIN}${path}`, {
    method: init.method ?? "POST",
    headers: { authorization, ...init.headers },
    body: init.body ?? null,
    ...(init.body instanceof ReadableStream ? { duplex: "half" } : {}),
  } as RequestInit);
  return endpoint === "/internal"
    ? browser.fetch(request.url, { method: request.method, headers: request.headers, body: request.body, duplex: "half" } as RequestInit)
    : workerFetch(request);
}

/** A body of `bytes` bytes streamed in 64 KiB chunks, so no Content-Length is known. */
function chunkedBody(bytes: number): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent >= bytes) return controller.close();
      const size = Math.min(64 * 1024, bytes - sent);
      sent += size;
      controller.enqueue(new Uint8Array(size).fill(0x20));
    },
  });
}

async function jsonRpcError(response: Response) {
  return ((await response.json()) as { error: { code: number; message: string } }).error;
}

describe.each(ENDPOINTS)("request bodies on %s", (endpoint) => {
  it("refuses a declared Content-Length over 1 MiB with 413", async () => {
    const response = await send(endpoint, {
      headers: { "content-type": "application/json", accept: ACCEPT_BOTH },
      body: TOOLS_LIST + " ".repeat(MAX_REQUEST_BYTES),
    });
    expect(response.status).toBe(413);
    expect(await jsonRpcError(response)).toMatchObject({ code: -32600, message: expect.stringContaining("1 MiB") });
  });

  it("refuses a chunked body without Content-Length once it passes 1 MiB", async () => {
    const body = chunkedBody(MAX_REQUEST_BYTES + 1);
    const probe = new Request(ORIGIN, { method: "POST", body: chunkedBody(1), duplex: "half" } as RequestInit);
    expect(probe.headers.get("content-length")).toBeNull();
    const response = await send(endpoint, { headers: { "content-type": "application/json", accept: ACCEPT_BOTH }, body });
    expect(response.status).toBe(413);
  });

  it("answers invalid JSON with a JSON-RPC parse error, not a 500", async () => {
    const response = await send(endpoint, { headers: { "content-type": "application/json", accept: ACCEPT_BOTH }, body: "{not json" });
    expect(response.status).toBe(400);
    expect(await jsonRpcError(response)).toMatchObject({ code: -32700 });
  });

  it("refuses JSON that is not a JSON-RPC message with 400", async () => {
    const response = await send(endpoint, {
      headers: { "content-type": "application/json", accept: ACCEPT_BOTH },
      body: '{"hello": "world"}',
    });
    expect(response.status).toBe(400);
    expect([-32700, -32600]).toContain((await jsonRpcError(response)).code);
  });
});

describe("the Streamable HTTP transports (/mcp and /internal)", () => {
  it.each(["/mcp", "/internal"] as const)("lets a body of exactly 1 MiB through on %s", async (endpoint) => {
    const body = INITIALIZE + " ".repeat(MAX_REQUEST_BYTES - INITIALIZE.length);
    const response = await send(endpoint, { headers: { "content-type": "application/json", accept: ACCEPT_BOTH }, body });
    expect(response.status).toBe(200);
  });

  it.each(["/mcp", "/internal"] as const)("answers a wrong Content-Type with 415 on %s", async (endpoint) => {
    const response = await send(endpoint, { headers: { "content-type": "text/plain", accept: ACCEPT_BOTH }, body: INITIALIZE });
    expect(response.status).toBe(415);
  });

  it.each(["/mcp", "/internal"] as const)("answers a missing or partial Accept with 406 on %s", async (endpoint) => {
    for (const accept of [undefined, "application/json", "text/event-stream"]) {
      const response = await send(endpoint, {
        headers: { "content-type": "application/json", ...(accept ? { accept } : {}) },
        body: INITIALIZE,
      });
      expect(response.status, `Accept: ${accept}`).toBe(406);
    }
  });

  it.each(["/mcp", "/internal"] as const)("answers unknown methods with 405 on %s", async (endpoint) => {
    for (const method of ["PUT", "PATCH"]) {
      const response = await send(endpoint, {
        method,
        headers: { "content-type": "application/json", accept: ACCEPT_BOTH },
        body: INITIALIZE,
      });
      expect(response.status, method).toBe(405);
    }
  });
});

describe("a body whose length is declared within the limit", () => {
  const post = (path: string, headers: Record<string, string>) =>
    new Request(`${ORIGIN}${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: TOOLS_LIST });

  it("goes on unread: HTTP framing ends it at the declared length", async () => {
    const request = post("/mcp", { "content-length": String(TOOLS_LIST.length) });
    expect(await limitRequestBody(request, endpointFor("/mcp")!)).toBe(request);
    expect(request.bodyUsed).toBe(false);
  });

  it("is read and checked on a legacy message endpoint, and when Transfer-Encoding is also sent", async () => {
    const legacy = post("/sse/message", { "content-length": String(TOOLS_LIST.length) });
    const passed = await limitRequestBody(legacy, endpointFor("/sse/message")!);
    expect(passed).not.toBe(legacy);
    expect(await (passed as Request).text()).toBe(TOOLS_LIST);
    const both = post("/mcp", { "content-length": "1", "transfer-encoding": "chunked" });
    expect(await limitRequestBody(both, endpointFor("/mcp")!)).not.toBe(both);
  });
});

describe("the legacy SSE message endpoint (/sse/message)", () => {
  it("answers a wrong Content-Type with 400, as the legacy transport does", async () => {
    const response = await send("/sse/message", { headers: { "content-type": "text/plain" }, body: TOOLS_LIST });
    expect(response.status).toBe(400);
  });

  it("refuses a JSON-RPC batch, which the legacy transport does not take", async () => {
    const response = await send("/sse/message", { headers: { "content-type": "application/json" }, body: `[${TOOLS_LIST}]` });
    expect(response.status).toBe(400);
    expect((await jsonRpcError(response)).code).toBe(-32600);
  });

  it("answers methods other than POST without a 500", async () => {
    for (const method of ["GET", "PUT", "PATCH", "DELETE"]) {
      const response = await send("/sse/message", { method });
      expect(response.status, method).toBeGreaterThanOrEqual(400);
      expect(response.status, method).toBeLessThan(500);
    }
  });
});
