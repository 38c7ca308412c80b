import { describe, expect, it } from "vitest";
import type { StructuredOutputs } from "../../src/tools";
import { CHART_TOOLS, chartOf, type ChartTool } from "../../src/ui/chart/model";

// One result per chart tool, typed by its output schema like the chart code that reads it.
const RESULTS: { [Tool in ChartTool]: StructuredOutputs[Tool] } = {
  get_timeseries: {
    site_id: "example.com",
    date_range: "7d",
    date_range_resolved: ["2026-11-01", "2026-11-02"],
    filters: [],
    interval: "day",
    rows: [
      { time: "2026-11-01", metrics: { visitors: 3, total_revenue: { value: 12.5, currency: "EUR", short: "€12.5", long: "€12.50" } } },
      { time: "2026-11-02", metrics: { visitors: 4, total_revenue: { value: null, currency: "EUR", short: "-", long: "-" } } },
    ],
    truncated: true,
    rows_shown: 2,
    rows_available: 9,
  },
  get_breakdown: {
    site_id: "example.com",
    date_range: ["2026-11-01", "2026-11-07"],
    filters: [],
    dimension: "visit:city",
    rows: [
      { value: null, metrics: { visitors: 5 } },
      { value: 2643743, metrics: { visitors: 2 } },
    ],
  },
  get_conversions: {
    site_id: "example.com",
    date_range: "30d",
    filters: [],
    rows: [{ goal: "Signup", page: "/pricing", metrics: { visitors: 7 } }],
  },
  compare_periods: {
    site_id: "example.com",
    current: { date_range: "7d", date_range_resolved: ["2026-11-08", "2026-11-14"], metrics: { visitors: 20 } },
    previous: { date_range: ["2026-11-01", "2026-11-07"], metrics: { visitors: 10 } },
    change: { visitors: { absolute: 10, percent: 100 } },
    significance: {
      visitors: { test: "welch", p_value: 0.01, ci95_daily_mean_difference: [1, 2], significant: true, verdict: "increase" },
    },
    filters: [],
    notes: [],
  },
  get_funnel: {
    site_id: "example.com",
    date_range: "28d",
    filters: [],
    steps: [
      { step: "/", visitors: 100, from_previous_percent: null, from_first_percent: 100 },
      { step: "Signup", visitors: 10, from_previous_percent: 10, from_first_percent: 10 },
    ],
    biggest_drop: { from: "/", to: "Signup", lost_visitors: 90, lost_percent: 90 },
    note: "",
  },
  measure_impact: {
    site_id: "example.com",
    event: "2026-11-16",
    window_days: 7,
    before: ["2026-11-09", "2026-11-15"],
    after: ["2026-11-16", "2026-11-22"],
    filters: [],
    results: [
      {
        metric: "visitors",
        before: 10,
        after: 12,
        change: 2,
        change_percent: 20,
        ci95: [-1, 5],
        p_value: 0.3,
        test: "placebo",
        verdict: "no detectable change",
      },
    ],
    notes: [],
  },
  explain_change: {
    site_id: "example.com",
    metric: "visitors",
    date_range_resolved: ["2026-11-01", "2026-11-02"],
    baseline_resolved: ["2026-09-06", "2026-10-31"],
    filters: [],
    days: [
      { date: "2026-11-01", actual: 10, expected: 10, change_percent: 0, score: 0, flagged: false, not_scored: null },
      { date: "2026-11-02", actual: 30, expected: 10, change_percent: 200, score: 4, flagged: true, not_scored: null },
    ],
    flag_cut_off: 3,
    total: {
      actual: 40,
      expected: 20,
      change: 20,
      change_percent: 100,
      verdict: "increase",
      p_value: 0.01,
      reason: null,
      placebo_windows: 8,
    },
    drivers: [],
    anomalies: [],
    notes: [],
  },
};

describe("the chart app's models of the tools' results", () => {
  it.each(CHART_TOOLS)("recognises a %s result by its shape when the host does not name the tool", (tool) => {
    expect(chartOf(RESULTS[tool], undefined)?.tool).toBe(tool);
    expect(chartOf(RESULTS[tool], tool)?.tool).toBe(tool);
  });

  it("has nothing to draw for other results", () => {
    expect(chartOf({ site_id: "example.com", visitors: 3 }, "get_realtime_visitors")).toBeUndefined();
  });

  it("draws a series per metric over time, a revenue metric by its value, and says when rows were left out", () => {
    const chart = chartOf(RESULTS.get_timeseries, "get_timeseries")!.model;
    expect(chart).toMatchObject({
      kind: "line",
      title: "example.com: visitors, total_revenue per day",
      subtitle: "2026-11-01 to 2026-11-02",
      yTitle: "count",
      labels: ["2026-11-01", "2026-11-02"],
      series: [
        { name: "visitors", values: [3, 4] },
        { name: "total_revenue", values: [12.5, null] },
      ],
      truncation: "Rows were left out to fit the result (2 of 9).",
    });
  });

  it("labels rows without a dimension value and draws numeric ones as text", () => {
    expect(chartOf(RESULTS.get_breakdown, "get_breakdown")!.model).toMatchObject({
      kind: "bars",
      title: "example.com: visitors by visit:city",
      subtitle: "2026-11-01 to 2026-11-07",
      labels: ["(none)", "2643743"],
      values: [5, 2],
    });
  });

  it("pairs the periods per metric and shades the unusual days of explain_change", () => {
    expect(chartOf(RESULTS.compare_periods, "compare_periods")!.model).toMatchObject({
      kind: "pairs",
      title: "example.com: 2026-11-08 to 2026-11-14 against 2026-11-01 to 2026-11-07",
      groups: [{ label: "visitors (significant)", values: [10, 20], change: 100 }],
    });
    expect(chartOf(RESULTS.explain_change, "explain_change")!.model).toMatchObject({ kind: "line", flagged: [1] });
  });
});
