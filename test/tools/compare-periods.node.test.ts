import { describe, expect, it } from "vitest";
import { SyntheticSite, type SyntheticSiteOptions } from "../../dev/plausible-simulator/synthetic";
import { syntheticContext } from "../../dev/plausible-simulator/synthetic-context";
import type { PlausibleRequest, QueryResult } from "../../src/plausible";
import { ToolInputError } from "../../src/tools";
import { comparePeriodsTool, precedingPeriod } from "../../src/tools/compare-periods";
import { dataSpanQuery } from "../../src/tools/dates";
import { callTool, fakeContext, queryBodies, queryResult } from "./fake-context";

/** Plausible's echo of "all": the site's first day with data to its today. */
const span = (firstDay: string, today: string): QueryResult => ({
  ...queryResult([[[], [1]]]),
  query: { date_range: [`${firstDay}T00:00:00+00:00`, `${today}T23:59:59+00:00`] },
});

/** Answers "all" with the span, totals of the current period with `now` and of others with `before`, and daily series with no rows. */
function periods(currentRange: unknown, now: unknown[], before: unknown[], today = "2024-05-21") {
  return fakeContext((request: PlausibleRequest) => {
    if (request.kind !== "query") return [];
    if (request.body.date_range === "all") return span("2023-01-01", today);
    if (request.body.dimensions) return queryResult([]);
    return queryResult([[[], JSON.stringify(request.body.date_range) === JSON.stringify(currentRange) ? now : before]]);
  });
}

const DOMAIN = "compare.synthetic.test";
/** Monday first: a business site's week. */
const STRONG_WEEK = [1.15, 1.2, 1.15, 1.1, 1.0, 0.6, 0.7];
function synthetic(options: Partial<SyntheticSiteOptions>) {
  const site = new SyntheticSite({ domain: DOMAIN, seed: 1, level: 5000, firstDay: "2023-06-01", now: "2024-06-15T12:00:00Z", ...options });
  return syntheticContext([site]);
}

describe("compare_periods", () => {
  it("asks for the site's data span, then both totals and one daily series with 26 weeks of history in ONE call", async () => {
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
    expect(calls).toEqual([
      [{ kind: "query", body: dataSpanQuery("example.com") }],
      [
        {
          kind: "query",
          body: { site_id: "example.com", metrics: ["visitors", "events"], date_range: ["2024-05-14", "2024-05-20"], filters },
        },
        {
          kind: "query",
          body: { site_id: "example.com", metrics: ["visitors", "events"], date_range: ["2024-05-01", "2024-05-07"], filters },
        },
        {
          kind: "query",
          body: {
            site_id: "example.com",
            metrics: ["visitors", "events"],
            date_range: ["2023-11-01", "2024-05-20"],
            dimensions: ["time:day"],
            filters,
          },
        },
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
      "| metric | current | previous | change | change % | p | verdict |",
      "|---|---|---|---|---|---|---|",
    ]);
  });

  it("infers the equally long period before, across a month end and a leap day", () => {
    expect(precedingPeriod(["2024-05-07", "2024-05-13"])).toEqual(["2024-04-30", "2024-05-06"]);
    expect(precedingPeriod(["2024-03-01", "2024-03-02"])).toEqual(["2024-02-28", "2024-02-29"]);
  });

  it("turns \"Nd\" into the N full days ending yesterday in the site's timezone, from Plausible's echo (no Sites API needed)", async () => {
    const { context, calls } = periods(["2024-05-14", "2024-05-20"], [3], [1]);
    const { structured } = await callTool(comparePeriodsTool, { site_id: "example.com", current: "7d", metrics: ["visitors"] }, context);
    expect(calls.flat().some((request) => request.kind === "sites")).toBe(false);
    expect(
      queryBodies(calls.slice(1))
        .slice(0, 2)
        .map((body) => body.date_range),
    ).toEqual([
      ["2024-05-14", "2024-05-20"],
      ["2024-05-07", "2024-05-13"],
    ]);
    expect(structured.current.date_range).toBe("7d");
    expect(structured.previous.date_range).toEqual(["2024-05-07", "2024-05-13"]);
    expect(structured.change.visitors).toEqual({ absolute: 2, percent: 200 });
  });

  it("compares revenue by its value and rounds the change", async () => {
    const money = (value: number | null) => ({ value, currency: "USD", short: `$${value}`, long: `$${value}` });
    const { context } = periods(["2024-05-01", "2024-05-20"], [money(10.25), 1], [money(3), 3]);
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

  it("gives no change when either side has no value, and says why a metric was not tested", async () => {
    const { context } = periods(["2024-05-14", "2024-05-20"], [null, 2], [40, 3]);
    const { structured } = await callTool(
      comparePeriodsTool,
      { site_id: "example.com", current: "7d", previous: "30d", metrics: ["bounce_rate", "views_per_visit"] },
      context,
    );
    expect(structured.change.bounce_rate).toEqual({ absolute: null, percent: null });
    expect(structured.significance.views_per_visit).toEqual({
      test: "not tested",
      p_value: null,
      ci95_daily_mean_difference: [],
      significant: false,
      verdict: "not tested",
      reason: "this metric has no per-day values",
    });
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

  it("refuses a period that holds no complete day yet", async () => {
    const { context } = periods("day", [1], [1]);
    const error = await callTool(comparePeriodsTool, { site_id: "example.com", current: "day", previous: "7d" }, context).catch(
      (thrown: unknown) => thrown,
    );
    expect((error as ToolInputError).message).toMatch(/holds no complete day yet/);
  });
});

// Each "Why" of issue 19 for compare_periods, as a test that failed on the code before the fix.
describe("compare_periods on realistic traffic (issue 19)", () => {
  it('compares "month" over its complete days: the rest of the month is not zero traffic', async () => {
    // Mid-June, an ordinary month: before the fix the 16 days still to come counted as zeros ("visitors -46.5 %, significant").
    const { context } = synthetic({ weekly: true });
    const { structured } = await callTool(
      comparePeriodsTool,
      { site_id: DOMAIN, current: "month", previous: ["2024-05-01", "2024-05-31"], metrics: ["visitors"] },
      context,
    );
    expect(structured.significance.visitors).toMatchObject({ significant: false, verdict: "no detectable change" });
    expect(structured.current.date_range_resolved).toEqual(["2024-06-01", "2024-06-14"]);
    expect(structured.notes.join(" ")).toMatch(/`current` \(month\) is compared through 2024-06-14: today \(2024-06-15\) is not over/);
  });

  it("tests conversion_rate from converters and visitors per day, not v2's per-day rate over the whole range's visitors", async () => {
    // 7 days against 28, nothing changed: v2's daily conversion_rate divides by the range's visitors, so the
    // shorter period's days look four times higher ("significant" before the fix).
    const { context } = synthetic({ level: 10_000, weekly: true, conversionWobble: 0.1 });
    const { structured } = await callTool(
      comparePeriodsTool,
      {
        site_id: DOMAIN,
        current: ["2024-06-08", "2024-06-14"],
        previous: ["2024-05-11", "2024-06-07"],
        metrics: ["conversion_rate"],
        goal: "Signup",
      },
      context,
    );
    const significance = structured.significance.conversion_rate!;
    expect(significance).toMatchObject({ significant: false, test: "day-clustered ratio test (Welch–Satterthwaite t)" });
    const difference = structured.change.conversion_rate!.absolute!;
    const [low, high] = significance.ci95_daily_mean_difference;
    expect(low! <= difference && difference <= high!).toBe(true);
  });

  it("leaves out the days before the site's first day with data instead of counting them as zero", async () => {
    // Data start on 2024-06-06: before the fix the previous week's first five days were zeros ("significant" increase).
    const { context } = synthetic({ firstDay: "2024-06-06", weekly: false });
    const { structured } = await callTool(
      comparePeriodsTool,
      { site_id: DOMAIN, current: ["2024-06-08", "2024-06-14"], metrics: ["visitors"] },
      context,
    );
    expect(structured.significance.visitors).toMatchObject({ significant: false, verdict: "not tested", p_value: null });
    expect(structured.notes.join(" ")).toMatch(/starts at the site's first day with data \(2024-06-06\)/);
  });

  it("stays quiet on traffic that carries over from day to day (AR(1) rho 0.7, 15 % noise) in at most 12 % of 100 series", async () => {
    // Before the fix: 41 % of windows were called significant.
    let significant = 0;
    for (let seed = 0; seed < 100; seed++) {
      const site = new SyntheticSite({
        domain: DOMAIN,
        seed: 500 + seed,
        level: 5000,
        weekly: false,
        rho: 0.7,
        sigma: 0.15,
        firstDay: "2023-10-01",
        now: "2024-06-15T12:00:00Z",
      });
      const { structured } = await callTool(
        comparePeriodsTool,
        { site_id: DOMAIN, current: ["2024-06-01", "2024-06-14"], metrics: ["visitors"] },
        syntheticContext([site]).context,
      );
      if (structured.significance.visitors!.significant) significant++;
    }
    expect(significant).toBeLessThanOrEqual(12);
  });

  it("sees a +10 % step through the weekly pattern (5,000 a day, 5 % noise)", async () => {
    // Before the fix the weekday effect (here busy weekdays, weekends at 60-70 %) stayed in the variance and hid it.
    const { context } = synthetic({ weekly: STRONG_WEEK, sigma: 0.05, effects: [{ kind: "step", from: "2024-06-01", factor: 1.1 }] });
    const { structured } = await callTool(
      comparePeriodsTool,
      { site_id: DOMAIN, current: ["2024-06-01", "2024-06-14"], metrics: ["visitors"] },
      context,
    );
    expect(structured.significance.visitors).toMatchObject({ significant: true, verdict: "increase" });
  });
});
