import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { PlausibleApiError, type PlausibleRequest, type QueryBody } from "../../src/plausible";
import type { ToolDefinition } from "../../src/tools";
import { comparePeriodsTool } from "../../src/tools/compare-periods";
import { compareSitesTool } from "../../src/tools/compare-sites";
import { explainChangeTool } from "../../src/tools/explain-change";
import { DEFAULT_SUMMARY_METRICS, getAggregateTool } from "../../src/tools/get-aggregate";
import { getBreakdownTool } from "../../src/tools/get-breakdown";
import { getConversionsTool } from "../../src/tools/get-conversions";
import { getFunnelTool } from "../../src/tools/get-funnel";
import { getPacingTool } from "../../src/tools/get-pacing";
import { getTimeseriesTool } from "../../src/tools/get-timeseries";
import { listGoalsTool } from "../../src/tools/list-goals";
import { measureImpactTool } from "../../src/tools/measure-impact";
import { queryTool } from "../../src/tools/query";
import { QUERY_SCHEMA_PATH, compileQuerySchema, loadQuerySchema } from "../support/query-schema";
import { callTool, fakeContext, queryBodies, queryResult } from "./fake-context";

// The contract: every query body a tool builds from arguments its input schema
// accepts is one Plausible's own request schema accepts too.

const site = { site_id: "example.com" };

const calls: [string, ToolDefinition, Record<string, unknown>][] = [
  // get_aggregate
  ["aggregate, defaults", getAggregateTool, site],
  [
    "aggregate, page over a date pair",
    getAggregateTool,
    { ...site, page: "/pricing", date_range: ["2024-05-07", "2024-05-13"], metrics: ["visitors", "time_on_page", "scroll_depth"] },
  ],
  [
    "aggregate, goal and revenue",
    getAggregateTool,
    { ...site, goal: "Purchase", metrics: ["visitors", "conversion_rate", "total_revenue", "average_revenue"] },
  ],
  [
    "aggregate, datetime pair",
    getAggregateTool,
    { ...site, date_range: ["2024-05-07T00:00:00+02:00", "2024-05-07T12:00:00+02:00"], metrics: ["pageviews"] },
  ],
  [
    "aggregate, property filters of every operator",
    getAggregateTool,
    {
      ...site,
      property_filters: [
        { property: "plan", value: "pro" },
        { property: "visit:country", operator: "is_not", value: ["EE", "FI"] },
        { property: "author", operator: "contains", value: "ann" },
        { property: "event:page", operator: "contains_not", value: ["/admin"] },
      ],
    },
  ],
  [
    "aggregate, raw filters with shortcuts",
    getAggregateTool,
    {
      ...site,
      filters: [
        ["contains", "visit:source", ["google"], { case_sensitive: false }],
        ["not", ["is", "visit:device", ["Mobile"]]],
      ],
      page: "/pricing",
      goal: "Signup",
      metrics: ["visitors", "conversion_rate"],
    },
  ],
  [
    "aggregate, long Nd and other metrics",
    getAggregateTool,
    { ...site, date_range: "400d", metrics: ["views_per_visit", "percentage", "events", "group_conversion_rate"] },
  ],
  ["aggregate, Nmo", getAggregateTool, { ...site, date_range: "18mo" }],
  // get_timeseries
  ["timeseries, defaults", getTimeseriesTool, site],
  [
    "timeseries, hourly today for a page",
    getTimeseriesTool,
    { ...site, date_range: "day", interval: "hour", page: "/pricing", metrics: ["visitors", "bounce_rate"] },
  ],
  [
    "timeseries, weekly with a property filter",
    getTimeseriesTool,
    { ...site, date_range: "12mo", interval: "week", property_filters: [{ property: "plan", value: ["pro", "team"] }] },
  ],
  [
    "timeseries, monthly for a goal",
    getTimeseriesTool,
    { ...site, date_range: "year", interval: "month", goal: "Signup", metrics: ["events", "conversion_rate"] },
  ],
  // get_breakdown
  ["breakdown, sources of a page", getBreakdownTool, { ...site, dimension: "visit:source", page: "/pricing", limit: 5 }],
  [
    "breakdown, bare custom property",
    getBreakdownTool,
    { ...site, dimension: "plan", metrics: ["visitors", "events"], order_by: "events" },
  ],
  ["breakdown, prefixed custom property", getBreakdownTool, { ...site, dimension: "event:props:author", date_range: "all" }],
  ["breakdown, goals", getBreakdownTool, { ...site, dimension: "event:goal", metrics: ["visitors", "conversion_rate"], limit: 1000 }],
  [
    "breakdown, countries by name with filters",
    getBreakdownTool,
    {
      ...site,
      dimension: "visit:country_name",
      filters: [["matches", "event:page", ["^/blog/"]]],
      property_filters: [{ property: "visit:device", operator: "is_not", value: "Desktop" }],
    },
  ],
  [
    "breakdown, exit pages",
    getBreakdownTool,
    { ...site, dimension: "visit:exit_page", metrics: ["visits", "visitors"], order_by: "visits" },
  ],
  // get_conversions
  ["conversions, all goals", getConversionsTool, site],
  [
    "conversions, one goal per page on blog pages",
    getConversionsTool,
    { ...site, goal: "Signup", per_page: true, filters: [["contains", "event:page", ["/blog/"]]], limit: 100 },
  ],
  // compare_periods (two bodies each)
  [
    "compare, explicit previous",
    comparePeriodsTool,
    { ...site, current: ["2024-05-14", "2024-05-20"], previous: ["2024-05-07", "2024-05-13"], page: "/pricing" },
  ],
  ["compare, inferred before a date pair", comparePeriodsTool, { ...site, current: ["2024-05-14", "2024-05-20"], metrics: ["visitors"] }],
  [
    "compare, inferred before Nd",
    comparePeriodsTool,
    { ...site, current: "28d", goal: "Signup", metrics: ["visitors", "conversion_rate"] },
  ],
  [
    "compare, named periods",
    comparePeriodsTool,
    { ...site, current: "month", previous: "30d", property_filters: [{ property: "plan", value: "pro" }] },
  ],
  // query
  ["query, minimal", queryTool, { ...site, metrics: ["visitors"], date_range: "7d" }],
  [
    "query, filter tree",
    queryTool,
    {
      ...site,
      metrics: ["visitors", "pageviews"],
      date_range: "28d",
      filters: [
        ["is", "event:goal", ["Signup"]],
        [
          "or",
          [
            ["is", "visit:browser", ["Firefox"]],
            [
              "and",
              [
                ["is", "visit:os", ["Linux"]],
                ["not", ["is", "visit:device", ["Mobile"]]],
              ],
            ],
          ],
        ],
        ["contains", "event:page", ["/Blog"], { case_sensitive: false }],
        ["is_not", "visit:country", ["EE"], { case_sensitive: true }],
        ["contains_not", "visit:utm_source", ["spam"]],
      ],
    },
  ],
  [
    "query, has_done and has_not_done",
    queryTool,
    {
      ...site,
      metrics: ["visitors"],
      date_range: "30d",
      filters: [
        ["has_done", ["is", "event:name", ["Signup"]]],
        ["has_not_done", ["contains", "event:page", ["/pricing"], { case_sensitive: true }]],
      ],
    },
  ],
  [
    "query, matches and matches_not",
    queryTool,
    {
      ...site,
      metrics: ["visitors"],
      date_range: "7d",
      filters: [
        ["matches", "event:page", ["^/docs/.*$"]],
        ["matches_not", "event:props:path", ["(?i)admin"]],
      ],
    },
  ],
  [
    "query, segment and has_done",
    queryTool,
    {
      ...site,
      metrics: ["visitors"],
      date_range: "7d",
      filters: [
        ["is", "segment", [123]],
        ["has_done", ["is", "event:page", ["/pricing"]]],
      ],
    },
  ],
  [
    "query, order_by, include and pagination",
    queryTool,
    {
      ...site,
      metrics: ["visitors", "pageviews"],
      date_range: ["2024-09-01", "2024-09-30"],
      dimensions: ["visit:source", "time:day"],
      order_by: [
        ["visitors", "desc"],
        ["time:day", "asc"],
      ],
      include: { imports: true, time_labels: true, total_rows: true, trim_relative_date_range: true },
      pagination: { limit: 10000, offset: 200 },
    },
  ],
  [
    "query, goal and custom property dimensions",
    queryTool,
    {
      ...site,
      metrics: ["visitors", "conversion_rate", "group_conversion_rate"],
      date_range: "month",
      dimensions: ["event:goal", "event:props:author", "visit:city_name"],
      order_by: [["event:props:author", "asc"]],
    },
  ],
  [
    "query, datetime range with time",
    queryTool,
    {
      ...site,
      metrics: ["visits"],
      date_range: ["2024-01-01T00:00:00Z", "2024-01-01T23:59:59.999Z"],
      dimensions: ["time"],
      include: { time_labels: true },
    },
  ],
  // list_goals without the Sites API falls back to a query
  ["list_goals fallback", listGoalsTool, site],
  // explain_change (a per-day series and a per-value-per-day breakdown, each for the period and the baseline)
  ["explain_change, defaults", explainChangeTool, site],
  [
    "explain_change, pageviews of a page over a date pair with a baseline",
    explainChangeTool,
    {
      ...site,
      metric: "pageviews",
      period: ["2024-05-13", "2024-05-19"],
      baseline: "91d",
      page: "/pricing",
      dimensions: ["visit:utm_campaign", "event:props:plan"],
    },
  ],
  [
    "explain_change, a goal's events this month",
    explainChangeTool,
    { ...site, metric: "events", period: "month", goal: "Signup", dimensions: ["visit:source"] },
  ],
  // measure_impact
  [
    "measure_impact, a date, counts and rates",
    measureImpactTool,
    { ...site, event: "2024-05-10", goal: "Signup", metrics: ["visitors", "pageviews", "conversion_rate", "bounce_rate"] },
  ],
  [
    "measure_impact, a datetime on a page",
    measureImpactTool,
    { ...site, event: "2024-05-10T14:30:00+02:00", window_days: 7, page: "/pricing", filters: [["is", "visit:device", ["Mobile"]]] },
  ],
  // get_funnel (one body per step)
  [
    "get_funnel, pages, a wildcard and a goal",
    getFunnelTool,
    { ...site, steps: ["/", "/blog/*", "/docs/**", "Signup"], filters: [["is", "visit:country", ["US"]]] },
  ],
  [
    "get_funnel, two goals over a date pair",
    getFunnelTool,
    {
      ...site,
      steps: ["Signup", "Purchase"],
      date_range: ["2024-05-01", "2024-05-20"],
      property_filters: [{ property: "plan", value: "pro" }],
    },
  ],
  // get_pacing (the "all" range, the daily history and the period's total so far)
  ["get_pacing, defaults", getPacingTool, site],
  ["get_pacing, events in a quarter", getPacingTool, { ...site, metric: "events", period: "2024-Q2" }],
  // compare_sites (compare_periods' bodies per site)
  [
    "compare_sites, two sites and two counts",
    compareSitesTool,
    { metrics: ["visitors", "pageviews"], date_range: "28d", site_ids: ["example.com", "shop.example.com"] },
  ],
];

/** How many query bodies each call builds: one, except the tools that split a question into several queries. */
function bodiesOf(tool: ToolDefinition, args: Record<string, unknown>): number {
  const metrics = args.metrics as string[] | undefined;
  if (tool === comparePeriodsTool) {
    // the "all" range, two totals and one per-day series; visitors per day for conversion_rate; visits per day for a page's bounce_rate
    const asked: readonly string[] = metrics ?? DEFAULT_SUMMARY_METRICS;
    return 4 + (asked.includes("conversion_rate") ? 1 : 0) + (asked.includes("bounce_rate") && args.page !== undefined ? 1 : 0);
  }
  // Community Edition: the "day" range for today's date, the "all" range, two per-day series and two per dimension
  if (tool === explainChangeTool) return 4 + 2 * ((args.dimensions as unknown[] | undefined)?.length ?? 5);
  if (tool === getFunnelTool) return (args.steps as unknown[]).length;
  if (tool === getPacingTool) return 3;
  // compare_periods' "all" range, two totals and one per-day series, per site
  if (tool === compareSitesTool) return 4 * (args.site_ids as unknown[]).length;
  if (tool === measureImpactTool) {
    // the "all" range, then one per-day series for the counts, converters per day, bounces per day
    const asked = metrics ?? ["visitors"];
    const series = asked.some((metric) => !metric.endsWith("_rate")) ? 1 : 0;
    return 1 + series + (asked.includes("conversion_rate") ? 1 : 0) + (asked.includes("bounce_rate") ? 1 : 0);
  }
  return 1;
}

/** Answers queries with an empty result and refuses the Sites API, as Community Edition does. */
function communityEdition() {
  return fakeContext((request: PlausibleRequest) => {
    if (request.kind === "query") return queryResult([]);
    throw new PlausibleApiError("Plausible answered 404: Not found", { status: 404, plausibleMessage: "Not found" });
  });
}

const schema = loadQuerySchema();
const title =
  schema === undefined
    ? `tool query bodies against Plausible's query schema (SKIPPED: ${QUERY_SCHEMA_PATH} is absent; it ` +
      "is Plausible's reference data kept outside the repo in ../shared/plausible)"
    : "tool query bodies against Plausible's query schema";

describe.skipIf(schema === undefined)(title, () => {
  const validate = schema === undefined ? undefined : compileQuerySchema(schema);
  const built: QueryBody[] = [];

  beforeAll(() => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date("2024-05-21T08:00:00Z"));
  });
  afterAll(() => {
    vi.useRealTimers();
  });

  it.each(calls)("%s", async (_name, tool, args) => {
    const { context, calls: recorded } = communityEdition();
    await callTool(tool, args, context);
    const bodies = queryBodies(recorded);
    expect(bodies.length).toBeGreaterThan(0);
    for (const body of bodies) {
      built.push(body);
      const ok = validate!(body);
      expect(validate!.errors ?? [], JSON.stringify(body)).toEqual([]);
      expect(ok).toBe(true);
    }
  });

  it("checked a representative number of bodies, every body of the multi-query tools among them", () => {
    expect(calls.length).toBeGreaterThanOrEqual(30);
    expect(built).toHaveLength(calls.reduce((sum, [, tool, args]) => sum + bodiesOf(tool, args), 0));
  });

  // The query tool passes filters, dimensions and metrics through: its input
  // schema must accept exactly what Plausible's schema accepts, or a model's
  // mistake costs a Plausible request (and a rate-limit token) to find out.
  it.each(
    [
      ["is", "event:goal", ["Signup"], { case_sensitive: false }],
      ["contains", "event:goal", ["Sign"]],
      ["is", "segment", [42]],
      ["is", "event:page", ["/"], {}],
      ["is_not", "event:props:plan", ["free"], { case_sensitive: true }],
      ["contains_not", "visit:exit_page_hostname", ["shop."]],
      ["matches", "event:page", ["^/blog/"]],
      ["matches_not", "visit:utm_campaign", ["(?i)spring"]],
      ["matches", "event:page", ["^/blog/"], { case_sensitive: false }],
      ["matches_not", "event:page", ["^/blog/"], {}],
      ["is_not", "event:goal", ["Signup"]],
      ["contains_not", "event:goal", ["Sign"]],
      ["matches", "event:goal", ["^Sign"]],
      ["contains", "segment", [42]],
      ["is_not", "segment", [42]],
      ["matches_wildcard", "event:page", ["/blog/*"]],
      ["is", "time:day", ["2024-01-01"]],
      ["is", "visit:planet", ["Mars"]],
      ["is", "event:page", ["/"], { case_sensitive: "no" }],
      ["is", "event:page", ["/"], { ignore_case: true }],
      ["not", ["matches", "event:page", ["^/"], { case_sensitive: true }]],
      ["has_done", ["contains_not", "event:goal", ["Sign"]]],
      [
        "or",
        [
          ["is", "visit:os", ["Linux"]],
          ["contains", "event:goal", ["Sign"], { case_sensitive: false }],
        ],
      ],
    ].map((filter) => [JSON.stringify(filter), filter]),
  )("the query tool and Plausible's schema agree on the filter %s", (_name, filter) => {
    const args = { ...site, metrics: ["visitors"], date_range: "7d", filters: [filter] };
    expect(queryTool.inputSchema.safeParse(args).success).toBe(validate!(args));
  });

  it.each([
    ["repeated metrics", { metrics: ["visitors", "visitors"] }],
    ["repeated dimensions", { metrics: ["visitors"], dimensions: ["event:page", "event:page"] }],
    ["a datetime without seconds", { metrics: ["visitors"], date_range: ["2024-01-01T00:00Z", "2024-01-02T00:00Z"] }],
    ["an impossible datetime", { metrics: ["visitors"], date_range: ["2024-02-30T00:00:00Z", "2024-03-01T00:00:00Z"] }],
    ["an impossible date", { metrics: ["visitors"], date_range: ["2024-02-30", "2024-03-01"] }],
    ["pagination over 10000", { metrics: ["visitors"], pagination: { limit: 10001 } }],
    ["an unknown include", { metrics: ["visitors"], include: { comparisons: true } }],
    // Both came from a funnel proof of concept that was never merged; released Plausible answers 400.
    ["the event:label dimension", { metrics: ["visitors"], dimensions: ["event:label"] }],
    [
      "a sequence filter",
      {
        metrics: ["visitors"],
        filters: [
          [
            "sequence",
            [
              ["is", "event:page", ["/a"]],
              ["is", "event:page", ["/b"]],
            ],
          ],
        ],
      },
    ],
  ])("the query tool refuses %s, as Plausible's schema does", (_name, args) => {
    const body = { ...site, date_range: "7d", ...args };
    expect(validate!(body)).toBe(false);
    expect(queryTool.inputSchema.safeParse(body).success).toBe(false);
  });

  it.each([
    [
      "case_sensitive on matches",
      { ...site, metrics: ["visitors"], date_range: "7d", filters: [["matches", "event:page", ["^/"], { case_sensitive: false }]] },
    ],
    ["is_not on event:goal", { ...site, metrics: ["visitors"], date_range: "7d", filters: [["is_not", "event:goal", ["Signup"]]] }],
    ["a repeated metric", { ...site, metrics: ["visitors", "visitors"], date_range: "7d" }],
    ["an interval key", { ...site, metrics: ["visitors"], date_range: "7d", interval: "day" }],
  ])("the validator rejects a body with %s, so this test can fail", (_name, body) => {
    expect(validate!(body)).toBe(false);
  });
});
