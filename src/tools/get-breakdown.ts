import { z } from "zod";
import { buildFilters, metricRecord, propertyDimension, queryEcho, resolveSiteId, runQueries } from "./query-parts";
import { describeRange } from "./render";
import {
  dateRange,
  dateRangeOutput,
  dimensionValue,
  isDimension,
  metric,
  metricList,
  metricValues,
  narrowing,
  queryEchoOutput,
  siteId,
  truncation,
} from "./schemas";
import { defineTool, ToolInputError } from "./types";

export const getBreakdownTool = defineTool({
  name: "get_breakdown",
  title: "Top values of a dimension",
  description: [
    "Rank the values of one dimension by a metric: top pages, sources, channels, UTM campaigns, countries, devices,",
    "browsers, entry or exit pages, goals, or a custom property (give its bare name, e.g. plan).",
    "Example: top sources of visitors to /pricing this month.",
  ],
  inputSchema: z.object({
    site_id: siteId,
    dimension: z
      .string()
      .min(1)
      .describe(
        "e.g. event:page, visit:source, visit:channel, visit:country_name, visit:device, event:goal, or " +
          "a custom property: event:props:plan or just plan",
      ),
    date_range: dateRange.default("28d"),
    metrics: metricList.default(["visitors"]),
    order_by: metric.optional().describe("The metric to rank by, descending; defaults to the first metric"),
    limit: z.number().int().min(1).max(1000).default(10),
    ...narrowing,
  }),
  outputSchema: z.object({
    site_id: z.string(),
    date_range: dateRangeOutput,
    ...queryEchoOutput,
    dimension: z.string(),
    rows: z.array(z.object({ value: dimensionValue, metrics: metricValues })),
    ...truncation,
  }),
  async run(input, context) {
    const site = resolveSiteId(input.site_id, context);
    const breakdownBy = isDimension(input.dimension) ? input.dimension : propertyDimension(input.dimension, "dimension");
    if (breakdownBy.startsWith("time")) {
      throw new ToolInputError("dimension", "time buckets are a timeseries: use get_timeseries");
    }
    const rankBy = input.order_by ?? input.metrics[0]!;
    if (!input.metrics.includes(rankBy)) {
      throw new ToolInputError("order_by", `"${rankBy}" is not among the requested metrics (${input.metrics.join(", ")})`);
    }
    const filters = buildFilters(input);
    const [answer] = await runQueries(context, [
      {
        site_id: site,
        metrics: input.metrics,
        date_range: input.date_range,
        dimensions: [breakdownBy],
        filters,
        order_by: [[rankBy, "desc"]],
        pagination: { limit: input.limit },
      },
    ]);
    const rows = answer!.results.map((row) => ({ value: row.dimensions[0] ?? null, metrics: metricRecord(input.metrics, row.metrics) }));
    return {
      structured: { site_id: site, date_range: input.date_range, ...queryEcho(answer, filters), dimension: breakdownBy, rows },
      text:
        `${site}, ${describeRange(input.date_range)}, by ` +
        `${breakdownBy}${breakdownBy === "visit:city" ? " (GeoName ids; visit:city_name gives names)" : ""}`,
      listing: {
        key: "rows",
        headers: [breakdownBy, ...input.metrics],
        cells: rows.map((row) => [row.value, ...input.metrics.map((name) => row.metrics[name])]),
        narrow: "a smaller limit, fewer metrics or a filter",
      },
    };
  },
});
