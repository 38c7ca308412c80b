import { AsyncLocalStorage } from "node:async_hooks";
import { captureException, getActiveSpan, withScope } from "@sentry/cloudflare";
import { ATTRIBUTED_ENDPOINT, ENDPOINT_ATTRIBUTE, redactString } from "./redact";
import { logLine, type ToolCallLine } from "./structured-log";

export type Endpoint = "mcp" | "sse" | "connect" | "internal";

/** Who the tools of one MCP server answer: bearer-key endpoints are anonymous; /internal names the member. */
export type ToolCaller = { endpoint: "mcp" | "sse" | "connect" } | { endpoint: "internal"; email: string };

/** Sent with the Plausible requests of a tool call, so the usage agent can audit them. */
export interface CallAttribution {
  tool: string;
  /** Only on /internal: the member whose call uses the shared key. */
  email?: string;
}

/** What the usage agent reported for the Plausible requests of one call; a failed run reports neither figure. */
export type PlausibleUsage = { ok: true; cacheHits: number; upstreamMs: number } | { ok: false; upstreamMs?: number };

export interface ToolCallHandle {
  /** The call ended in a tool error; `expected` ones (bad input, limits, Plausible's refusals) are no fault of this server. */
  failed(error: unknown, expected: boolean): void;
}

interface ActiveCall {
  attribution: CallAttribution;
  requests: number;
  cacheHits: number;
  upstreamMs: number;
}

const activeCalls = new AsyncLocalStorage<ActiveCall>();

/** The tool call being served in this async context, if any. */
export function currentCallAttribution(): CallAttribution | undefined {
  return activeCalls.getStore()?.attribution;
}

/** Adds one usage agent answer to the current tool call's figures. */
export function recordPlausibleUsage(requests: number, usage: PlausibleUsage): void {
  const call = activeCalls.getStore();
  if (!call) return;
  call.requests += requests;
  call.upstreamMs += usage.upstreamMs ?? 0;
  if (usage.ok) call.cacheHits += usage.cacheHits;
}

/**
 * Runs one tool call: marks its span with the endpoint, reports an unexpected
 * failure to Sentry (with the member as the user on /internal), and writes its log line.
 */
export async function observeToolCall<T>(caller: ToolCaller, tool: string, run: (call: ToolCallHandle) => Promise<T>): Promise<T> {
  const email = caller.endpoint === ATTRIBUTED_ENDPOINT ? caller.email : undefined;
  // Only this call's span and error event are marked: a scope shared beyond the call could carry the member to other events.
  getActiveSpan()?.setAttribute(ENDPOINT_ATTRIBUTE, caller.endpoint);

  const call: ActiveCall = { attribution: { tool, ...(email ? { email } : {}) }, requests: 0, cacheHits: 0, upstreamMs: 0 };
  let outcome: ToolCallLine["outcome"] = "ok";
  let failure: string | undefined;
  const handle: ToolCallHandle = {
    failed(error, expected) {
      outcome = expected ? "tool_error" : "failed";
      if (expected) return;
      failure = redactString(String(error));
      withScope((scope) => {
        scope.setTags({ endpoint: caller.endpoint, tool });
        if (email) scope.setUser({ email });
        captureException(error);
      });
    },
  };
  try {
    return await activeCalls.run(call, () => run(handle));
  } finally {
    logLine({
      event: "tool_call",
      endpoint: caller.endpoint,
      tool,
      ...(email ? { user: email } : {}),
      cache: call.requests === 0 ? "none" : call.cacheHits === call.requests ? "hit" : call.cacheHits === 0 ? "miss" : "partial",
      plausible_requests: call.requests,
      upstream_ms: call.upstreamMs,
      outcome,
      ...(failure ? { error: failure } : {}),
    });
  }
}
