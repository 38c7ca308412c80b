import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { PlausibleRequest } from "../../src/plausible";
import { ToolInputError } from "../../src/tools";
import { comparePeriodsTool } from "../../src/tools/compare-periods";
import { todayQuery } from "../../src/tools/dates";
import { callTool, fakeContext, queryResult } from "./fake-context";

/** Answers the current period with `now` and the previous one with `before`, told apart by their date range. */
function periods(currentRange: unknown, now: unknown[], before: unknown[]) {
  return fakeContext((request: PlausibleRequest) =>
    queryResult([
      [[], request.kind === "query" && JSON.stringify(request.body.date_range) === JSON.stringify(currentRange) ? now : before],
    ]),
  );
}

describe("compare_periods", () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date("2024-05-20T10:30:00Z"));
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("sends both periods in ONE plausible call and reports absolute and % change", async () => {
    const { context, calls } = periods(["2024-05-14", "2024-05-20"], [150, 30], [120, 0]);
    const { structured, text } = await callTool(
      comparePeriodsTool,
      {
        site_id: "example.com",
        current: ["2024-05-14", "2024-05-20"],
        previous: ["2024-05-01", "2024-05-07"],
        metrics: ["visitors", "events"],
        page: "/pricing",
      },
      context,
    );
    const filters = [["is", "event:page", ["/pricing"]]];
    const body = (date_range: string[], daily: boolean) => ({
      kind: "query",
      body: {
        site_id: "example.com",
        metrics: ["visitors", "events"],
        date_range,
        ...(daily ? { dimensions: ["time:day"] } : {}),
        filters,
      },
    });
    expect(calls).toEqual([
      [
        body(["2024-05-14", "2024-05-20"], false),
        body(["2024-05-01", "2024-05-07"], false),
        body(["2024-05-14", "2024-05-20"], true),
        body(["2024-05-01", "2024-05-07"], true),
      ],
    ]);
    expect(structured).toMatchObject({
      site_id: "example.com",
      current: { date_range: ["2024-05-14", "2024-05-20"], metrics: { visitors: 150, events: 30 } },
      previous: { date_range: ["2024-05-01", "2024-05-07"], metrics: { visitors: 120, events: 0 } },
      change: { visitors: { absolute: 30, percent: 25 }, events: { absolute: 30, percent: null } },
      filters,
    });
    expect(text.split("\n").slice(0, 3)).toEqual([
      "example.com: 2024-05-14 to 2024-05-20 vs 2024-05-01 to 2024-05-07",
      "| metric | current | previous | change | change % | p | significant |",
      "|---|---|---|---|---|---|---|",
    ]);
  });

  it("infers the equally long period before a date pair", async () => {
    const { context, calls } = periods(["2024-05-07", "2024-05-13"], [90], [100]);
    const { structured } = await callTool(
      comparePeriodsTool,
      { site_id: "example.com", current: ["2024-05-07", "2024-05-13"], metrics: ["visitors"] },
      context,
    );
    expect(calls).toHaveLength(1);
    expect(calls[0]!.slice(0, 2).map((request) => request.kind === "query" && request.body.date_range)).toEqual([
      ["2024-05-07", "2024-05-13"],
      ["2024-04-30", "2024-05-06"],
    ]);
    expect(structured.change).toEqual({ visitors: { absolute: -10, percent: -10 } });
  });

  it("infers across a month end and a leap day", async () => {
    const { context, calls } = periods(["2024-03-01", "2024-03-02"], [1], [1]);
    await callTool(comparePeriodsTool, { site_id: "example.com", current: ["2024-03-01", "2024-03-02"] }, context);
    expect(calls[0]!.slice(0, 2).map((request) => request.kind === "query" && request.body.date_range)).toEqual([
      ["2024-03-01", "2024-03-02"],
      ["2024-02-28", "2024-02-29"],
    ]);
  });

  it('turns "Nd" into the N full days ending yesterday and the N days before them, in UTC with a note without a Sites API', async () => {
    const { context, calls } = periods(["2024-05-13", "2024-05-19"], [3, 4, 5, 6, 7], [1, 2, 5, 6, 7]);
    const { structured } = await callTool(comparePeriodsTool, { site_id: "example.com", current: "7d" }, context);
    // Neither the Sites API nor an echo of the "day" range: UTC stands in, with a note.
    expect(calls.slice(0, 2)).toEqual([[{ kind: "sites" }], [{ kind: "query", body: todayQuery("example.com") }]]);
    expect(structured.notes.join(" ")).toMatch(/resolved in UTC/);
    expect(calls[2]!.slice(0, 2).map((request) => request.kind === "query" && request.body.date_range)).toEqual([
      ["2024-05-13", "2024-05-19"],
      ["2024-05-06", "2024-05-12"],
    ]);
    expect(structured.current.date_range).toEqual(["2024-05-13", "2024-05-19"]);
    expect(structured.change.visitors).toEqual({ absolute: 2, percent: 200 });
  });

  it('resolves "Nd" in the site\'s timezone from the Sites API', async () => {
    vi.setSystemTime(new Date("2024-05-20T23:30:00Z")); // already 2024-05-21 in Berlin
    const { context, calls } = fakeContext((request: PlausibleRequest) =>
      request.kind === "sites" ? [{ domain: "example.com", timezone: "Europe/Berlin" }] : queryResult([[[], [1]]]),
    );
    const { structured } = await callTool(comparePeriodsTool, { site_id: "example.com", current: "7d", metrics: ["visitors"] }, context);
    expect(calls[1]!.slice(0, 2).map((request) => request.kind === "query" && request.body.date_range)).toEqual([
      ["2024-05-14", "2024-05-20"],
      ["2024-05-07", "2024-05-13"],
    ]);
    expect(structured.notes).toEqual([]);
  });

  it("tests each metric on daily values and notes a different weekday mix", async () => {
    const { context } = fakeContext((request: PlausibleRequest) => {
      if (request.kind !== "query") return [];
      const current = JSON.stringify(request.body.date_range) === JSON.stringify(["2024-05-11", "2024-05-15"]);
      if (!request.body.dimensions) return queryResult([[[], [current ? 500 : 250]]]);
      // Day 4 of the current period has no row: a count of zero that day.
      const values = current ? [98, 102, 100, undefined, 99] : [49, 51, 50, 52, 48];
      const first = Number((request.body.date_range as string[])[0]!.slice(8));
      return queryResult(
        values.flatMap((value, index) => (value === undefined ? [] : [[[`2024-05-${String(first + index).padStart(2, "0")}`], [value]]])),
      );
    });
    const { structured } = await callTool(
      comparePeriodsTool,
      {
        site_id: "example.com",
        current: ["2024-05-11", "2024-05-15"],
        previous: ["2024-05-06", "2024-05-10"],
        metrics: ["visitors", "views_per_visit"],
      },
      context,
    );
    // The zero day's swing outweighs the rise: not significant at 95 %.
    expect(structured.significance.visitors).toMatchObject({ test: "Welch's t-test on daily values", significant: false });
    // Means 79.8 vs 50 with the zero day counted: a difference of 29.8 per day.
    const [low, high] = structured.significance.visitors!.ci95_daily_mean_difference;
    expect(low! < 29.8 && 29.8 < high!).toBe(true);
    expect(structured.significance.views_per_visit).toMatchObject({ p_value: null, significant: false });
    expect(structured.notes.join(" ")).toMatch(/weekday mix \(2 of 5 days are weekend days now, 0 of 5 before\)/);
  });

  it("compares revenue by its value and rounds the change", async () => {
    const money = (value: number | null) => ({ value, currency: "USD", short: `$${value}`, long: `$${value}` });
    const { context } = periods("month", [money(10.25), 1], [money(3), 3]);
    const { structured } = await callTool(
      comparePeriodsTool,
      {
        site_id: "example.com",
        current: "month",
        previous: ["2024-04-01", "2024-04-20"],
        metrics: ["total_revenue", "visitors"],
        goal: "Purchase",
      },
      context,
    );
    expect(structured.change).toEqual({ total_revenue: { absolute: 7.25, percent: 241.7 }, visitors: { absolute: -2, percent: -66.7 } });
  });

  it("gives no change when either side has no value", async () => {
    const { context } = periods("7d", [null], [40]);
    const { structured } = await callTool(
      comparePeriodsTool,
      { site_id: "example.com", current: "7d", previous: "30d", metrics: ["bounce_rate"] },
      context,
    );
    expect(structured.change).toEqual({ bounce_rate: { absolute: null, percent: null } });
  });

  it.each(["month", "12mo", ["2024-05-01T00:00:00Z", "2024-05-02T00:00:00Z"]])(
    "asks for previous when it cannot infer one from %j",
    async (current) => {
      const { context, calls } = fakeContext();
      const error = await callTool(comparePeriodsTool, { site_id: "example.com", current }, context).catch((thrown: unknown) => thrown);
      expect(error).toBeInstanceOf(ToolInputError);
      expect((error as ToolInputError).argument).toBe("previous");
      expect((error as ToolInputError).message).toMatch(/give `previous` explicitly/);
      expect(calls).toEqual([]);
    },
  );
});
