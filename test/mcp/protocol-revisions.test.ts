import { Client as ClientV2, StreamableHTTPClientTransport as StreamableHTTPClientTransportV2 } from "@modelcontextprotocol/client";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { CLIENT_CAPABILITIES_META_KEY, CLIENT_INFO_META_KEY, PROTOCOL_VERSION_META_KEY } from "@modelcontextprotocol/server";
import { afterEach, describe, expect, it } from "vitest";
import { internalPathFor, type InternalPath } from "../../src/mcp/internal-endpoint";
import { Browser, connectedClient, useSignInFakes, RESOURCE, withToken } from "../support/harness";
import { ORIGIN, textOf, workerFetch } from "../support/mcp-clients";
import { TOOL_NAMES } from "../support/tool-names";

const MODERN = "2026-07-28";
const ENVELOPE = {
  [PROTOCOL_VERSION_META_KEY]: MODERN,
  [CLIENT_INFO_META_KEY]: { name: "t", version: "1" },
  [CLIENT_CAPABILITIES_META_KEY]: {},
};
const JSON_HEADERS = { "Content-Type": "application/json", Accept: "application/json, text/event-stream" };

function post(path: string, body: unknown, headers: Record<string, string> = {}): Request {
  return new Request(`${ORIGIN}${path}`, { method: "POST", headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify(body) });
}

describe("which /internal requests the stateless 2026-07-28 server answers, and which the session", () => {
  const cases: Array<[string, Request, InternalPath]> = [
    [
      "server/discover with the envelope",
      post("/internal", { jsonrpc: "2.0", id: 1, method: "server/discover", params: { _meta: ENVELOPE } }),
      "stateless",
    ],
    [
      "tools/list with the envelope and the 2026-07-28 headers",
      post(
        "/internal",
        { jsonrpc: "2.0", id: 1, method: "tools/list", params: { _meta: ENVELOPE } },
        { "MCP-Protocol-Version": MODERN, "Mcp-Method": "tools/list" },
      ),
      "stateless",
    ],
    [
      "tools/call with the envelope and Mcp-Name",
      post(
        "/internal",
        { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "get_aggregate", arguments: {}, _meta: ENVELOPE } },
        { "Mcp-Method": "tools/call", "Mcp-Name": "get_aggregate" },
      ),
      "stateless",
    ],
    // The stateless server owns the error answer for a modern header without the envelope.
    [
      "a 2026-07-28 header without the envelope",
      post("/internal", { jsonrpc: "2.0", id: 1, method: "tools/list" }, { "MCP-Protocol-Version": MODERN }),
      "stateless",
    ],
    [
      "initialize (2025-era handshake)",
      post("/internal", {
        jsonrpc: "2.0",
        id: 1,
        method: "initialize",
        params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "t", version: "1" } },
      }),
      "session",
    ],
    [
      "a 2025-era request with mcp-session-id",
      post(
        "/internal",
        { jsonrpc: "2.0", id: 2, method: "tools/list" },
        { "mcp-session-id": "a".repeat(64), "MCP-Protocol-Version": "2025-11-25" },
      ),
      "session",
    ],
    ["a 2025-era notification", post("/internal", { jsonrpc: "2.0", method: "notifications/initialized" }), "session"],
    [
      "GET: the SSE stream (legacy SSE or Streamable HTTP)",
      new Request(`${ORIGIN}/internal`, { headers: { Accept: "text/event-stream" } }),
      "session",
    ],
    [
      "DELETE of a session",
      new Request(`${ORIGIN}/internal`, { method: "DELETE", headers: { "mcp-session-id": "a".repeat(64) } }),
      "session",
    ],
    [
      "POST /internal/message (legacy SSE), even with an envelope",
      post("/internal/message?sessionId=x", { jsonrpc: "2.0", id: 1, method: "tools/list", params: { _meta: ENVELOPE } }),
      "session",
    ],
  ];
  it.each(cases.map(([name, request, expected]) => ({ name, request, expected })))("$name -> $expected", async ({ request, expected }) => {
    expect(await internalPathFor(request)).toBe(expected);
    // The body stays readable for whichever handler serves it.
    if (request.method === "POST") expect(await request.json()).toBeTruthy();
  });
});

interface ListedTool {
  name: string;
  title?: string;
  description?: string;
  inputSchema: unknown;
  outputSchema?: unknown;
  annotations?: unknown;
}
interface AnyClient {
  listTools(): Promise<{ tools: ListedTool[]; ttlMs?: number; cacheScope?: string }>;
  callTool(request: { name: string; arguments?: Record<string, unknown> }): Promise<{ isError?: boolean; content: unknown }>;
  close(): Promise<void>;
}
type ClientFetch = (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>;
type Kind = "SDK v2 pinned 2026-07-28" | "SDK v2 auto" | "SDK v1 Streamable HTTP" | "SDK v1 SSE";

async function connect(kind: Kind, url: string, fetch: ClientFetch): Promise<{ client: AnyClient; protocolVersion?: string }> {
  const info = { name: "revisions-test", version: "1.0.0" };
  if (kind === "SDK v2 pinned 2026-07-28" || kind === "SDK v2 auto") {
    const mode = kind === "SDK v2 auto" ? ("auto" as const) : { pin: MODERN };
    const client = new ClientV2(info, { versionNegotiation: { mode } });
    await client.connect(new StreamableHTTPClientTransportV2(new URL(url), { fetch }));
    return { client: client as unknown as AnyClient, protocolVersion: client.getNegotiatedProtocolVersion() };
  }
  const client = new Client(info);
  const transport =
    kind === "SDK v1 SSE"
      ? new SSEClientTransport(new URL(url), { fetch, eventSourceInit: { fetch } as never })
      : new StreamableHTTPClientTransport(new URL(url), { fetch });
  await client.connect(transport);
  return { client: client as unknown as AnyClient, protocolVersion: (transport as { protocolVersion?: string }).protocolVersion };
}

const withKey =
  (apiKey: string): ClientFetch =>
  (input, init) => {
    const request = new Request(input, init);
    request.headers.set("authorization", `Bearer ${apiKey}`);
    return workerFetch(request);
  };

const fakes = useSignInFakes();
afterEach(() => fakes.plausible.restore());

async function memberFetch(sub: string): Promise<ClientFetch> {
  fakes.issuer.user = { sub, email: `${sub}@example.com`, name: sub, email_verified: true };
  const browser = new Browser();
  const { tokens } = await connectedClient(browser, fakes.issuer);
  return withToken(browser, tokens.access_token);
}

const aggregate = (site: string) => ({ name: "get_aggregate", arguments: { site_id: site, date_range: "7d" } });

describe("every endpoint and protocol revision serves the same server", () => {
  it("lists the same tools, with the same schemas and annotations, on /mcp, /sse and /internal in every revision", async () => {
    const member = await memberFetch("parity-member");
    // A key the fake Plausible accepts: /sse opens a stream only for such a key.
    const key = withKey("test-key-bbbbbbbb");
    const endpoints: Array<[string, Kind, string, ClientFetch]> = [
      ["/mcp", "SDK v2 pinned 2026-07-28", `${ORIGIN}/mcp`, key],
      ["/mcp", "SDK v2 auto", `${ORIGIN}/mcp`, key],
      ["/mcp", "SDK v1 Streamable HTTP", `${ORIGIN}/mcp`, key],
      ["/sse", "SDK v1 SSE", `${ORIGIN}/sse`, key],
      ["/internal", "SDK v2 pinned 2026-07-28", RESOURCE, member],
      ["/internal", "SDK v2 auto", RESOURCE, member],
      ["/internal", "SDK v1 Streamable HTTP", RESOURCE, member],
      ["/internal", "SDK v1 SSE", RESOURCE, member],
    ];
    const listed: Array<{ where: string; tools: ListedTool[] }> = [];
    for (const [path, kind, url, fetch] of endpoints) {
      const { client, protocolVersion } = await connect(kind, url, fetch);
      if (kind.startsWith("SDK v2")) expect(protocolVersion, `${kind} on ${path}`).toBe(MODERN);
      if (kind === "SDK v1 Streamable HTTP") expect(protocolVersion, `${kind} on ${path}`).toBe("2025-11-25");
      const { tools } = await client.listTools();
      listed.push({ where: `${kind} on ${path}`, tools: [...tools].sort((a, b) => a.name.localeCompare(b.name)) });
      await client.close();
    }
    expect(listed[0]!.tools.map((tool) => tool.name)).toEqual(TOOL_NAMES);
    const comparable = (tools: ListedTool[]) =>
      tools.map(({ name, title, description, inputSchema, outputSchema, annotations }) => ({
        name,
        title,
        description,
        inputSchema,
        outputSchema,
        annotations,
      }));
    for (const { where, tools } of listed.slice(1)) expect(comparable(tools), where).toEqual(comparable(listed[0]!.tools));
  });

  it("answers tools/list on 2026-07-28 with a public one-hour cache hint, on /mcp and /internal", async () => {
    for (const [url, fetch] of [
      [`${ORIGIN}/mcp`, withKey("cache-hint-key-0123456789")],
      [RESOURCE, await memberFetch("cache-hint-member")],
    ] as const) {
      const { client } = await connect("SDK v2 pinned 2026-07-28", url, fetch);
      const listed = await client.listTools();
      expect({ url, ttlMs: listed.ttlMs, cacheScope: listed.cacheScope }).toEqual({ url, ttlMs: 3_600_000, cacheScope: "public" });
      await client.close();
    }
  });
});

describe("/internal on 2026-07-28", () => {
  it("calls tools on the shared key through the member's own usage agent, whose cache the member's session shares", async () => {
    const member = await memberFetch("modern-member");
    for (const kind of ["SDK v2 pinned 2026-07-28", "SDK v2 auto"] as const) {
      const { client } = await connect(kind, RESOURCE, member);
      const result = await client.callTool(aggregate(`${kind.length}.modern.example.com`));
      expect(result.isError, textOf(result)).toBeFalsy();
      expect(fakes.plausible.requests.at(-1)?.authorization).toBe("Bearer test-plausible-api-key");
      await client.close();
    }

    // One usage agent per member, whatever the path: a question asked statelessly is cached for the session.
    const stateless = await connect("SDK v2 pinned 2026-07-28", RESOURCE, member);
    await stateless.client.callTool(aggregate("shared-cache.example.com"));
    const sent = fakes.plausible.requests.length;
    const session = await connect("SDK v1 Streamable HTTP", RESOURCE, member);
    const repeated = await session.client.callTool(aggregate("shared-cache.example.com"));
    expect(repeated.isError, textOf(repeated)).toBeFalsy();
    expect(fakes.plausible.requests.length).toBe(sent);
    await Promise.all([stateless.client.close(), session.client.close()]);
  });

  it("refuses a 2026-07-28 request without a valid token before any server runs", async () => {
    const response = await workerFetch(
      post(
        "/internal",
        { jsonrpc: "2.0", id: 1, method: "tools/list", params: { _meta: ENVELOPE } },
        { Authorization: "Bearer not-a-token", "MCP-Protocol-Version": MODERN },
      ),
    );
    expect(response.status).toBe(401);
    expect(fakes.plausible.requests).toHaveLength(0);
  });
});
