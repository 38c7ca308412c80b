// What the soak's clients do: real MCP clients (SDK v1 and v2) on /mcp with bearer keys and on
// /internal with signed-in users' tokens, each making a few calls from its agent's pool and
// repeating them, and how every answer is classified and attributed to a usage agent.

import { Client as ClientV2, StreamableHTTPClientTransport as StreamableHTTPClientTransportV2 } from "@modelcontextprotocol/client";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

/** One usage agent on the server: an API key's (/mcp) or a signed-in user's (/internal). */
export interface AgentPlan {
  id: string;
  endpoint: "/mcp" | "/internal";
  bearer: string;
}

export interface ToolCall {
  id: string;
  name: string;
  arguments: Record<string, unknown>;
}

/** ok: an answer; rate_limited: the intended refusal of a bucket or the shared-key quota; error: anything else. */
export type Outcome = "ok" | "rate_limited" | "error";

export interface CallRecord {
  agent: string;
  call: string;
  outcome: Outcome;
  detail?: string;
  startMs: number;
  endMs: number;
}

interface SoakClient {
  callTool(request: { name: string; arguments: Record<string, unknown> }): Promise<{ isError?: boolean; content?: unknown }>;
  close(): Promise<void>;
}

/** Ends the session on the server (DELETE, for a stateful endpoint), then the client, as a well-behaved client leaves. */
async function leave(client: SoakClient, transport: { terminateSession(): Promise<void> }): Promise<void> {
  await transport.terminateSession().catch(() => undefined);
  await client.close().catch(() => undefined);
}

const INTENDED_REFUSALS = [
  /^Rate limit reached for this (API key|user)/,
  /^The team's shared Plausible key has used/,
  /^Plausible refused the team's shared key/,
];

/**
 * The distinct calls an agent's clients draw from. Every range is a whole past month, so answers
 * stay cached for CACHE_TTL_SECONDS and each distinct call reaches Plausible at most once.
 */
export function callPool(sites: string[], size: number, now = new Date()): ToolCall[] {
  const pool: ToolCall[] = [];
  for (let monthsBack = 1; pool.length < size; monthsBack += 1) {
    const first = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - monthsBack, 1));
    const last = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - monthsBack + 1, 0));
    const range = [first, last].map((date) => date.toISOString().slice(0, 10));
    for (const site of sites) {
      pool.push({
        id: `aggregate ${site} ${range[0]}`,
        name: "get_aggregate",
        arguments: { site_id: site, date_range: range, metrics: ["visitors", "pageviews"] },
      });
      pool.push({
        id: `breakdown ${site} ${range[0]}`,
        name: "get_breakdown",
        arguments: { site_id: site, date_range: range, dimension: "visit:source", metrics: ["visitors"] },
      });
    }
  }
  return pool.slice(0, size);
}

/** Client `index` of an agent's clients takes `perClient` consecutive calls of the pool, so neighbours overlap. */
export function callsFor(pool: ToolCall[], index: number, perClient: number): ToolCall[] {
  return Array.from({ length: perClient }, (_, offset) => pool[(index * perClient + offset) % pool.length]!);
}

async function connect(workerUrl: string, agent: AgentPlan, sdk: "v1" | "v2"): Promise<{ client: SoakClient; leave(): Promise<void> }> {
  const url = new URL(`${workerUrl}${agent.endpoint}`);
  const requestInit = { headers: { Authorization: `Bearer ${agent.bearer}` } };
  if (sdk === "v2") {
    const client = new ClientV2({ name: "plausible-mcp-soak", version: "1.0.0" });
    const transport = new StreamableHTTPClientTransportV2(url, { requestInit });
    await client.connect(transport);
    return { client: client as unknown as SoakClient, leave: () => leave(client as unknown as SoakClient, transport) };
  }
  const client = new Client({ name: "plausible-mcp-soak", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(url, { requestInit });
  await client.connect(transport);
  return { client: client as unknown as SoakClient, leave: () => leave(client as unknown as SoakClient, transport) };
}

function textOf(result: { content?: unknown }): string {
  return ((result.content ?? []) as { text?: string }[]).map((part) => part.text ?? "").join("\n");
}

export interface ClientRun {
  agent: AgentPlan;
  sdk: "v1" | "v2";
  calls: ToolCall[];
  repeats: number;
}

/** Connects, makes every call `repeats` times in order, closes; never throws: failures are records. */
export async function runClient(workerUrl: string, run: ClientRun, records: CallRecord[]): Promise<void> {
  let connection: Awaited<ReturnType<typeof connect>>;
  const connectedAt = Date.now();
  try {
    connection = await connect(workerUrl, run.agent, run.sdk);
  } catch (error) {
    records.push({
      agent: run.agent.id,
      call: "connect",
      outcome: "error",
      detail: String(error),
      startMs: connectedAt,
      endMs: Date.now(),
    });
    return;
  }
  for (let repeat = 0; repeat < run.repeats; repeat += 1) {
    for (const call of run.calls) {
      const startMs = Date.now();
      try {
        const result = await connection.client.callTool({ name: call.name, arguments: call.arguments });
        const text = textOf(result);
        const outcome: Outcome = !result.isError
          ? "ok"
          : INTENDED_REFUSALS.some((pattern) => pattern.test(text))
            ? "rate_limited"
            : "error";
        records.push({
          agent: run.agent.id,
          call: call.id,
          outcome,
          ...(outcome === "error" ? { detail: text } : {}),
          startMs,
          endMs: Date.now(),
        });
      } catch (error) {
        records.push({ agent: run.agent.id, call: call.id, outcome: "error", detail: String(error), startMs, endMs: Date.now() });
      }
    }
  }
  await connection.leave();
}
