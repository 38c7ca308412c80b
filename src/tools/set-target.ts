import { z } from "zod";
import { MEMORY_WRITE_HINTS, targetMetric, targetPeriod } from "./memory-schemas";
import { resolveSiteId } from "./query-parts";
import { siteId } from "./schemas";
import { defineTool } from "./types";

export const setTargetTool = defineTool({
  name: "set_target",
  title: "Set target",
  description: [
    "Sets the goal for a site's metric over a month or a quarter, e.g. 120000 visitors in 2026-05, replacing any earlier one.",
    "get_pacing then says whether the site is on track.",
    "On the team connector only administrators set targets.",
  ],
  hints: MEMORY_WRITE_HINTS,
  inputSchema: z.object({
    site_id: siteId,
    metric: targetMetric.describe("The count the target is for: visitors, visits, pageviews or events"),
    period: targetPeriod,
    value: z.number().positive().describe("The period's total to reach"),
  }),
  outputSchema: z.object({ site_id: z.string(), metric: z.string(), period: z.string(), value: z.number() }),
  async run(input, context) {
    const site = resolveSiteId(input.site_id, context);
    const target = await context.memory.setTarget({ siteId: site, metric: input.metric, period: input.period, value: input.value });
    return {
      structured: { site_id: site, metric: target.metric, period: target.period, value: target.value },
      text: `Target set: ${site}, ${target.value} ${target.metric} in ${target.period}.`,
    };
  },
});
