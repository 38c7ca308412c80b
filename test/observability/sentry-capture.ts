import { env } from "cloudflare:workers";
import { interceptOrigin } from "../support/fetch-boundary";

/**
 * Answers the Sentry SDK's own transport at the fetch boundary: every envelope that would be sent
 * is kept here, nothing reaches a network. The "workers-sentry" test project (vitest.config.ts)
 * gives the worker a SENTRY_DSN, so Sentry is on there from the moment the worker loads.
 */

export interface SentryItem {
  type: string;
  payload: Record<string, unknown>;
}

export interface SentryCapture {
  /** Everything the SDK tried to send, exactly as it would have gone out. */
  readonly bodies: string[];
  items(): SentryItem[];
  events(): Record<string, unknown>[];
  /** Streamed spans, and the spans inside transactions. */
  spans(): Record<string, unknown>[];
}

export function captureSentry(): SentryCapture {
  const dsn = (env as unknown as { SENTRY_DSN?: string }).SENTRY_DSN;
  if (!dsn) throw new Error("Sentry tests run in the workers-sentry project, which sets SENTRY_DSN (vitest.config.ts)");
  const bodies: string[] = [];
  interceptOrigin(new URL(dsn).origin, async (request) => {
    bodies.push(await request.text());
    return new Response("{}", { status: 200 });
  });
  const items = () => bodies.flatMap(parseEnvelope);
  return {
    bodies,
    items,
    events: () =>
      items()
        .filter((item) => item.type === "event")
        .map((item) => item.payload),
    spans: () =>
      items().flatMap((item) => {
        if (item.type === "span") return (item.payload.items as Record<string, unknown>[]) ?? [];
        if (item.type === "transaction")
          return [item.payload.contexts as Record<string, unknown>, ...((item.payload.spans as Record<string, unknown>[]) ?? [])];
        return [];
      }),
  };
}

/** An envelope is a header line, then an item header line and a payload line per item. */
function parseEnvelope(body: string): SentryItem[] {
  const lines = body.split("\n").filter((line) => line.trim() !== "");
  const items: SentryItem[] = [];
  for (let index = 1; index + 1 < lines.length; index += 2) {
    const header = JSON.parse(lines[index]!) as { type: string };
    items.push({ type: header.type, payload: JSON.parse(lines[index + 1]!) as Record<string, unknown> });
  }
  return items;
}
