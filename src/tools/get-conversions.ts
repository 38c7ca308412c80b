import { z } from "zod";
import { buildFilters, metricRecord, queryEcho, resolveSiteId, runQueries } from "./query-parts";
import { describeRange } from "./render";
import { dateRange, dateRangeOutput, metricValues, narrowing, queryEchoOutput, siteId, truncation } from "./schemas";
import { defineTool } from "./types";

const METRICS = ["visitors", "events", "conversion_rate"] as const;

export const getConversionsTool = defineTool({
  name: "get_conversions",
  title: "Goal conversions",
  description: [
    "Goal conversions: for each goal (or one goal), the converting visitors,",
    "the events and the conversion rate (% of all visitors), optionally split per page.",
    "Example: signup conversion rate on /blog pages this month.",
  ],
  inputSchema: z.object({
    site_id: siteId,
    date_range: dateRange.default("28d"),
    per_page: z.boolean().default(false).describe("Split each goal's conversions by the page they happened on"),
    limit: z.number().int().min(1).max(1000).default(25),
    ...narrowing,
  }),
  outputSchema: z.object({
    site_id: z.string(),
    date_range: dateRangeOutput,
    ...queryEchoOutput,
    rows: z.array(z.object({ goal: z.string(), page: z.string().optional(), metrics: metricValues })),
    ...truncation,
  }),
  async run(input, context) {
    const site = resolveSiteId(input.site_id, context);
    const dimensions = input.per_page ? ["event:goal", "event:page"] : ["event:goal"];
    const filters = buildFilters(input);
    const [answer] = await runQueries(context, [
      {
        site_id: site,
        metrics: [...METRICS],
        date_range: input.date_range,
        dimensions,
        filters,
        order_by: [["visitors", "desc"]],
        pagination: { limit: input.limit },
      },
    ]);
    const rows = answer!.results.map((row) => ({
      goal: String(row.dimensions[0] ?? ""),
      ...(input.per_page ? { page: String(row.dimensions[1] ?? "") } : {}),
      metrics: metricRecord(METRICS, row.metrics),
    }));
    return {
      structured: { site_id: site, date_range: input.date_range, ...queryEcho(answer, filters), rows },
      text: `${site}, ${describeRange(input.date_range)}, conversions (rate = % of all visitors)`,
      listing: {
        key: "rows",
        headers: [...(input.per_page ? ["goal", "page"] : ["goal"]), ...METRICS],
        cells: rows.map((row) => [row.goal, ...(input.per_page ? [row.page] : []), ...METRICS.map((name) => row.metrics[name])]),
        narrow: "a smaller limit, one goal, or a page filter",
      },
    };
  },
});
