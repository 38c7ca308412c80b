import { env } from "cloudflare:workers";
import { interceptOrigin } from "../support/fetch-boundary";

/**
 * Turns Sentry on for the worker and Durable Objects of this test file (each file runs in its own
 * isolate) and answers the SDK's own transport at the fetch boundary: every envelope that would be
 * sent is kept here, nothing reaches a network.
 */
export const TEST_DSN = "https://0123456789abcdef0123456789abcdef@o1.ingest.sentry.test/42";

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
  const settings = env as unknown as Record<string, string>;
  settings.SENTRY_DSN = TEST_DSN;
  settings.SENTRY_TRACES_SAMPLE_RATE = "1.0";
  const bodies: string[] = [];
  interceptOrigin(new URL(TEST_DSN).origin, async (request) => {
    bodies.push(await request.text());
    return new Response("{}", { status: 200 });
  });
  const items = () => bodies.flatMap(parseEnvelope);
  return {
    bodies,
    items,
    events: () => items().filter((item) => item.type === "event").map((item) => item.payload),
    spans: () =>
      items().flatMap((item) => {
        if (item.type === "span") return (item.payload.items as Record<string, unknown>[]) ?? [];
        if (item.type === "transaction") return [item.payload.contexts as Record<string, unknown>, ...((item.payload.spans as Record<string, unknown>[]) ?? [])];
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
