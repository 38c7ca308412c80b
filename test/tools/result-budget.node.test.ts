import { describe, expect, it } from "vitest";
import type { Goal, PlausibleRequest, QueryBody } from "../../src/plausible";
import { comparePeriodsTool } from "../../src/tools/compare-periods";
import { getAggregateTool } from "../../src/tools/get-aggregate";
import { getBreakdownTool } from "../../src/tools/get-breakdown";
import { getConversionsTool } from "../../src/tools/get-conversions";
import { getRealtimeVisitorsTool } from "../../src/tools/get-realtime-visitors";
import { getTimeseriesTool } from "../../src/tools/get-timeseries";
import { listCustomPropsTool } from "../../src/tools/list-custom-props";
import { listGoalsTool } from "../../src/tools/list-goals";
import { listSitesTool } from "../../src/tools/list-sites";
import { queryTool } from "../../src/tools/query";
import { fitResult, ResultBudgetError, type ToolDefinition } from "../../src/tools";
import { callTool, fakeContext, queryResult } from "./fake-context";

/** Hourly labels from the start of 2024: far enough in the past that none is dropped as future. */
const hour = (index: number) => new Date(Date.UTC(2024, 0, 1) + index * 3_600_000).toISOString().slice(0, 19).replace("T", " ");

/** A Plausible that answers every request with `rows` rows (or items). */
function answering(rows: number) {
  return (request: PlausibleRequest): unknown => {
    switch (request.kind) {
      case "query": {
        const body: QueryBody = request.body;
        const dimensions = body.dimensions ?? [];
        const labels = Array.from({ length: rows }, (_, index) => hour(index));
        const results = Array.from({ length: dimensions.length === 0 ? 1 : rows }, (_, index): [string[], unknown[]] => [
          dimensions.map((name) => (name.startsWith("time") ? labels[index]! : `${name}-value-${index}`)),
          body.metrics.map((_, position) => index * 7 + position),
        ]);
        return queryResult(results, body.include?.time_labels ? { time_labels: labels } : {});
      }
      case "sites":
        return Array.from({ length: rows }, (_, index) => ({ domain: `site-${index}.example.com`, timezone: "Europe/Berlin" }));
      case "goals":
        return Array.from({ length: rows }, (_, index): Goal => ({
          id: index,
          goal_type: "event",
          display_name: `Goal ${index}`,
          event_name: `Goal ${index}`,
          page_path: null,
        }));
      case "customProps":
        return Array.from({ length: rows }, (_, index) => `property_${index}`);
      case "realtime":
        return 7;
    }
  };
}

const size = (result: { structured: unknown; text: string }) =>
  JSON.stringify(result.structured).length + JSON.stringify(result.text).length;

// Every tool that lists rows: what to call it with, and the structured array holding the rows.
const listings: [string, ToolDefinition, Record<string, unknown>, string][] = [
  [
    "get_timeseries",
    getTimeseriesTool as never,
    { site_id: "example.com", date_range: "all", interval: "hour", metrics: ["visitors", "visits", "pageviews"] },
    "rows",
  ],
  ["get_breakdown", getBreakdownTool as never, { site_id: "example.com", dimension: "event:page", limit: 1000 }, "rows"],
  ["get_conversions", getConversionsTool as never, { site_id: "example.com", per_page: true, limit: 1000 }, "rows"],
  [
    "query",
    queryTool as never,
    {
      site_id: "example.com",
      metrics: ["visitors"],
      date_range: "all",
      dimensions: ["time:hour", "event:page"],
      include: { time_labels: true },
    },
    "results",
  ],
  ["list_sites", listSitesTool as never, {}, "sites"],
  ["list_goals", listGoalsTool as never, { site_id: "example.com" }, "goals"],
  ["list_custom_props", listCustomPropsTool as never, { site_id: "example.com" }, "properties"],
];

describe.each(listings)("result budget: %s", (_name, tool, args, key) => {
  const whole = async (rows: number) => {
    const { context } = fakeContext(answering(rows));
    return callTool(tool, args, { ...context, maxResultChars: Number.MAX_SAFE_INTEGER });
  };

  it("keeps every row when the result fits exactly", async () => {
    const full = await whole(300);
    const { context } = fakeContext(answering(300));
    const fitted = await callTool(tool, args, { ...context, maxResultChars: size(full) });
    expect(fitted).toEqual(full);
    expect(fitted.structured).not.toHaveProperty("truncated");
  });

  it("one character over: cuts rows, says so in both parts, and stays within the budget", async () => {
    const budget = size(await whole(300)) - 1;
    const { context } = fakeContext(answering(300));
    const { structured, text } = await callTool(tool, args, { ...context, maxResultChars: budget });
    expect(size({ structured, text })).toBeLessThanOrEqual(budget);
    const shown = (structured as Record<string, unknown[]>)[key]!.length;
    expect(structured).toMatchObject({ truncated: true, rows_shown: shown, rows_available: 300 });
    expect(shown).toBeGreaterThan(250);
    expect(text).toContain(
      `Only the first ${shown} of 300 rows fit in one answer (this server's limit is ${budget} ` +
        `characters per result); the other ${300 - shown} were left out. To see them, narrow the ` +
        "question:",
    );
  });

  it("far over (5000 rows, 20000 characters): fits, and the text shows only the first and last rows", async () => {
    const { context } = fakeContext(answering(5000));
    const { structured, text } = await callTool(tool, args, { ...context, maxResultChars: 20_000 });
    expect(size({ structured, text })).toBeLessThanOrEqual(20_000);
    const { rows_shown: shown } = structured as { rows_shown: number };
    expect(structured).toMatchObject({ truncated: true, rows_available: 5000 });
    expect(shown).toBeGreaterThan(10);
    if (shown > 50) {
      expect(text).toContain(`| … rows 21 to ${shown - 20} are left out here; the structured content has all ${shown} … |`);
      expect(text).toContain(`${shown} rows`);
      expect(text.split("\n").filter((line) => line.startsWith("| ") && !line.startsWith("| …")).length).toBe(41);
    }
  });
});

describe("result budget: a long table that fits", () => {
  it("shows the first and last 20 rows and a summary over all of them, while the structured content keeps every row", async () => {
    const { context } = fakeContext(answering(500));
    const { structured, text } = await callTool(
      getTimeseriesTool,
      { site_id: "example.com", date_range: "all", interval: "hour", metrics: ["visitors"] },
      context,
    );
    expect(structured.rows).toHaveLength(500);
    expect(structured).not.toHaveProperty("truncated");
    expect(text).toContain(`| ${hour(19)} | 133 |`);
    expect(text).not.toContain(`| ${hour(20)} |`);
    expect(text).toContain("| … rows 21 to 480 are left out here; the structured content has all 500 … |");
    expect(text).toContain(`| ${hour(499)} | 3493 |`);
    expect(text).toContain("500 rows; over all of them: visitors 0 to 3493.");
  });
});

describe("result budget: the query tool's time labels", () => {
  it("are cut to the rows shown", async () => {
    const { context } = fakeContext(answering(2000));
    const { structured } = await callTool(queryTool, listings[3]![2], { ...context, maxResultChars: 30_000 });
    const labels = structured.meta.time_labels as string[];
    expect(labels.length).toBeLessThan(2000);
    expect(labels.at(-1)).toBe(structured.results.at(-1)!.dimensions[0]);
  });
});

// Tools with a fixed, small answer: nothing to cut, so an answer over the budget is a clear error.
const fixed: [string, ToolDefinition, Record<string, unknown>][] = [
  ["get_aggregate", getAggregateTool as never, { site_id: "example.com" }],
  ["compare_periods", comparePeriodsTool as never, { site_id: "example.com", current: "7d" }],
  ["get_realtime_visitors", getRealtimeVisitorsTool as never, { site_id: "example.com" }],
];

describe.each(fixed)("result budget: %s", (_name, tool, args) => {
  it("fits at its exact size and refuses one character less, naming MAX_RESULT_CHARS", async () => {
    const { context } = fakeContext(answering(1));
    const output = await tool.run(tool.inputSchema.parse(args), context);
    const exact = size(fitResult(output, Number.MAX_SAFE_INTEGER));
    expect(fitResult(output, exact)).toEqual({ structured: output.structured, text: output.text });
    expect(() => fitResult(output, exact - 1)).toThrow(ResultBudgetError);
    expect(() => fitResult(output, exact - 1)).toThrow("(MAX_RESULT_CHARS)");
  });
});
