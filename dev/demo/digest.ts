// The demo's digest: the demo key subscribes example.com's weekly digest and change alerts to the
// local webhook sink, through the subscribe_digest tool, unless a subscription to the sink exists.

import { callOk, connectWithKey } from "../clients/mcp-clients.ts";
import type { SinkDelivery } from "./webhook-sink.ts";
import type { DemoStack } from "./stack.ts";

interface Listed {
  subscriptions: { id: string; destination: string }[];
}

export async function subscribeDemoDigest(stack: DemoStack): Promise<string> {
  const key = await connectWithKey("SDK v2, Streamable HTTP", stack.urls.mcp, stack.apiKey);
  try {
    const destination = `${stack.urls.sink}/…`;
    const { subscriptions } = await callOk<Listed>(key, "list_subscriptions");
    const existing = subscriptions.find((subscription) => subscription.destination === destination);
    if (existing) return existing.id;
    const made = await callOk<{ subscription: { id: string } }>(key, "subscribe_digest", {
      site_id: "example.com",
      webhook_url: `${stack.urls.sink}/demo`,
      kinds: ["weekly_digest", "change_alerts", "pacing_alerts"],
      format: "slack",
    });
    return made.subscription.id;
  } finally {
    await key.close();
  }
}

/** What the sink prints for one delivery: the path and the message's text. */
export function describeDelivery(delivery: SinkDelivery): string {
  const text = typeof delivery.body.text === "string" ? delivery.body.text : JSON.stringify(delivery.body);
  return `[sink] POST ${delivery.path}\n${text
    .split("\n")
    .map((line) => `[sink]   ${line}`)
    .join("\n")}\n`;
}
