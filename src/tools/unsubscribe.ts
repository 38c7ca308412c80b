import { z } from "zod";
import { subscriptionsOf } from "./subscribe-digest";
import { defineTool, ToolInputError } from "./types";

export const unsubscribeTool = defineTool({
  name: "unsubscribe",
  title: "Unsubscribe a webhook",
  description: ["Stops a subscription's digests and alerts and deletes it, by its id (list_subscriptions shows ids)."],
  hints: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  inputSchema: z.object({ id: z.string().min(1).describe("The subscription's id, e.g. sub_0123456789abcdef") }),
  outputSchema: z.object({ id: z.string(), deleted: z.boolean() }),
  async run(input, context) {
    if (!(await subscriptionsOf(context).unsubscribe(input.id)))
      throw new ToolInputError("id", `there is no subscription ${input.id} here; list_subscriptions shows this scope's ids`);
    return { structured: { id: input.id, deleted: true }, text: `Unsubscribed ${input.id}; nothing more will be sent to it.` };
  },
});
