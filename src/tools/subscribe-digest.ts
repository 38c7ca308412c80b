import { z } from "zod";
import { DIGEST_FORMATS, DIGEST_KINDS, type DigestSubscriptions, type Subscription } from "./digest-subscriptions";
import { resolveSiteId } from "./query-parts";
import { siteId } from "./schemas";
import { defineTool, ToolInputError, type ToolContext } from "./types";

export const subscriptionSchema = z.object({
  id: z.string(),
  site_id: z.string(),
  kinds: z.array(z.enum(DIGEST_KINDS)),
  format: z.enum(DIGEST_FORMATS),
  destination: z.string().describe("The webhook's scheme and host; the full URL is stored encrypted and never shown"),
  created_at: z.string(),
  created_by: z.string().optional(),
  paused_at: z.string().optional().describe("Set when deliveries kept failing; subscribe again to resume"),
  failures_in_a_row: z.number(),
});

/** The subscriptions port of the caller's scope, or a tool error saying this server keeps none. */
export function subscriptionsOf(context: ToolContext): DigestSubscriptions {
  if (!context.subscriptions) throw new Error("This server does not keep digest subscriptions here; use the team or key connector.");
  return context.subscriptions;
}

export const subscribeDigestTool = defineTool({
  name: "subscribe_digest",
  title: "Subscribe to digests and alerts",
  description: [
    "Sends a site's weekly digest (Monday about 08:00 in the site's timezone) and change alerts (daily) to a webhook.",
    "The webhook must be https on a public host (Slack or Google Chat incoming webhook, or any JSON endpoint).",
    "The URL is stored encrypted and shown back only as scheme and host.",
    "Subscriptions belong to the team on the team connector and to the API key's holder elsewhere.",
  ],
  hints: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  inputSchema: z.object({
    site_id: siteId,
    webhook_url: z.string().min(1).describe("The incoming webhook's full https URL"),
    kinds: z
      .array(z.enum(DIGEST_KINDS))
      .min(1)
      .default(["weekly_digest", "change_alerts"])
      .describe("What to send: weekly_digest, change_alerts (flagged days, segment anomalies), pacing_alerts"),
    format: z.enum(DIGEST_FORMATS).default("slack").describe("The body's shape: slack, google_chat or json"),
  }),
  outputSchema: z.object({ subscription: subscriptionSchema }),
  async run(input, context) {
    const site = resolveSiteId(input.site_id, context);
    const outcome = await subscriptionsOf(context).subscribe({
      siteId: site,
      webhookUrl: input.webhook_url,
      kinds: [...new Set(input.kinds)],
      format: input.format,
    });
    if (!outcome.ok) throw new ToolInputError("webhook_url", outcome.reason);
    const subscription = toStructured(outcome.subscription);
    return {
      structured: { subscription },
      text: [
        `Subscribed ${subscription.destination} to ${subscription.kinds.join(", ")} for ${site}`,
        `(${subscription.format}); id ${subscription.id}.`,
      ].join(" "),
    };
  },
});

export function toStructured(subscription: Subscription): z.output<typeof subscriptionSchema> {
  return {
    id: subscription.id,
    site_id: subscription.siteId,
    kinds: subscription.kinds,
    format: subscription.format,
    destination: subscription.destination,
    created_at: subscription.createdAt,
    ...(subscription.createdBy ? { created_by: subscription.createdBy } : {}),
    ...(subscription.pausedAt ? { paused_at: subscription.pausedAt } : {}),
    failures_in_a_row: subscription.failuresInARow,
  };
}
