import { exports } from "cloudflare:workers";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { Client as ClientV2, StreamableHTTPClientTransport as StreamableHTTPClientTransportV2 } from "@modelcontextprotocol/client";

export const ORIGIN = "http://127.0.0.1:8787";

/** The worker's own fetch handler, as a client's `fetch`: no network in between. */
export function workerFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  const request = new Request(input, init);
  const headers = new Headers(request.headers);
  headers.set("host", new URL(request.url).host);
  return exports.default.fetch(new Request(request, { headers }));
}

export type Transport = "streamable-http (SDK v1)" | "streamable-http (SDK v2)" | "sse (SDK v1)";
export const TRANSPORTS: Transport[] = ["streamable-http (SDK v1)", "streamable-http (SDK v2)", "sse (SDK v1)"];

/** The client surface the tests use, the same across SDK generations. */
export interface TestClient {
  listTools(): Promise<{ tools: { name: string; inputSchema: unknown; outputSchema?: unknown; annotations?: Record<string, unknown> }[] }>;
  callTool(request: {
    name: string;
    arguments?: Record<string, unknown>;
  }): Promise<{ isError?: boolean; content: unknown; structuredContent?: unknown }>;
  close(): Promise<void>;
}

/** The text parts of a tool result, joined. */
export function textOf(result: object): string {
  const { content = [] } = result as { content?: { type: string; text: string }[] };
  return content.map((part) => part.text).join("\n");
}

/** Connects a real MCP client to the bearer endpoints with `apiKey`. */
export async function connectBearer(transport: Transport, apiKey: string): Promise<TestClient> {
  const headers = { Authorization: `Bearer ${apiKey}` };
  if (transport === "streamable-http (SDK v2)") {
    const client = new ClientV2({ name: "test", version: "1.0.0" });
    await client.connect(new StreamableHTTPClientTransportV2(new URL(`${ORIGIN}/mcp`), { fetch: workerFetch, requestInit: { headers } }));
    return client as unknown as TestClient;
  }
  const client = new Client({ name: "test", version: "1.0.0" });
  if (transport === "sse (SDK v1)") {
    const withKey = (input: RequestInfo | URL, init?: RequestInit) => {
      const request = new Request(input, init);
      request.headers.set("authorization", headers.Authorization);
      return workerFetch(request);
    };
    await client.connect(
      new SSEClientTransport(new URL(`${ORIGIN}/sse`), { fetch: withKey, eventSourceInit: { fetch: withKey } as never }),
    );
  } else {
    await client.connect(new StreamableHTTPClientTransport(new URL(`${ORIGIN}/mcp`), { fetch: workerFetch, requestInit: { headers } }));
  }
  return client as unknown as TestClient;
}
