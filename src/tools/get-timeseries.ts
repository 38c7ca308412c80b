import { z } from "zod";
import { buildFilters, metricRecord, queryEcho, resolveSiteId } from "./query-parts";
import { describeRange } from "./render";
import { fetchSeries } from "./series";
import { dateRange, dateRangeOutput, metricList, metricValues, narrowing, queryEchoOutput, siteId, truncation } from "./schemas";
import { defineTool, type MetricValue } from "./types";

const COUNTS = new Set<string>(["visitors", "visits", "pageviews", "events"]);

export const getTimeseriesTool = defineTool({
  name: "get_timeseries",
  title: "Metrics over time",
  description: [
    "Metrics per hour, day, week or month across a period,",
    "with empty buckets filled with zero so every bucket up to now appears (month and year end today).",
    "Example: daily visitors to /pricing around Tuesday's deploy.",
  ],
  inputSchema: z.object({
    site_id: siteId,
    date_range: dateRange.default("28d"),
    interval: z.enum(["hour", "day", "week", "month"]).default("day").describe("Bucket size"),
    metrics: metricList.default(["visitors", "pageviews"]),
    ...narrowing,
  }),
  outputSchema: z.object({
    site_id: z.string(),
    date_range: dateRangeOutput,
    ...queryEchoOutput,
    interval: z.string(),
    rows: z.array(z.object({ time: z.string(), metrics: metricValues })),
    ...truncation,
  }),
  async run(input, context) {
    const site = resolveSiteId(input.site_id, context);
    const filters = buildFilters(input);
    const { answer, buckets } = await fetchSeries(context, {
      site_id: site,
      metrics: input.metrics,
      date_range: input.date_range,
      dimensions: [`time:${input.interval}`],
      filters,
    });
    // Plausible leaves out buckets without data: a count there is zero, while a rate or an average has no value.
    const empty = input.metrics.map((name): MetricValue => (COUNTS.has(name) ? 0 : null));
    const rows = buckets.map(({ time, metrics }) => ({ time, metrics: metricRecord(input.metrics, metrics ?? empty) }));
    return {
      structured: { site_id: site, date_range: input.date_range, ...queryEcho(answer, filters), interval: input.interval, rows },
      text: `${site}, ${describeRange(input.date_range)}, per ${input.interval}`,
      listing: {
        key: "rows",
        headers: [input.interval, ...input.metrics],
        cells: rows.map((row) => [row.time, ...input.metrics.map((name) => row.metrics[name])]),
        narrow: "a coarser interval (day, week or month rather than hour) or a shorter date_range",
      },
    };
  },
});
