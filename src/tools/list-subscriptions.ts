import { z } from "zod";
import { subscriptionSchema, subscriptionsOf, toStructured } from "./subscribe-digest";
import { defineTool } from "./types";

export const listSubscriptionsTool = defineTool({
  name: "list_subscriptions",
  title: "List digest subscriptions",
  description: [
    "The webhooks that get this scope's weekly digests and change alerts, with their ids (for unsubscribe).",
    "Destinations are shown as scheme and host only; a paused one stopped after failed deliveries.",
  ],
  hints: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  inputSchema: z.object({}),
  outputSchema: z.object({ subscriptions: z.array(subscriptionSchema) }),
  async run(_input, context) {
    const subscriptions = (await subscriptionsOf(context).list()).map(toStructured);
    return {
      structured: { subscriptions },
      text: subscriptions.length === 0 ? "No subscriptions; subscribe_digest adds one." : "",
      listing: {
        key: "subscriptions",
        headers: ["id", "site", "sends", "format", "to", "state"],
        cells: subscriptions.map((row) => [
          row.id,
          row.site_id,
          row.kinds.join(", "),
          row.format,
          row.destination,
          row.paused_at ? `paused ${row.paused_at}` : "active",
        ]),
        narrow: "unsubscribe from the ones no longer needed",
      },
    };
  },
});
