import { z } from "zod";
import type { QueryBody } from "../plausible";
import { describeRange } from "./render";
import { queryEcho, resolveSiteId, runQueries } from "./query-parts";
import {
  dateRange,
  dateRangeOutput,
  dimension,
  dimensionValue,
  filters,
  metricList,
  metricValue,
  noRepeats,
  queryEchoOutput,
  siteId,
  truncation,
} from "./schemas";
import { defineTool, ToolInputError } from "./types";

const orderBy = z.array(z.tuple([z.string(), z.enum(["asc", "desc"])])).optional();

const isTimeDimension = (name: string) => name === "time" || name.startsWith("time:");

/** Plausible orders only by what the query asks for, and never by event:goal. */
function checkOrderBy(orderBy: [string, string][], metrics: readonly string[], dimensions: readonly string[]): void {
  for (const [name] of orderBy) {
    if (name === "event:goal") {
      throw new ToolInputError("order_by", "Plausible cannot order by event:goal; order by a metric such as visitors instead");
    }
    if (!metrics.includes(name) && !dimensions.includes(name)) {
      throw new ToolInputError(
        "order_by",
        `"${name}" is neither a queried metric nor a queried dimension; order by one of ${[...metrics, ...dimensions].join(", ")}`,
      );
    }
  }
}

/** time_labels cut to the buckets up to the latest one among the rows shown, when rows had to be left out. */
function labelsUpToShownRows(
  meta: Record<string, unknown>,
  shown: { dimensions: unknown[] }[],
  timeIndex: number,
): Record<string, unknown> {
  if (timeIndex < 0 || !Array.isArray(meta.time_labels)) return meta;
  const latest = shown.reduce((max, row) => (String(row.dimensions[timeIndex]) > max ? String(row.dimensions[timeIndex]) : max), "");
  return { ...meta, time_labels: (meta.time_labels as string[]).filter((label) => label <= latest) };
}

export const queryTool = defineTool({
  name: "query",
  title: "Query (Plausible v2)",
  description: [
    "Run any Plausible Stats API v2 query: metrics, date_range, dimensions,",
    "filters (full tree with and/or/not/has_done/has_not_done, matches, case_sensitive), order_by, include and pagination.",
    "Use it when the simpler tools do not cover the question.",
  ],
  inputSchema: z.object({
    site_id: siteId,
    metrics: metricList.describe("Metrics to compute, each at most once"),
    date_range: dateRange,
    dimensions: z.array(dimension).superRefine(noRepeats).optional().describe("Group results by these dimensions, each at most once"),
    filters,
    order_by: orderBy.describe('e.g. [["visitors", "desc"]]; each entry must be a queried metric or dimension'),
    include: z
      .object({
        imports: z.boolean().optional(),
        time_labels: z.boolean().optional().describe("Needs a time dimension: lists every time bucket in meta.time_labels"),
        total_rows: z.boolean().optional(),
        trim_relative_date_range: z
          .boolean()
          .optional()
          .describe('With "month" or "year": end the period today rather than at its end (Plausible Cloud; Community Edition 3.1+)'),
      })
      .strict()
      .optional(),
    pagination: z
      .object({ limit: z.number().int().min(1).max(10000).optional(), offset: z.number().int().min(0).optional() })
      .strict()
      .optional(),
  }),
  outputSchema: z.object({
    site_id: z.string(),
    date_range: dateRangeOutput,
    ...queryEchoOutput,
    dimensions: z.array(z.string()),
    metrics: z.array(z.string()),
    results: z.array(z.object({ dimensions: z.array(dimensionValue), metrics: z.array(metricValue) })),
    meta: z.record(z.string(), z.unknown()),
    ...truncation,
  }),
  async run(input, context) {
    checkOrderBy(input.order_by ?? [], input.metrics, input.dimensions ?? []);
    if (input.include?.time_labels && !(input.dimensions ?? []).some(isTimeDimension)) {
      throw new ToolInputError(
        "include",
        "time_labels needs a time dimension (time, time:hour, time:day, time:week or time:month) in `dimensions`",
      );
    }
    const { site_id, ...rest } = input;
    const body = { site_id: resolveSiteId(site_id, context), ...rest } as QueryBody;
    const [answer] = await runQueries(context, [body]);
    const dimensions = input.dimensions ?? [];
    const results = answer!.results.map((row) => ({ dimensions: row.dimensions, metrics: row.metrics as z.output<typeof metricValue>[] }));
    return {
      structured: {
        site_id: body.site_id,
        date_range: input.date_range,
        ...queryEcho(answer, input.filters),
        dimensions,
        metrics: input.metrics,
        results,
        meta: answer!.meta ?? {},
      },
      text: `${body.site_id}, ${describeRange(input.date_range)}`,
      listing: {
        key: "results",
        headers: [...dimensions, ...input.metrics],
        cells: results.map((row) => [...row.dimensions, ...row.metrics]),
        narrow: "pagination (a limit, then an offset for the next page), fewer dimensions, a coarser time dimension or a filter",
        cutAlso: (structured) => ({
          ...structured,
          meta: labelsUpToShownRows(structured.meta, structured.results, dimensions.findIndex(isTimeDimension)),
        }),
      },
    };
  },
});
