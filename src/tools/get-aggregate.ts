import { z } from "zod";
import { buildFilters, metricRecord, queryEcho, resolveSiteId, runQueries } from "./query-parts";
import { describeRange, table } from "./render";
import { dateRange, dateRangeOutput, metricList, metricValues, narrowing, queryEchoOutput, siteId } from "./schemas";
import { defineTool } from "./types";

export const DEFAULT_SUMMARY_METRICS = ["visitors", "visits", "pageviews", "bounce_rate", "visit_duration"] as const;

export const getAggregateTool = defineTool({
  name: "get_aggregate",
  title: "Totals for a period",
  description: [
    "Totals for one period: visitors, visits, pageviews, bounce rate, visit duration and any other metric,",
    "optionally narrowed to a page, a goal, a custom property or any filter.",
    "Example: how many visitors did /pricing get last week?",
  ],
  inputSchema: z.object({
    site_id: siteId,
    date_range: dateRange.default("28d"),
    metrics: metricList
      .default([...DEFAULT_SUMMARY_METRICS])
      .describe("Defaults to visitors, visits, pageviews, bounce_rate, visit_duration"),
    ...narrowing,
  }),
  outputSchema: z.object({ site_id: z.string(), date_range: dateRangeOutput, ...queryEchoOutput, metrics: metricValues }),
  async run(input, context) {
    const site = resolveSiteId(input.site_id, context);
    const filters = buildFilters(input);
    const [answer] = await runQueries(context, [{ site_id: site, metrics: input.metrics, date_range: input.date_range, filters }]);
    const metrics = metricRecord(input.metrics, answer!.results[0]?.metrics ?? []);
    return {
      structured: { site_id: site, date_range: input.date_range, ...queryEcho(answer, filters), metrics },
      text: `${site}, ${describeRange(input.date_range)}\n${table(input.metrics, [input.metrics.map((name) => metrics[name])])}`,
    };
  },
});
