// The calibration generator's statistics: what it plants is what it serves,
// over enough days and series for the checks to mean something (tolerances are
// four standard errors or more, so a correct generator fails about never).

import { describe, expect, it } from "vitest";
import { SyntheticQueryError, SyntheticSite } from "../../../dev/plausible-simulator/synthetic.ts";
import type { SyntheticSiteOptions } from "../../../dev/plausible-simulator/synthetic.ts";
import { syntheticContext } from "../../../dev/plausible-simulator/synthetic-context.ts";
import { PlausibleApiError } from "../../../src/plausible";
import { TOOLS, type ToolDefinition } from "../../../src/tools";
import { callTool } from "../../tools/fake-context";

const NOW = "2026-06-15T12:00:00Z"; // a Monday, noon UTC
const DOMAIN = "calibration.synthetic.test";

function site(options: Partial<SyntheticSiteOptions> = {}) {
  return new SyntheticSite({ domain: DOMAIN, seed: 1, level: 5000, firstDay: "2026-01-01", now: NOW, ...options });
}

/** Daily rows of one metric between two dates, as Plausible answers them (missing days absent). */
function daily(target: SyntheticSite, range: [string, string], metric = "visitors", filters: unknown[] = []) {
  const answer = target.query({ site_id: target.domain, metrics: [metric], date_range: range, dimensions: ["time:day"], filters });
  return new Map(answer.results.map((row) => [row.dimensions[0]!, row.metrics[0]!]));
}

const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
const variance = (values: number[]) => {
  const center = mean(values);
  return values.reduce((sum, value) => sum + (value - center) ** 2, 0) / (values.length - 1);
};
function lagOneCorrelation(values: number[]): number {
  const center = mean(values);
  let numerator = 0;
  let denominator = 0;
  for (let index = 0; index < values.length; index++) {
    denominator += (values[index]! - center) ** 2;
    if (index > 0) numerator += (values[index]! - center) * (values[index - 1]! - center);
  }
  return numerator / denominator;
}

/** A long history: 2020-01-01 .. 2026-06-14 (2357 full days). */
const LONG: [string, string] = ["2020-01-01", "2026-06-14"];
const longSite = (options: Partial<SyntheticSiteOptions>) => site({ firstDay: LONG[0], ...options });
const weekdayOf = (date: string) => (new Date(`${date}T00:00:00Z`).getUTCDay() + 6) % 7;

describe("daily visitors", () => {
  it("is deterministic per seed and differs between seeds", () => {
    const body = { site_id: DOMAIN, metrics: ["visitors"], date_range: "30d", dimensions: ["time:day"] };
    expect(site().query(body)).toEqual(site().query(body));
    expect(site({ seed: 2 }).query(body)).not.toEqual(site().query(body));
  });

  it("averages the level: the mean over 2357 days is within 4 standard errors", () => {
    const values = [...daily(longSite({ sigma: 0.05 }), LONG).values()];
    const standardError = Math.sqrt((5000 * 0.05) ** 2 + 5000) / Math.sqrt(values.length);
    expect(Math.abs(mean(values) - 5000)).toBeLessThan(4 * standardError);
  });

  it("has Poisson counts: with no day-to-day noise the variance equals the mean (dispersion 1 ± 0.1)", () => {
    for (const level of [300, 5000]) {
      const values = [...daily(longSite({ level, sigma: 0 }), LONG).values()];
      expect(variance(values) / mean(values)).toBeGreaterThan(0.9);
      expect(variance(values) / mean(values)).toBeLessThan(1.1);
    }
    // A single source's count is Poisson too (shares are fixed, not noisy).
    const hackerNews = [
      ...daily(longSite({ level: 5000, sigma: 0 }), LONG, "visitors", [["is", "visit:source", ["Hacker News"]]]).values(),
    ];
    expect(mean(hackerNews) / 150).toBeCloseTo(1, 1);
    expect(variance(hackerNews) / mean(hackerNews)).toBeGreaterThan(0.9);
    expect(variance(hackerNews) / mean(hackerNews)).toBeLessThan(1.1);
  });

  it("has lognormal noise with the given sd and AR(1) carry-over rho", () => {
    for (const rho of [0, 0.5, 0.9]) {
      const values = [...daily(longSite({ level: 100_000, sigma: 0.15, rho }), LONG).values()].map(Math.log);
      // Standard error of the lag-1 correlation is about sqrt((1 - rho²) / n) < 0.021.
      expect(Math.abs(lagOneCorrelation(values) - rho)).toBeLessThan(0.06 + (rho > 0.8 ? 0.04 : 0));
      expect(Math.sqrt(variance(values))).toBeGreaterThan(0.15 * (rho > 0.8 ? 0.8 : 0.9));
      expect(Math.sqrt(variance(values))).toBeLessThan(0.15 * (rho > 0.8 ? 1.2 : 1.1));
    }
  });

  it("follows the weekday pattern: Saturday over Wednesday is the planted ratio, and weekly: false is flat", () => {
    const byWeekday = (rows: Map<string, number>) => {
      const groups: number[][] = Array.from({ length: 7 }, () => []);
      for (const [date, value] of rows) groups[weekdayOf(date)]!.push(value);
      return groups.map(mean);
    };
    const weekly = byWeekday(daily(longSite({ weekly: true, sigma: 0.05 }), LONG));
    expect(weekly[5]! / weekly[2]!).toBeGreaterThan(0.8 / 1.09 - 0.02);
    expect(weekly[5]! / weekly[2]!).toBeLessThan(0.8 / 1.09 + 0.02);
    const custom = byWeekday(daily(longSite({ weekly: [1, 1, 1, 1, 1, 2, 2], sigma: 0.05 }), LONG));
    expect(custom[6]! / custom[0]!).toBeGreaterThan(1.95);
    expect(custom[6]! / custom[0]!).toBeLessThan(2.05);
    const flat = byWeekday(daily(longSite({ weekly: false, sigma: 0.05 }), LONG));
    expect(flat[5]! / flat[2]!).toBeGreaterThan(0.98);
    expect(flat[5]! / flat[2]!).toBeLessThan(1.02);
  });

  it("puts holidays at the holiday factor", () => {
    const holidays = Array.from({ length: 60 }, (_, index) => new Date(Date.UTC(2021, 0, 1 + index * 7)).toISOString().slice(0, 10));
    const rows = daily(longSite({ holidays, holidayFactor: 0.4, sigma: 0.05 }), LONG);
    const normal = mean([...rows].filter(([date]) => !holidays.includes(date)).map(([, value]) => value));
    const onHolidays = mean(holidays.map((date) => rows.get(date)!));
    expect(onHolidays / normal).toBeGreaterThan(0.38);
    expect(onHolidays / normal).toBeLessThan(0.42);
  });
});

describe("Plausible's answer shapes", () => {
  it("has no rows before the first day with data, and 'all' starts there", () => {
    const young = site({ firstDay: "2026-06-10" });
    const rows = young.query({
      site_id: DOMAIN,
      metrics: ["visitors"],
      date_range: ["2026-06-01", "2026-06-14"],
      dimensions: ["time:day"],
      include: { time_labels: true },
    });
    expect(rows.results.map((row) => row.dimensions[0])).toEqual(["2026-06-10", "2026-06-11", "2026-06-12", "2026-06-13", "2026-06-14"]);
    expect(rows.meta.time_labels).toHaveLength(14);
    const all = young.query({ site_id: DOMAIN, metrics: ["visitors"], date_range: "all" });
    expect(all.query.date_range).toEqual(["2026-06-10T00:00:00+00:00", "2026-06-15T23:59:59+00:00"]);
    // An aggregate before the first day is one row of zeros.
    expect(young.query({ site_id: DOMAIN, metrics: ["visitors"], date_range: ["2026-05-01", "2026-05-31"] }).results).toEqual([
      { metrics: [0], dimensions: [] },
    ]);
  });

  it("echoes the site's today for 'day' and holds only the elapsed part of it", () => {
    const tokyo = site({ timezone: "Asia/Tokyo", sigma: 0, level: 100_000 }); // 21:00 in Tokyo
    const today = tokyo.query({ site_id: DOMAIN, metrics: ["visitors"], date_range: "day" });
    expect(today.query.date_range).toEqual(["2026-06-15T00:00:00+09:00", "2026-06-15T23:59:59+09:00"]);
    expect(tokyo.truth.todayFraction).toBeCloseTo(21 / 24, 6);
    expect((today.results[0]!.metrics[0]! as number) / 100_000).toBeCloseTo(21 / 24, 2);
    // "7d" is the 7 full days ending yesterday.
    expect(tokyo.query({ site_id: DOMAIN, metrics: ["visitors"], date_range: "7d" }).query.date_range).toEqual([
      "2026-06-08T00:00:00+09:00",
      "2026-06-14T23:59:59+09:00",
    ]);
  });

  it("answers bounce_rate as a whole percent; with a page filter over the visits that entered on that page", () => {
    const big = site({ level: 50_000 });
    const range = ["2026-05-01", "2026-05-31"];
    const ask = (filters: unknown[]) =>
      big.query({ site_id: DOMAIN, metrics: ["visits", "bounce_rate"], date_range: range, filters }).results[0]!;
    const viewed = ask([["is", "event:page", ["/pricing"]]]);
    const entered = ask([["is", "visit:entry_page", ["/pricing"]]]);
    expect(Number.isInteger(viewed.metrics[1])).toBe(true);
    expect(viewed.metrics[1]).toBe(entered.metrics[1]);
    // More visits viewed /pricing than entered there: the base is not "every visit that touched the page".
    expect(viewed.metrics[0]!).toBeGreaterThan(2 * entered.metrics[0]!);
    // /pricing bounces less than the site (planted 0.75 of it, normalised).
    const all = ask([]);
    expect(all.metrics[1]).toBe(45);
    expect(viewed.metrics[1]).toBeLessThan(40);
    const daily = big.query({ site_id: DOMAIN, metrics: ["bounce_rate"], date_range: range, dimensions: ["time:day"] });
    expect(daily.results.every((row) => Number.isInteger(row.metrics[0]))).toBe(true);
  });

  it("divides each day's conversion_rate by the visitors of the whole range, as Plausible v2 does", () => {
    const target = site();
    const range = ["2026-06-01", "2026-06-14"];
    const goal = [["is", "event:goal", ["Signup"]]];
    const perDay = target.query({
      site_id: DOMAIN,
      metrics: ["visitors", "conversion_rate"],
      date_range: range,
      dimensions: ["time:day"],
      filters: goal,
    });
    const rangeVisitors = target.query({ site_id: DOMAIN, metrics: ["visitors"], date_range: range }).results[0]!.metrics[0]!;
    expect(perDay.results).toHaveLength(14);
    for (const row of perDay.results) {
      expect(row.metrics[1]).toBe(Math.round(((row.metrics[0]! as number) / (rangeVisitors as number)) * 10_000) / 100);
    }
    // About 3 % per day over 14 days reads about 3/14 % per row.
    expect(mean(perDay.results.map((row) => row.metrics[1]! as number))).toBeCloseTo(3 / 14, 1);
    const total = target.query({ site_id: DOMAIN, metrics: ["conversion_rate"], date_range: range, filters: goal }).results[0]!.metrics[0]!;
    expect(total).toBeGreaterThan(2.7);
    expect(total).toBeLessThan(3.3);
  });

  it("wobbles the conversion rate from day to day (overdispersion) with the given sd", () => {
    const target = longSite({ level: 100_000, conversionRate: 0.03, conversionWobble: 0.1 });
    const converters = daily(target, LONG, "visitors", [["is", "event:goal", ["Signup"]]]);
    const visitors = daily(target, LONG);
    const rates = [...visitors].map(([date, count]) => (converters.get(date) ?? 0) / count);
    expect(mean(rates)).toBeGreaterThan(0.0295);
    expect(mean(rates)).toBeLessThan(0.0305);
    // sd = 0.03 × 0.1 planted; Poisson alone would give sqrt(0.03 / 100000) ≈ 0.00055.
    expect(Math.sqrt(variance(rates))).toBeGreaterThan(0.0027);
    expect(Math.sqrt(variance(rates))).toBeLessThan(0.0035);
  });

  it("applies event:page and event:goal to the same event, and has_done for 'converted after seeing the page'", () => {
    const target = site({ level: 20_000 });
    const visitors = (filters: unknown[]) =>
      target.query({ site_id: DOMAIN, metrics: ["visitors"], date_range: "30d", filters }).results[0]!.metrics[0]! as number;
    const signups = visitors([["is", "event:goal", ["Signup"]]]);
    expect(
      visitors([
        ["is", "event:page", ["/pricing"]],
        ["is", "event:goal", ["Signup"]],
      ]),
    ).toBe(0);
    expect(
      visitors([
        ["is", "event:page", ["/signup"]],
        ["is", "event:goal", ["Signup"]],
      ]),
    ).toBe(signups);
    const afterPricing = visitors([
      ["has_done", ["is", "event:page", ["/pricing"]]],
      ["is", "event:goal", ["Signup"]],
    ]);
    // 70 % of signups go through /pricing, and those entering on /pricing always do.
    expect(afterPricing / signups).toBeGreaterThan(0.7);
    expect(afterPricing / signups).toBeLessThan(0.8);
    // The page goal counts visits that viewed /pricing.
    expect(visitors([["is", "event:goal", ["Visit /pricing"]]])).toBe(visitors([["is", "event:page", ["/pricing"]]]));
  });

  it("breaks down by source, country and page with stable shares, and reports total_rows", () => {
    const target = site({ level: 50_000 });
    const answer = target.query({
      site_id: DOMAIN,
      metrics: ["visitors"],
      date_range: "30d",
      dimensions: ["visit:source"],
      include: { total_rows: true },
    });
    expect(answer.results.map((row) => row.dimensions[0])).toEqual(["Google", "Direct / None", "Twitter", "Newsletter", "Hacker News"]);
    expect(answer.meta.total_rows).toBe(5);
    const total = answer.results.reduce((sum, row) => sum + (row.metrics[0]! as number), 0);
    expect((answer.results[0]!.metrics[0]! as number) / total).toBeCloseTo(0.5, 2);
    const pages = target.query({ site_id: DOMAIN, metrics: ["visitors", "pageviews"], date_range: "30d", dimensions: ["event:page"] });
    expect(pages.results.map((row) => row.dimensions[0]).sort()).toEqual(["/", "/blog/launch", "/docs", "/pricing", "/signup"]);
    const countries = target.query({ site_id: DOMAIN, metrics: ["visitors"], date_range: "30d", dimensions: ["visit:country"] });
    expect(countries.results.map((row) => row.dimensions[0])).toEqual(["US", "DE", "GB", "FR"]);
  });

  it("refuses what Plausible refuses, with its texts, and what the model lacks, with a reason", () => {
    const target = site();
    const refusal = (body: Record<string, unknown>) => {
      try {
        target.query({ site_id: DOMAIN, date_range: "7d", ...body });
      } catch (error) {
        expect(error).toBeInstanceOf(SyntheticQueryError);
        return { status: (error as SyntheticQueryError).status, text: (error as Error).message };
      }
      throw new Error("the query was answered");
    };
    expect(refusal({ metrics: ["conversion_rate"] })).toEqual({
      status: 400,
      text: "Metric `conversion_rate` can only be queried with event:goal filters or dimensions.",
    });
    expect(refusal({ metrics: ["visitors"], filters: [["is", "event:goal", ["Purchase"]]] }).text).toMatch(
      /The goal `Purchase` is not configured for this site/,
    );
    expect(refusal({ metrics: ["visit_duration"] }).text).toMatch(/does not model the metric visit_duration/);
    expect(refusal({ metrics: ["visitors"], site_id: "other.test" }).status).toBe(401);
  });
});

describe("planted effects", () => {
  it("a +10 % step raises the mean after its date by 10 % (± 1 %)", () => {
    const target = longSite({ sigma: 0.05, effects: [{ kind: "step", from: "2023-01-01", factor: 1.1 }] });
    const rows = [...daily(target, LONG)];
    const before = mean(rows.filter(([date]) => date < "2023-01-01").map(([, value]) => value));
    const after = mean(rows.filter(([date]) => date >= "2023-01-01").map(([, value]) => value));
    expect(after / before).toBeGreaterThan(1.09);
    expect(after / before).toBeLessThan(1.11);
  });

  it("a step on conversion_rate or bounce_rate moves that rate only", () => {
    const target = site({
      level: 100_000,
      effects: [
        { kind: "step", from: "2026-06-01", factor: 1.5, metric: "conversion_rate" },
        { kind: "step", from: "2026-06-01", factor: 0.8, metric: "bounce_rate" },
      ],
    });
    const ask = (range: [string, string], metrics: string[], filters: unknown[] = []) =>
      target.query({ site_id: DOMAIN, metrics, date_range: range, filters }).results[0]!.metrics as number[];
    const goal = [["is", "event:goal", ["Signup"]]];
    expect(ask(["2026-05-01", "2026-05-31"], ["conversion_rate"], goal)[0]).toBeCloseTo(3, 0);
    expect(ask(["2026-06-01", "2026-06-14"], ["conversion_rate"], goal)[0]).toBeCloseTo(4.5, 0);
    expect(ask(["2026-05-01", "2026-05-31"], ["bounce_rate"])[0]).toBe(45);
    expect(ask(["2026-06-01", "2026-06-14"], ["bounce_rate"])[0]).toBe(36);
    const visitors = (range: [string, string]) =>
      ask(range, ["visitors"])[0]! / (Number(range[1].slice(8)) - Number(range[0].slice(8)) + 1);
    expect(visitors(["2026-06-01", "2026-06-14"]) / visitors(["2026-05-01", "2026-05-31"])).toBeCloseTo(1, 1);
  });

  it("a ×5 spike of one source on one day multiplies that source's count that day only", () => {
    const target = site({
      level: 50_000,
      effects: [{ kind: "spike", date: "2026-06-07", dimension: "visit:source", value: "Hacker News", factor: 5 }],
    });
    const range: [string, string] = ["2026-05-01", "2026-06-14"];
    const bySource = (source: string) => daily(target, range, "visitors", [["is", "visit:source", [source]]]);
    const [hackerNews, google, direct] = [bySource("Hacker News"), bySource("Google"), bySource("Direct / None")];
    // Against another source of the same day, the day's own noise cancels out.
    const jump = (source: Map<string, number>, reference: Map<string, number>) => {
      const ratio = (date: string) => source.get(date)! / reference.get(date)!;
      return ratio("2026-06-07") / mean([...source.keys()].filter((date) => date !== "2026-06-07").map(ratio));
    };
    expect(jump(hackerNews, google)).toBeGreaterThan(4.5);
    expect(jump(hackerNews, google)).toBeLessThan(5.5);
    expect(jump(google, direct)).toBeGreaterThan(0.95);
    expect(jump(google, direct)).toBeLessThan(1.05);
  });
});

describe("syntheticContext", () => {
  const tool = (name: string): ToolDefinition => TOOLS.find((candidate) => candidate.name === name)!;

  it("runs a tool in-process and records its requests and batches", async () => {
    const synthetic = syntheticContext([site()]);
    const output = await callTool(tool("get_aggregate"), { site_id: DOMAIN, date_range: "7d", metrics: ["visitors"] }, synthetic.context);
    expect(JSON.stringify(output.structured)).toMatch(/visitors/);
    expect(synthetic.batches).toBeGreaterThan(0);
    expect(synthetic.requests.some((request) => request.kind === "query")).toBe(true);
  });

  it("fails like the real client: Plausible's 400 text, and 406 for the Sites API on Community Edition", async () => {
    const community = syntheticContext([site()], { sitesApi: false });
    const sites = community.context.plausible([{ kind: "sites" }]);
    await expect(sites).rejects.toBeInstanceOf(PlausibleApiError);
    await expect(community.context.plausible([{ kind: "sites" }])).rejects.toMatchObject({ status: 406 });
    await expect(
      community.context.plausible([{ kind: "query", body: { site_id: DOMAIN, metrics: ["conversion_rate"], date_range: "7d" } }]),
    ).rejects.toMatchObject({
      status: 400,
      plausibleMessage: "Metric `conversion_rate` can only be queried with event:goal filters or dimensions.",
    });
    const cloud = syntheticContext([site()]);
    expect(await cloud.context.plausible([{ kind: "sites" }])).toEqual([[{ domain: DOMAIN, timezone: "UTC" }]]);
  });
});

describe("explain_change's default dimensions", () => {
  it("answers channel, country name and device breakdowns that add up to the total", () => {
    const target = site();
    const total = target.query({ site_id: DOMAIN, metrics: ["visitors"], date_range: "7d" }).results[0]!.metrics[0]!;
    for (const dimension of ["visit:channel", "visit:country_name", "visit:device"]) {
      const rows = target.query({ site_id: DOMAIN, metrics: ["visitors"], date_range: "7d", dimensions: [dimension] }).results;
      expect(rows.length).toBeGreaterThan(2);
      expect(rows.reduce((sum, row) => sum + (row.metrics[0]! as number), 0)).toBe(total);
    }
  });
});
