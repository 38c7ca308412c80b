// What the bench asks: a realistic mix of tool calls (each call unique when the cache must not
// help), the 20-call agent session, and how many Plausible requests each call implies.

import { DAY_MS } from "../../src/shared/time.ts";

export interface ToolCall {
  name: string;
  arguments: Record<string, unknown>;
}

const SITES = ["example.com", "shop.example.com", "blog.example.com"] as const;
const BREAKDOWN_DIMENSIONS = ["visit:source", "event:page", "visit:country_name", "visit:device"] as const;

/** A UTC date `daysAgo` days before today, as Plausible's date pairs spell it. */
function dateDaysAgo(daysAgo: number, today = Date.now()): string {
  return new Date(Math.floor(today / DAY_MS) * DAY_MS - daysAgo * DAY_MS).toISOString().slice(0, 10);
}

/** Plausible requests a server without a cache or coalescing sends for `call`. */
export function impliedRequests(call: ToolCall): number {
  const args = call.arguments;
  const sitesLookup = 1;
  switch (call.name) {
    case "compare_periods":
      // Two totals and two per-day series; a Sites API lookup when "Nd" has to be resolved for the previous period.
      return 4 + (args.previous === undefined && typeof args.current === "string" && /^\d+d$/.test(args.current) ? sitesLookup : 0);
    case "explain_change":
      // The site's span of data ("all"), two per-day series and two per dimension.
      return sitesLookup + 1 + 2 + 2 * ((args.dimensions as unknown[] | undefined)?.length ?? 5);
    case "measure_impact": {
      const metrics = (args.metrics as string[] | undefined) ?? ["visitors"];
      const series = metrics.some((metric) => !metric.endsWith("_rate")) ? 1 : 0;
      return sitesLookup + 2 * (series + (metrics.includes("conversion_rate") ? 2 : 0) + (metrics.includes("bounce_rate") ? 1 : 0));
    }
    case "get_funnel":
      return (args.steps as unknown[]).length;
    default:
      return 1;
  }
}

/**
 * The i-th call of the mix, with a date range no other i shares (7 to 30 days, ending 2 days ago or
 * earlier, so answers are historical and cacheable for CACHE_TTL_SECONDS). Per ten calls: three totals,
 * two timeseries, two breakdowns, one comparison (with the same dates 26 weeks before), one free
 * query, one conversions.
 */
export function mixedCall(i: number): ToolCall {
  const length = 7 + (i % 24);
  const endDaysAgo = 2 + Math.floor(i / 24);
  const range = [dateDaysAgo(endDaysAgo + length - 1), dateDaysAgo(endDaysAgo)];
  const site_id = SITES[i % SITES.length];
  switch (i % 10) {
    case 0:
    case 3:
    case 9:
      return { name: "get_aggregate", arguments: { site_id, date_range: range, metrics: ["visitors", "visits", "pageviews"] } };
    case 1:
    case 8:
      return { name: "get_timeseries", arguments: { site_id, date_range: range, interval: "day" } };
    case 2:
    case 4:
      return {
        name: "get_breakdown",
        arguments: { site_id, date_range: range, dimension: BREAKDOWN_DIMENSIONS[i % BREAKDOWN_DIMENSIONS.length] },
      };
    case 5:
      return {
        name: "compare_periods",
        arguments: { site_id, current: range, previous: [dateDaysAgo(endDaysAgo + length - 1 + 182), dateDaysAgo(endDaysAgo + 182)] },
      };
    case 6:
      return {
        name: "query",
        arguments: {
          site_id,
          metrics: ["visitors", "pageviews"],
          date_range: range,
          dimensions: ["visit:browser", "visit:device"],
          order_by: [["visitors", "desc"]],
          pagination: { limit: 10 },
        },
      };
    default:
      return { name: "get_conversions", arguments: { site_id, date_range: range } };
  }
}

/** Single-query calls for the comparison with `compare_periods`: the same shape of range, one period. */
export function singleQueryCall(i: number): ToolCall {
  const call = mixedCall(i * 10);
  return {
    name: "get_aggregate",
    arguments: { ...call.arguments, metrics: ["visitors", "visits", "pageviews", "bounce_rate", "visit_duration"] },
  };
}

/** The analysis tools the bench times, each on its own dates per i (so the cold phase misses the cache). */
export const ANALYSIS_TOOLS = ["explain_change", "measure_impact", "get_funnel"] as const;

export function analysisCall(tool: (typeof ANALYSIS_TOOLS)[number], i: number): ToolCall {
  const site_id = SITES[i % SITES.length];
  switch (tool) {
    case "explain_change":
      return { name: tool, arguments: { site_id, period: [dateDaysAgo(8 + 7 * i), dateDaysAgo(2 + 7 * i)] } };
    case "measure_impact":
      return { name: tool, arguments: { site_id, event: dateDaysAgo(20 + 3 * i), metrics: ["visitors", "pageviews"] } };
    case "get_funnel":
      return {
        name: tool,
        arguments: {
          site_id: "example.com",
          steps: ["/", "/pricing", "/signup", "Signup"],
          date_range: [dateDaysAgo(30 + i), dateDaysAgo(2 + i)],
        },
      };
  }
}

export function comparisonCall(i: number): ToolCall {
  return mixedCall(i * 10 + 5);
}

/**
 * One agent answering three questions in a row about example.com ("how did last month go?",
 * "where did the visitors come from, and is that different from before?", "did signups follow?").
 * Like agents do, it re-reads the site list and the headline totals when a new question starts and
 * re-runs a breakdown it saw before when it needs the numbers again. Realtime is never cached.
 */
export const AGENT_SESSION: readonly ToolCall[] = [
  // Question 1: how did the last 28 days go?
  { name: "list_sites", arguments: {} },
  { name: "get_aggregate", arguments: { site_id: "example.com", date_range: "28d" } },
  { name: "get_timeseries", arguments: { site_id: "example.com", date_range: "28d" } },
  { name: "get_realtime_visitors", arguments: { site_id: "example.com" } },
  { name: "compare_periods", arguments: { site_id: "example.com", current: "28d" } },
  // Question 2: where did visitors come from?
  { name: "list_sites", arguments: {} },
  { name: "get_aggregate", arguments: { site_id: "example.com", date_range: "28d" } },
  { name: "get_breakdown", arguments: { site_id: "example.com", date_range: "28d", dimension: "visit:source" } },
  { name: "get_breakdown", arguments: { site_id: "example.com", date_range: "28d", dimension: "event:page" } },
  { name: "get_breakdown", arguments: { site_id: "example.com", date_range: "28d", dimension: "visit:source", page: "/pricing" } },
  { name: "compare_periods", arguments: { site_id: "example.com", current: "28d" } },
  { name: "get_breakdown", arguments: { site_id: "example.com", date_range: "28d", dimension: "visit:source" } },
  // Question 3: did signups follow?
  { name: "list_sites", arguments: {} },
  { name: "list_goals", arguments: { site_id: "example.com" } },
  { name: "get_conversions", arguments: { site_id: "example.com", date_range: "28d" } },
  { name: "get_aggregate", arguments: { site_id: "example.com", date_range: "28d" } },
  { name: "get_conversions", arguments: { site_id: "example.com", date_range: "28d", goal: "Signup" } },
  { name: "list_goals", arguments: { site_id: "example.com" } },
  { name: "get_timeseries", arguments: { site_id: "example.com", date_range: "28d" } },
  { name: "get_realtime_visitors", arguments: { site_id: "example.com" } },
];
