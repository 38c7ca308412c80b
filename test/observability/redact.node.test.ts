import { describe, expect, it } from "vitest";
import {
  ENDPOINT_ATTRIBUTE,
  FILTERED,
  redactString,
  redactValue,
  scrubBreadcrumb,
  scrubEvent,
  scrubSpan,
} from "../../src/observability/redact";

describe("redactString", () => {
  it("filters bearer and basic credentials wherever they appear", () => {
    expect(redactString("failed with Authorization: Bearer pk_live.abc-123~x/y+z==")).toBe(`failed with Authorization: Bearer ${FILTERED}`);
    expect(redactString("basic dXNlcjpwYXNz and more")).toBe(`basic ${FILTERED} and more`);
  });

  it("filters credential pairs in form bodies, JSON text and messages", () => {
    expect(redactString("grant_type=authorization_code&code=c0de&code_verifier=v3r&client_secret=s3cret")).toBe(
      `grant_type=authorization_code&code=${FILTERED}&code_verifier=${FILTERED}&client_secret=${FILTERED}`,
    );
    expect(redactString('{"access_token":"at-1","refresh_token": "rt-2","token_type":"bearer"}')).toBe(
      `{"access_token":"${FILTERED}","refresh_token": "${FILTERED}","token_type":"bearer"}`,
    );
    expect(redactString("state: st-9 was reused")).toBe(`state: ${FILTERED} was reused`);
  });

  it("drops the query string of URLs and paths, /callback and /authorize included", () => {
    expect(redactString("GET https://mcp.example.com/callback?code=abc&state=xyz failed")).toBe(
      `GET https://mcp.example.com/callback?${FILTERED} failed`,
    );
    expect(redactString("/authorize?response_type=code&client_id=c&state=s")).toBe(`/authorize?${FILTERED}`);
    expect(redactString("redirect to https://login.example/?return_to=%2Fsites%3Fsite_id%3Da.example")).toBe(
      `redirect to https://login.example/?${FILTERED}`,
    );
  });

  it("filters session ids (and digests) wherever they appear in text, in a URL path or a session object's name", () => {
    const sessionId = "0123456789abcdef".repeat(4);
    expect(redactString(`Error in PlausibleMcpSession:sse:${sessionId} fetch`)).toBe(`Error in PlausibleMcpSession:sse:${FILTERED} fetch`);
    expect(redactString(`POST /sse/message?sessionId=${sessionId}`)).toBe(`POST /sse/message?${FILTERED}`);
  });

  it("leaves ordinary text alone", () => {
    const text = "Plausible at https://plausible.io answered 503, twice. Is it up? Try again.";
    expect(redactString(text)).toBe(text);
  });
});

describe("redactValue", () => {
  it("filters secret-named entries at any depth and in any spelling, keeping numbers and booleans", () => {
    const value = {
      headers: { Authorization: "Bearer k", cookie: "a=b", "Set-Cookie": ["s=1"], "x-api-key": "k", "content-type": "application/json" },
      attributes: { "http.request.header.authorization": "Bearer k", "url.query": "code=1", "rpc.response.status_code": "0" },
      body: { client_secret: "s", access_token: "a", refresh_token: "r", id_token: "i", state: "st", code: "c", keyHash: "h" },
      status: { code: 2, ok: true },
    };
    expect(redactValue(value)).toEqual({
      headers: {
        Authorization: FILTERED,
        cookie: FILTERED,
        "Set-Cookie": FILTERED,
        "x-api-key": FILTERED,
        "content-type": "application/json",
      },
      attributes: { "http.request.header.authorization": FILTERED, "url.query": FILTERED, "rpc.response.status_code": "0" },
      body: {
        client_secret: FILTERED,
        access_token: FILTERED,
        refresh_token: FILTERED,
        id_token: FILTERED,
        state: FILTERED,
        code: FILTERED,
        keyHash: FILTERED,
      },
      status: { code: 2, ok: true },
    });
  });

  it("filters the MCP session id under any of its names, on every endpoint", () => {
    const sessionId = "s-1";
    expect(redactValue({ "mcp.session.id": sessionId, "Mcp-Session-Id": sessionId, sessionId, "mcp.method.name": "tools/call" })).toEqual({
      "mcp.session.id": FILTERED,
      "Mcp-Session-Id": FILTERED,
      sessionId: FILTERED,
      "mcp.method.name": "tools/call",
    });
    const marked = scrubSpan({
      attributes: { "mcp.session.id": { value: sessionId, type: "string" }, [ENDPOINT_ATTRIBUTE]: { value: "internal", type: "string" } },
    });
    expect(marked.attributes["mcp.session.id"]).toBe(FILTERED);
  });

  it("filters header lists given as [name, value] pairs", () => {
    expect(
      redactValue([
        ["Cookie", "sid=1"],
        ["Accept", "text/html"],
      ]),
    ).toEqual([
      ["Cookie", FILTERED],
      ["Accept", "text/html"],
    ]);
  });

  it("copies instead of changing the input, and survives cycles", () => {
    const input: Record<string, unknown> = { message: "Bearer abcdefgh" };
    input.self = input;
    const output = redactValue(input) as Record<string, unknown>;
    expect(output.message).toBe(`Bearer ${FILTERED}`);
    expect(output.self).toBe(FILTERED);
    expect(input.message).toBe("Bearer abcdefgh");
  });
});

describe("scrubEvent", () => {
  const request = {
    url: "https://mcp.example.com/callback?code=abc&state=xyz",
    query_string: "code=abc&state=xyz",
    cookies: { session: "s" },
    data: "code=abc",
    headers: { Authorization: "Bearer k", "User-Agent": "test" },
  };
  const trace = {
    data: {
      "mcp.request.argument.site_id": '"a.example"',
      "mcp.tool.result.content": "rows",
      "client.address": "203.0.113.9",
      "user.email": "x@y",
      "mcp.tool.name": "query",
    },
  };

  it("never sends request cookies, bodies or query strings, and filters secret headers", () => {
    const event = scrubEvent({ request, tags: { endpoint: "mcp" } });
    expect(event.request).toEqual({
      url: `https://mcp.example.com/callback?${FILTERED}`,
      headers: { Authorization: FILTERED, "User-Agent": "test" },
    });
  });

  it("removes the user, client address and MCP inputs and outputs from anonymous events", () => {
    const event = scrubEvent({
      user: { email: "a@b", ip_address: "203.0.113.9" },
      tags: { endpoint: "sse" },
      contexts: { trace: structuredClone(trace) },
    });
    expect(event).not.toHaveProperty("user");
    expect(event.contexts).toEqual({ trace: { data: { "mcp.tool.name": "query" } } });
    // Untagged events count as anonymous.
    expect(scrubEvent({ user: { email: "a@b" } })).not.toHaveProperty("user");
  });

  it("keeps the member's email (only) and the MCP inputs and outputs on /internal events", () => {
    const event = scrubEvent({
      user: { email: "grace@example.com", ip_address: "203.0.113.9", id: "1" },
      tags: { endpoint: "internal" },
      contexts: { trace: structuredClone(trace) },
    });
    expect(event.user).toEqual({ email: "grace@example.com" });
    expect((event.contexts as typeof trace & { trace: typeof trace }).trace.data["mcp.request.argument.site_id"]).toBe('"a.example"');
  });
});

describe("scrubSpan", () => {
  const attributes = {
    "mcp.request.argument.site_id": { value: '"a.example"', type: "string" },
    "mcp.tool.result.content": { value: "| visitors |", type: "string" },
    "http.request.header.cookie": { value: "sid=1", type: "string" },
    "url.full": { value: "https://mcp.example.com/authorize?state=s", type: "string" },
  };

  it("drops MCP inputs and outputs from unmarked spans and filters secrets", () => {
    expect(scrubSpan({ name: "tools/call query", attributes }).attributes).toEqual({
      "http.request.header.cookie": FILTERED,
      "url.full": { value: `https://mcp.example.com/authorize?${FILTERED}`, type: "string" },
    });
  });

  it("keeps them on spans marked as /internal, still filtering secrets", () => {
    const marked = scrubSpan({
      name: "tools/call query",
      attributes: { ...attributes, [ENDPOINT_ATTRIBUTE]: { value: "internal", type: "string" } },
    });
    expect(marked.attributes["mcp.request.argument.site_id"]).toEqual({ value: '"a.example"', type: "string" });
    expect(marked.attributes["http.request.header.cookie"]).toBe(FILTERED);
  });

  it("reads static spans' data too", () => {
    expect(scrubSpan({ data: { "mcp.request.argument.site_id": "x", [ENDPOINT_ATTRIBUTE]: "mcp" } }).data).toEqual({
      [ENDPOINT_ATTRIBUTE]: "mcp",
    });
  });
});

describe("scrubBreadcrumb", () => {
  it("redacts messages and data", () => {
    expect(
      scrubBreadcrumb({ category: "console", message: "token request: code=abc", data: { arguments: ["Authorization: Bearer abcdefgh"] } }),
    ).toEqual({
      category: "console",
      message: `token request: code=${FILTERED}`,
      data: { arguments: [`Authorization: Bearer ${FILTERED}`] },
    });
  });
});
