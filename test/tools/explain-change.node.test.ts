import { afterEach, describe, expect, it, vi } from "vitest";
import { PlausibleApiError, type PlausibleRequest, type QueryBody } from "../../src/plausible";
import { DEFAULT_MAX_RESULT_CHARS } from "../../src/config";
import type { ToolContext } from "../../src/tools";
import { addDays, datesBetween, weekday } from "../../src/tools/dates";
import { explainChangeTool } from "../../src/tools/explain-change";
import { ToolInputError } from "../../src/tools/types";
import { callTool } from "./fake-context";
import { inMemoryTeamMemory } from "../../dev/plausible-simulator/team-memory.ts";

// explain_change against hand-built daily series, one per wrong answer the tool used to give
// (issue 19): each case states what the site did and what the tool must say about it.

/** Visitors of one source on one date. */
type SourceCounts = (date: string) => number;

interface FakeSite {
  /** Per value of visit:source, its visitors on each date (the total is their sum). */
  sources: Record<string, SourceCounts>;
  firstDay: string;
  /** The site's today (local); its rows hold `todayFraction` of a day. */
  today: string;
  todayFraction?: number;
  /** The offset Plausible writes in its echo, e.g. "-07:00". */
  offset?: string;
  timezone?: string;
  sitesApi?: boolean;
  /** Answers every [dimension, time:day] query with total_rows above the rows returned. */
  truncated?: boolean;
}

/** Deterministic standard normal noise per key (a hash, then Box-Muller). */
function noise(key: string): number {
  let hash = 2166136261;
  for (const char of key) hash = Math.imul(hash ^ char.charCodeAt(0), 16777619);
  const uniform = (seed: number) => ((Math.imul(seed, 2654435761) >>> 0) + 0.5) / 4294967296;
  return Math.sqrt(-2 * Math.log(uniform(hash))) * Math.cos(2 * Math.PI * uniform(hash ^ 0x5bd1e995));
}

/** A steady source: `level` a day, lognormal day-to-day noise of `sigma`, quieter weekends. */
function steady(name: string, level: number, sigma = 0.05): SourceCounts {
  return (date) => Math.round(level * [0.7, 1.05, 1.1, 1.1, 1.05, 0.95, 0.75][weekday(date)]! * Math.exp(sigma * noise(`${name}${date}`)));
}

function fakeSite(site: FakeSite): { context: ToolContext; requests: PlausibleRequest[] } {
  const requests: PlausibleRequest[] = [];
  const offset = site.offset ?? "+00:00";
  const countOf = (source: string, date: string) => {
    if (date < site.firstDay || date > site.today) return 0;
    const full = site.sources[source]!(date);
    return date === site.today ? Math.round(full * (site.todayFraction ?? 0.5)) : full;
  };
  const answer = (body: QueryBody) => {
    const [first, last] =
      body.date_range === "day"
        ? [site.today, site.today]
        : body.date_range === "all"
          ? [site.firstDay, site.today]
          : (body.date_range as [string, string]).map((date) => date.slice(0, 10));
    const dates = datesBetween(first!, last!);
    const sources = Object.keys(site.sources);
    const dimensions = body.dimensions ?? [];
    let rows: { dimensions: string[]; metrics: number[] }[];
    if (dimensions.length === 0) {
      rows = [
        {
          dimensions: [],
          metrics: [dates.reduce((sum, date) => sum + sources.reduce((all, source) => all + countOf(source, date), 0), 0)],
        },
      ];
    } else if (dimensions.length === 1) {
      rows = dates.map((date) => ({ dimensions: [date], metrics: [sources.reduce((sum, source) => sum + countOf(source, date), 0)] }));
    } else {
      rows = sources.flatMap((source) => dates.map((date) => ({ dimensions: [source, date], metrics: [countOf(source, date)] })));
    }
    // Plausible sends no row for a day (or value-day) without data.
    rows = rows.filter((row) => dimensions.length === 0 || row.metrics[0]! > 0);
    return {
      results: rows,
      meta: site.truncated && dimensions.length > 1 ? { total_rows: rows.length + 25 } : {},
      query: { ...body, date_range: [`${first}T00:00:00${offset}`, `${last}T23:59:59${offset}`] },
    };
  };
  const context: ToolContext = {
    maxResultChars: DEFAULT_MAX_RESULT_CHARS,
    memory: inMemoryTeamMemory(),
    async plausible(batch) {
      requests.push(...batch);
      return batch.map((request) => {
        if (request.kind === "query") return answer(request.body);
        if (site.sitesApi === false)
          throw new PlausibleApiError("Plausible answered 406: Not Acceptable", { status: 406, plausibleMessage: "Not Acceptable" });
        return [{ domain: "example.com", timezone: site.timezone ?? "UTC" }];
      });
    },
  };
  return { context, requests };
}

const SITE = { site_id: "example.com", dimensions: ["visit:source"] };
/** 2024-06-03 is a Monday; the site's "now" is noon on 2024-06-12 unless a case says otherwise. */
const WEEK: [string, string] = ["2024-06-03", "2024-06-09"];

afterEach(() => {
  vi.useRealTimers();
});

function at(instant: string) {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(Date.parse(instant));
}

describe("explain_change's answers (issue 19)", () => {
  it("reads an ordinary week as ordinary when two Mondays of the last four weeks were holidays", async () => {
    at("2024-06-12T12:00:00Z");
    const holidays = new Set(["2024-05-20", "2024-05-27"]);
    const google = steady("Google", 5000);
    const { context } = fakeSite({
      sources: { Google: (date) => Math.round(google(date) * (holidays.has(date) ? 0.1 : 1)) },
      firstDay: "2023-01-01",
      today: "2024-06-12",
    });
    const { structured } = await callTool(explainChangeTool, { ...SITE, period: WEEK }, context);
    expect(structured.days.filter((day) => day.flagged)).toEqual([]);
    expect(Math.abs(structured.total.change_percent!)).toBeLessThan(3);
    expect(structured.total.verdict).toBe("no detectable change");
  });

  it("does not make a driver of one baseline day's spike, and withholds shares when the total is within its noise", async () => {
    at("2024-06-12T12:00:00Z");
    const google = steady("Google", 3000);
    const { context } = fakeSite({
      sources: {
        Google: (date) => google(date) - (date === "2024-06-05" ? 35 : 0),
        "Direct / None": steady("Direct", 1500),
        "Hacker News": (date) => (date === "2024-05-22" ? 3000 : 0),
      },
      firstDay: "2023-01-01",
      today: "2024-06-12",
    });
    const { structured, text } = await callTool(explainChangeTool, { ...SITE, period: WEEK }, context);
    const values = structured.drivers[0]!.values;
    const hackerNews = values.find((value) => value.value === "Hacker News");
    expect(hackerNews?.contribution ?? 0).toBe(0);
    for (const value of values) expect(value.share_of_change).toBeNull();
    expect(structured.total.verdict).toBe("no detectable change");
    expect(text).toMatch(/shares of the change are withheld/i);
  });

  it("splits a real change among the values of a visit dimension so that they and other add up to the total change", async () => {
    at("2024-06-12T12:00:00Z");
    const google = steady("Google", 3000);
    const { context } = fakeSite({
      sources: {
        Google: (date) => Math.round(google(date) * (date >= "2024-06-05" && date <= "2024-06-07" ? 1.6 : 1)),
        "Direct / None": steady("Direct", 1500),
        Twitter: steady("Twitter", 400),
        Newsletter: steady("Newsletter", 200),
      },
      firstDay: "2023-01-01",
      today: "2024-06-12",
    });
    const { structured } = await callTool(explainChangeTool, { ...SITE, period: WEEK, top: 2 }, context);
    expect(structured.total.verdict).toBe("increase");
    const [driver] = structured.drivers;
    expect(driver!.values[0]!.value).toBe("Google");
    expect(driver!.values[0]!.share_of_change).toBeGreaterThan(80);
    const sum = driver!.values.reduce((total, value) => total + value.contribution, 0) + driver!.other.contribution;
    expect(sum).toBeCloseTo(structured.total.change, 0);
  });

  it("finds a 10x jump in a one-day period: the day flagged and the total an increase with a p-value, not 'p 1'", async () => {
    at("2024-06-12T12:00:00Z");
    const google = steady("Google", 3000);
    const { context } = fakeSite({
      sources: { Google: (date) => google(date) * (date === "2024-06-05" ? 10 : 1) },
      firstDay: "2023-01-01",
      today: "2024-06-12",
    });
    const { structured } = await callTool(explainChangeTool, { ...SITE, period: ["2024-06-05", "2024-06-05"] }, context);
    expect(structured.days[0]!.flagged).toBe(true);
    expect(structured.total.verdict).toBe("increase");
    expect(structured.total.p_value).toBeLessThan(0.05);
  });

  it("refuses a custom baseline that lacks some weekdays of the period, naming the argument and the fix", async () => {
    at("2024-06-12T12:00:00Z");
    const { context } = fakeSite({ sources: { Google: steady("Google", 3000) }, firstDay: "2023-01-01", today: "2024-06-12" });
    const call = callTool(explainChangeTool, { ...SITE, period: WEEK, baseline: ["2024-05-27", "2024-05-29"] }, context);
    await expect(call).rejects.toThrow(ToolInputError);
    await expect(call).rejects.toThrow(/`baseline`.*Thursday.*whole weeks/);
  });

  it("without the Sites API takes the site's today from Plausible, so '7d' ends on the site's yesterday", async () => {
    // 03:00 UTC on 2024-06-12 is 20:00 on 2024-06-11 in Los Angeles: the site's day is not over.
    at("2024-06-12T03:00:00Z");
    const { context } = fakeSite({
      sources: { Google: steady("Google", 3000) },
      firstDay: "2023-01-01",
      today: "2024-06-11",
      todayFraction: 0.8,
      offset: "-07:00",
      sitesApi: false,
    });
    const { structured } = await callTool(explainChangeTool, { ...SITE, period: "7d" }, context);
    expect(structured.date_range_resolved).toEqual(["2024-06-04", "2024-06-10"]);
    expect(structured.days.filter((day) => day.flagged)).toEqual([]);
  });

  it("does not score the site's unfinished today as a complete day", async () => {
    at("2024-06-12T03:00:00Z");
    const { context } = fakeSite({
      sources: { Google: steady("Google", 3000) },
      firstDay: "2023-01-01",
      today: "2024-06-11",
      todayFraction: 0.7,
      offset: "-07:00",
      sitesApi: false,
    });
    const { structured } = await callTool(explainChangeTool, { ...SITE, period: ["2024-06-05", "2024-06-11"] }, context);
    const today = structured.days.find((day) => day.date === "2024-06-11")!;
    expect(today).toMatchObject({ score: null, flagged: false, not_scored: "today, still in progress" });
    expect(structured.total.verdict).toBe("no detectable change");
  });

  it("does not count the days before a young site's first data as zero traffic", async () => {
    at("2024-06-12T12:00:00Z");
    const { context } = fakeSite({ sources: { Google: steady("Google", 3000) }, firstDay: "2024-05-19", today: "2024-06-12" });
    const { structured, text } = await callTool(explainChangeTool, { ...SITE, period: WEEK }, context);
    expect(Math.abs(structured.total.change_percent!)).toBeLessThan(10);
    expect(structured.total.verdict).toBe("not tested");
    expect(structured.total.reason).toMatch(/baseline/);
    expect(structured.total.p_value).toBeNull();
    expect(text).toContain("The site's data starts on 2024-05-19");
  });

  it("lists one source's sevenfold Sunday as an anomaly while the site's total stays within its noise", async () => {
    at("2024-06-12T12:00:00Z");
    const hackerNews = steady("Hacker News", 30, 0.05);
    const { context } = fakeSite({
      sources: {
        Google: steady("Google", 4000),
        "Direct / None": steady("Direct", 1000),
        "Hacker News": (date) => hackerNews(date) * (date === "2024-06-09" ? 7 : 1),
      },
      firstDay: "2023-01-01",
      today: "2024-06-12",
    });
    const { structured, text } = await callTool(explainChangeTool, { ...SITE, period: WEEK }, context);
    expect(structured.days.filter((day) => day.flagged)).toEqual([]);
    expect(structured.anomalies).toEqual([
      expect.objectContaining({ dimension: "visit:source", value: "Hacker News", date: "2024-06-09" }),
    ]);
    expect(text).toContain("Hacker News on 2024-06-09");
  });

  it("says when Plausible returned only part of a dimension's value-days", async () => {
    at("2024-06-12T12:00:00Z");
    const { context } = fakeSite({
      sources: { Google: steady("Google", 3000) },
      firstDay: "2023-01-01",
      today: "2024-06-12",
      truncated: true,
    });
    const { structured, text } = await callTool(explainChangeTool, { ...SITE, period: WEEK }, context);
    expect(structured.drivers[0]!.truncated).toBe(true);
    expect(text).toMatch(/only the first 10000 value-days for visit:source/);
  });

  it.each([true, false])("makes at most 15 Plausible requests, twice today's 13 at most (Sites API: %s)", async (sitesApi) => {
    at("2024-06-12T12:00:00Z");
    const { context, requests } = fakeSite({
      sources: { Google: steady("Google", 3000) },
      firstDay: "2023-01-01",
      today: "2024-06-12",
      sitesApi,
    });
    await callTool(explainChangeTool, { site_id: "example.com" }, context);
    expect(requests.length).toBe(sitesApi ? 14 : 15);
    expect(explainChangeTool.description).toContain("at most 15 Plausible requests");
  });

  it("uses a default baseline of the 8 weeks before the period", async () => {
    at("2024-06-12T12:00:00Z");
    const { context } = fakeSite({ sources: { Google: steady("Google", 3000) }, firstDay: "2023-01-01", today: "2024-06-12" });
    const { structured } = await callTool(explainChangeTool, { ...SITE, period: WEEK }, context);
    expect(structured.baseline_resolved).toEqual([addDays(WEEK[0], -56), addDays(WEEK[0], -1)]);
  });
});
