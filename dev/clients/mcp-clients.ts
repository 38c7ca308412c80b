import { Client as ClientV2, StreamableHTTPClientTransport as StreamableHTTPClientTransportV2 } from "@modelcontextprotocol/client";
import type { OAuthClientProvider } from "@modelcontextprotocol/sdk/client/auth.js";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

/** "SDK v2, Streamable HTTP" is pinned to 2026-07-28; "SDK v2, auto" probes server/discover and falls back to a 2025 handshake. */
export type ClientKind = "SDK v1, Streamable HTTP" | "SDK v1, SSE" | "SDK v2, Streamable HTTP" | "SDK v2, auto";

/** What the tests use of a connected client, the same for both SDK generations. */
export interface E2eClient {
  listTools(): Promise<{ tools: Array<{ name: string; _meta?: Record<string, unknown> }> }>;
  callTool(request: { name: string; arguments?: Record<string, unknown> }): Promise<ToolResult>;
  getPrompt(request: {
    name: string;
    arguments?: Record<string, string>;
  }): Promise<{ messages: Array<{ role: string; content: { type: string; text?: string } }> }>;
  complete(request: {
    ref: { type: "ref/prompt"; name: string } | { type: "ref/resource"; uri: string };
    argument: { name: string; value: string };
    context?: { arguments?: Record<string, string> };
  }): Promise<{ completion: { values: string[] } }>;
  readResource(request: {
    uri: string;
  }): Promise<{ contents: Array<{ uri: string; mimeType?: string; text?: string; _meta?: Record<string, unknown> }> }>;
  close(): Promise<void>;
  /** The protocol version agreed (by initialize, or server/discover on 2026-07-28). */
  protocolVersion: string | undefined;
}

export interface ToolResult {
  isError?: boolean;
  content: unknown;
  structuredContent?: unknown;
}

const CLIENT_INFO = { name: "plausible-mcp-e2e", version: "1.0.0" };

/** A client on /mcp or /sse with a Plausible key as bearer. */
export async function connectWithKey(kind: ClientKind, url: string, apiKey: string): Promise<E2eClient> {
  return connect(kind, url, { requestInit: { headers: { Authorization: `Bearer ${apiKey}` } } });
}

/** A client on /internal whose access token comes from `authProvider` (already authorized). */
export function connectWithOAuth(kind: ClientKind, url: string, authProvider: OAuthClientProvider): Promise<E2eClient> {
  return connect(kind, url, { authProvider });
}

async function connect(
  kind: ClientKind,
  url: string,
  auth: { requestInit: RequestInit } | { authProvider: OAuthClientProvider },
): Promise<E2eClient> {
  if (kind === "SDK v2, Streamable HTTP" || kind === "SDK v2, auto") {
    // The v2 client speaks the 2025 handshake unless told otherwise; pinning fails loudly if the
    // server cannot serve the 2026-07-28 revision.
    const mode = kind === "SDK v2, auto" ? ("auto" as const) : { pin: "2026-07-28" };
    const client = new ClientV2(CLIENT_INFO, { versionNegotiation: { mode } });
    await client.connect(new StreamableHTTPClientTransportV2(new URL(url), auth as never));
    return wrap(client, client.getNegotiatedProtocolVersion());
  }
  const client = new Client(CLIENT_INFO);
  await client.connect(
    kind === "SDK v1, SSE" ? new SSEClientTransport(new URL(url), auth) : new StreamableHTTPClientTransport(new URL(url), auth),
  );
  return wrap(client, protocolVersionOf(client));
}

/** v1 transports for Streamable HTTP keep the negotiated version; the SSE one does not. */
function protocolVersionOf(client: Client): string | undefined {
  return (client.transport as { protocolVersion?: string } | undefined)?.protocolVersion;
}

type SdkClient = Client | ClientV2;

function wrap(client: SdkClient, protocolVersion: string | undefined): E2eClient {
  const sdk = client as unknown as Omit<E2eClient, "protocolVersion">;
  return {
    listTools: () => sdk.listTools(),
    callTool: (request) => sdk.callTool(request),
    getPrompt: (request) => sdk.getPrompt(request),
    complete: (request) => sdk.complete(request),
    readResource: (request) => sdk.readResource(request),
    close: () => client.close(),
    protocolVersion,
  };
}

/** The structured result of a successful tool call; fails the test with the tool's own text otherwise. */
export async function callOk<T>(client: E2eClient, name: string, args: Record<string, unknown> = {}): Promise<T> {
  const result = await client.callTool({ name, arguments: args });
  if (result.isError) throw new Error(`${name} failed: ${textOf(result)}`);
  return result.structuredContent as T;
}

export function textOf(result: ToolResult): string {
  return (result.content as Array<{ type: string; text?: string }>).map((part) => part.text ?? "").join("\n");
}
