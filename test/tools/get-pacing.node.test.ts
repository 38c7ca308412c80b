import { describe, expect, it } from "vitest";
import type { PlausibleRequest, QueryBody, QueryResult } from "../../src/plausible";
import { addDays, datesBetween, weekday } from "../../src/tools/dates";
import { forecastTotal } from "../../src/tools/forecast";
import { getPacingTool, periodDates } from "../../src/tools/get-pacing";
import type { TeamMemory } from "../../src/tools/team-memory";
import { callTool, fakeContext, inputProblem, queryBodies } from "./fake-context";

const SITE = "example.com";
const TODAY = "2026-06-17";

/** A site whose every day has `perDay(date)` visitors since `firstDay`, answering as Plausible does (its echo in the site's timezone). */
function siteAnswers(perDay: (date: string) => number, firstDay = "2025-01-01") {
  return (request: PlausibleRequest): QueryResult => {
    const body = (request as { body: QueryBody }).body;
    const [first, last] = body.date_range === "all" ? [firstDay, TODAY] : (body.date_range as [string, string]);
    const echo = { date_range: [`${first}T00:00:00+00:00`, `${last}T23:59:59+00:00`] };
    const dates = datesBetween(first < firstDay ? firstDay : first, last);
    if (body.dimensions?.[0] === "time:day")
      return { results: dates.map((date) => ({ dimensions: [date], metrics: [perDay(date)] })), meta: {}, query: echo };
    return { results: [{ dimensions: [], metrics: [dates.reduce((total, date) => total + perDay(date), 0)] }], meta: {}, query: echo };
  };
}

function withTarget(value: number | null) {
  const asked: string[][] = [];
  const memory = {
    async getTarget(siteId: string, metric: string, period: string) {
      asked.push([siteId, metric, period]);
      return value === null ? null : { siteId, metric, period, value };
    },
  } as Partial<TeamMemory> as TeamMemory;
  return { memory, asked };
}

describe("get_pacing", () => {
  it("forecasts the current month from complete days, reads the target and says the daily rate needed, in 3 requests", async () => {
    const { context, calls } = fakeContext(siteAnswers(() => 100));
    const { memory, asked } = withTarget(2800);
    const output = await callTool(getPacingTool, { site_id: SITE }, { ...context, memory });
    const result = output.structured;
    expect(asked).toEqual([[SITE, "visitors", "2026-06"]]);
    expect(result).toMatchObject({
      period: "2026-06",
      period_dates: ["2026-06-01", "2026-06-30"],
      today: TODAY,
      target: 2800,
      so_far: 1600,
      days_left: 14,
      forecast: { value: 3000, low: 3000, high: 3000 },
      forecast_daily_rate: 100,
      required_daily_rate: 86,
      status: "on pace",
    });
    expect(result.method).toContain("3 Plausible requests");
    expect(result.notes.join(" ")).toContain("Today (2026-06-17) is not over");
    expect(calls.map((batch) => batch.length)).toEqual([1, 2]);
    const [span, daily, total] = queryBodies(calls);
    expect(span!.date_range).toBe("all");
    expect(daily).toMatchObject({ metrics: ["visitors"], date_range: [addDays(TODAY, -364), "2026-06-16"], dimensions: ["time:day"] });
    expect(total).toMatchObject({ metrics: ["visitors"], date_range: ["2026-06-01", "2026-06-16"] });
  });

  it("says when no target is set and how to set one", async () => {
    const { context } = fakeContext(siteAnswers(() => 100));
    const { memory } = withTarget(null);
    const output = await callTool(getPacingTool, { site_id: SITE, metric: "pageviews" }, { ...context, memory });
    expect(output.structured).toMatchObject({ target: null, required_daily_rate: null, status: "no target" });
    expect(output.structured.notes.join(" ")).toContain('set_target {site_id: "example.com", metric: "pageviews", period: "2026-06"');
    const withoutMemory = await callTool(getPacingTool, { site_id: SITE }, context);
    expect(withoutMemory.structured.target).toBeNull();
  });

  it("is behind pace when the interval lies below the target", async () => {
    const { context } = fakeContext(siteAnswers(() => 100));
    const output = await callTool(getPacingTool, { site_id: SITE }, { ...context, memory: withTarget(5000).memory });
    expect(output.structured).toMatchObject({ status: "behind pace", required_daily_rate: Math.round(3400 / 14) });
  });

  it("follows the site's weekday pattern", async () => {
    const factors = [0.5, 1.2, 1.2, 1.2, 1.2, 1.2, 0.5];
    const { context } = fakeContext(siteAnswers((date) => 100 * factors[weekday(date)]!));
    const output = await callTool(getPacingTool, { site_id: SITE }, context);
    const expected = datesBetween(TODAY, "2026-06-30").reduce((total, date) => total + 100 * factors[weekday(date)]!, 0);
    expect(output.structured.forecast.value! - output.structured.so_far).toBe(Math.round(expected));
  });

  it("gives a past period's final total and a quarter's dates", async () => {
    const { context, calls } = fakeContext(siteAnswers(() => 10));
    const output = await callTool(getPacingTool, { site_id: SITE, period: "2026-Q1" }, context);
    expect(queryBodies(calls)).toHaveLength(2);
    expect(output.structured.method).toContain("2 Plausible requests");
    expect(output.structured).toMatchObject({
      period_dates: ["2026-01-01", "2026-03-31"],
      so_far: 900,
      days_left: 0,
      forecast: { value: 900, low: 900, high: 900 },
    });
    const before = await callTool(getPacingTool, { site_id: SITE, period: "2024-03" }, context);
    expect(before.structured).toMatchObject({ so_far: 0, days_left: 0 });
    expect(before.structured.notes.join(" ")).toContain("The site's data start on 2025-01-01, after 2024-03");
    expect(periodDates("2024-02")).toEqual(["2024-02-01", "2024-02-29"]);
    expect(periodDates("2026-Q4")).toEqual(["2026-10-01", "2026-12-31"]);
  });

  it("forecasts a coming period whole", async () => {
    const { context } = fakeContext(siteAnswers(() => 10));
    const output = await callTool(getPacingTool, { site_id: SITE, period: "2026-07" }, context);
    expect(output.structured).toMatchObject({ so_far: 0, days_left: 31, forecast: { value: 310 } });
  });

  it("gives no forecast with too little history, and says why", async () => {
    const { context } = fakeContext(siteAnswers(() => 10, "2026-06-10"));
    const output = await callTool(getPacingTool, { site_id: SITE }, context);
    expect(output.structured).toMatchObject({ so_far: 70, forecast: { value: null, low: null, high: null }, status: "no target" });
    expect(output.structured.notes.join(" ")).toContain("the site's data start on 2026-06-10");
  });

  it("refuses rates and averages, saying why, before any request", async () => {
    const { context, calls } = fakeContext(siteAnswers(() => 10));
    await expect(callTool(getPacingTool, { site_id: SITE, metric: "bounce_rate" }, context)).rejects.toThrow(/not the sum of its days/);
    await expect(callTool(getPacingTool, { site_id: SITE, metric: "signups" }, context)).rejects.toThrow(
      /visitors, visits, pageviews, events/,
    );
    expect(calls).toHaveLength(0);
    expect(inputProblem(getPacingTool, { site_id: SITE, period: "June" })).toContain("YYYY-MM");
  });
});

describe("forecastTotal", () => {
  it("learns its interval from the site's own forecast errors", () => {
    let state = 1;
    const noise = () => {
      state = (state * 48271) % 2147483647;
      return state / 2147483647 - 0.5;
    };
    const values = Array.from({ length: 364 }, () => 1000 * Math.exp(0.4 * noise()));
    const forecast = forecastTotal({ values, weekdays: values.map((_, index) => index % 7) }, 0, 7)!;
    expect(forecast.total).toBeGreaterThan(6500);
    expect(forecast.total).toBeLessThan(7500);
    expect(forecast.interval![0]).toBeLessThan(forecast.total);
    expect(forecast.interval![1]).toBeGreaterThan(forecast.total);
    expect(forecast.backtests).toBe(364 - 56 - 7 + 1);
  });
});
