import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator } from "../../../dev/plausible-simulator/server.ts";
import type { SimulatorHandle } from "../../../dev/plausible-simulator/server.ts";
import { createDataset } from "../../../dev/plausible-simulator/dataset.ts";
import { FIXED_NOW, post } from "./client.ts";

let sim: SimulatorHandle;

beforeAll(async () => {
  sim = await startSimulator({ now: FIXED_NOW, seed: 1, log: () => {} });
});

afterAll(() => sim.close());

const SITE = "example.com";

async function rows(body: Record<string, unknown>) {
  const answer = await post(sim.url, { site_id: SITE, ...body });
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return answer.body.results as Array<{ metrics: any[]; dimensions: any[] }>;
}

async function total(metric: string, body: Record<string, unknown> = {}) {
  const [row] = await rows({ metrics: [metric], date_range: "30d", ...body });
  return row!.metrics[0] as number;
}

const sum = (list: Array<{ metrics: any[] }>, index = 0) => list.reduce((acc, row) => acc + (row.metrics[index] as number), 0);

describe("response shape", () => {
  it("answers an aggregate with results, meta and the resolved query", async () => {
    const answer = await post(sim.url, {
      site_id: SITE,
      metrics: ["visitors", "visits", "pageviews", "bounce_rate", "visit_duration", "views_per_visit", "events"],
      date_range: "7d",
    });
    expect(answer.status).toBe(200);
    expect(answer.body.results).toHaveLength(1);
    expect(answer.body.results[0].dimensions).toEqual([]);
    expect(answer.body.results[0].metrics.every((value: unknown) => typeof value === "number")).toBe(true);
    expect(answer.body.meta).toEqual({});
    // 7d is the seven full days before today, in the site's timezone (Europe/Berlin, summer time).
    expect(answer.body.query).toEqual({
      site_id: SITE,
      metrics: ["visitors", "visits", "pageviews", "bounce_rate", "visit_duration", "views_per_visit", "events"],
      date_range: ["2025-06-08T00:00:00+02:00", "2025-06-14T23:59:59+02:00"],
      filters: [],
      dimensions: [],
      order_by: [["visitors", "desc"]],
      include: {},
      pagination: { limit: 10000, offset: 0 },
    });
  });

  it("formats hourly buckets and lists time labels", async () => {
    const answer = await post(sim.url, {
      site_id: SITE,
      metrics: ["visitors"],
      date_range: "day",
      dimensions: ["time:hour"],
      include: { time_labels: true, total_rows: true },
    });
    expect(answer.body.meta.time_labels).toHaveLength(24);
    expect(answer.body.meta.time_labels[5]).toBe("2025-06-15 05:00:00");
    expect(answer.body.meta.total_rows).toBe(answer.body.results.length);
    for (const row of answer.body.results) expect(row.dimensions[0]).toMatch(/^2025-06-15 \d{2}:00:00$/);
    // Data ends at now (14:00 in Berlin), so later hours have no rows.
    expect(answer.body.results.every((row: any) => row.dimensions[0] <= "2025-06-15 14:00:00")).toBe(true);
  });

  it("returns revenue as money objects for a revenue goal, and null with a warning otherwise", async () => {
    const [purchase] = await rows({
      metrics: ["total_revenue", "average_revenue"],
      date_range: "91d",
      filters: [["is", "event:goal", ["Purchase"]]],
    });
    expect(purchase!.metrics[0]).toEqual({
      value: expect.any(Number),
      currency: "USD",
      short: expect.stringMatching(/^\$/),
      long: expect.stringMatching(/^\$[\d,]+\.\d{2}$/),
    });

    const plain = await post(sim.url, { site_id: SITE, metrics: ["visitors", "total_revenue"], date_range: "7d" });
    expect(plain.body.results[0].metrics[1]).toBeNull();
    expect(plain.body.meta.metric_warnings.total_revenue.code).toBe("no_revenue_goals_matching");
  });

  it("reports conversion rates per goal", async () => {
    const goals = await rows({ metrics: ["visitors", "conversion_rate"], date_range: "30d", dimensions: ["event:goal"] });
    const visitors = await total("visitors");
    expect(goals.map((row) => row.dimensions[0]).sort()).toEqual(["Purchase", "Signup", "Visit /pricing"]);
    for (const row of goals) expect(row.metrics[1]).toBeCloseTo((row.metrics[0] / visitors) * 100, 1);
  });

  it("answers every named and explicit date range", async () => {
    for (const date_range of [
      "all",
      "day",
      "24h",
      "7d",
      "28d",
      "30d",
      "91d",
      "month",
      "6mo",
      "12mo",
      "year",
      "3d",
      "2mo",
      ["2025-06-01", "2025-06-07"],
      ["2025-06-01T00:00:00+02:00", "2025-06-01T12:00:00+02:00"],
    ]) {
      const answer = await post(sim.url, { site_id: SITE, metrics: ["visitors"], date_range });
      expect(answer.status, JSON.stringify(date_range)).toBe(200);
    }
    const months = await post(sim.url, { site_id: SITE, metrics: ["visitors"], date_range: "6mo" });
    expect(months.body.query.date_range).toEqual(["2024-12-01T00:00:00+01:00", "2025-05-31T23:59:59+02:00"]);
  });
});

describe("internal consistency", () => {
  it("a 7-day daily timeseries has 7 rows adding up to the 7d aggregate", async () => {
    const series = await rows({ metrics: ["visitors", "visits", "pageviews"], date_range: "7d", dimensions: ["time:day"] });
    const [aggregate] = await rows({ metrics: ["visitors", "visits", "pageviews"], date_range: "7d" });
    expect(series).toHaveLength(7);
    expect(series.map((row) => row.dimensions[0])).toEqual([
      "2025-06-08",
      "2025-06-09",
      "2025-06-10",
      "2025-06-11",
      "2025-06-12",
      "2025-06-13",
      "2025-06-14",
    ]);
    expect([sum(series, 0), sum(series, 1), sum(series, 2)]).toEqual(aggregate!.metrics);
  });

  it("weekly and monthly buckets add up too", async () => {
    const visitors = await total("visitors", { date_range: "91d" });
    expect(sum(await rows({ metrics: ["visitors"], date_range: "91d", dimensions: ["time:week"] }))).toBe(visitors);
    expect(sum(await rows({ metrics: ["visitors"], date_range: "91d", dimensions: ["time:month"] }))).toBe(visitors);
  });

  it("a breakdown by a visit dimension adds up to the visitors", async () => {
    const visitors = await total("visitors");
    for (const dimension of ["visit:source", "visit:country", "visit:device", "visit:browser"]) {
      expect(sum(await rows({ metrics: ["visitors"], date_range: "30d", dimensions: [dimension] })), dimension).toBe(visitors);
    }
    const percentages = await rows({ metrics: ["percentage"], date_range: "30d", dimensions: ["visit:source"] });
    expect(sum(percentages)).toBeCloseTo(100, 0);
  });

  it("a breakdown by event name adds up to the events", async () => {
    expect(sum(await rows({ metrics: ["events"], date_range: "30d", dimensions: ["event:name"] }))).toBe(await total("events"));
  });
});

describe("filters", () => {
  const google = (operator: string, clauses: string[], modifiers?: object) =>
    modifiers ? [operator, "visit:source", clauses, modifiers] : [operator, "visit:source", clauses];

  it("is and is_not split the visitors", async () => {
    const visitors = await total("visitors");
    const matching = await total("visitors", { filters: [google("is", ["Google"])] });
    const rest = await total("visitors", { filters: [google("is_not", ["Google"])] });
    expect(matching).toBeGreaterThan(0);
    expect(matching + rest).toBe(visitors);
  });

  it("contains, matches and case_sensitive find the same visitors", async () => {
    const expected = await total("visitors", { filters: [google("is", ["Google"])] });
    expect(await total("visitors", { filters: [google("contains", ["goo"], { case_sensitive: false })] })).toBe(expected);
    expect(await total("visitors", { filters: [google("contains", ["goo"])] })).toBe(0);
    expect(await total("visitors", { filters: [google("matches", ["^Goo.le$"])] })).toBe(expected);
    expect(await total("visitors", { filters: [google("contains_not", ["Goo"])] })).toBe((await total("visitors")) - expected);
    expect(await total("visitors", { filters: [google("matches_not", ["^Goo"])] })).toBe((await total("visitors")) - expected);
  });

  it("and, or and not combine", async () => {
    const notGoogle = await total("visitors", { filters: [google("is_not", ["Google"])] });
    expect(await total("visitors", { filters: [["not", google("is", ["Google"])]] })).toBe(notGoogle);
    const either = await total("visitors", { filters: [["or", [google("is", ["Google"]), google("is", ["Bing"])]]] });
    expect(either).toBe(await total("visitors", { filters: [google("is", ["Google", "Bing"])] }));
    const both = await total("visitors", { filters: [["and", [google("is", ["Google"]), ["is", "visit:country", ["US"]]]]] });
    expect(both).toBe(await total("visitors", { filters: [google("is", ["Google"]), ["is", "visit:country", ["US"]]] }));
  });

  it("has_done and has_not_done split the visits", async () => {
    const signedUp: unknown[] = ["is", "event:name", ["Signup"]];
    const done = await total("visits", { filters: [["has_done", signedUp]] });
    const notDone = await total("visits", { filters: [["has_not_done", signedUp]] });
    expect(done).toBeGreaterThan(0);
    expect(done + notDone).toBe(await total("visits"));
    expect(await total("visitors", { filters: [["has_done", signedUp]] })).toBe(
      await total("visitors", { filters: [["is", "event:goal", ["Signup"]]] }),
    );
  });

  it("filters on custom properties", async () => {
    const plans = await rows({
      metrics: ["visitors"],
      date_range: "91d",
      dimensions: ["event:props:plan"],
      filters: [["is", "event:goal", ["Signup"]]],
    });
    expect(plans.map((row) => row.dimensions[0]).sort()).toEqual(["enterprise", "free", "pro"]);
  });
});

describe("ordering and pagination", () => {
  it("orders by the requested entries", async () => {
    const ascending = await rows({
      metrics: ["visitors"],
      date_range: "30d",
      dimensions: ["visit:country"],
      order_by: [["visitors", "asc"]],
    });
    const values = ascending.map((row) => row.metrics[0] as number);
    expect(values).toEqual([...values].sort((a, b) => a - b));
  });

  it("pages with limit and offset and counts all rows", async () => {
    const all = await post(sim.url, { site_id: SITE, metrics: ["visitors"], date_range: "30d", dimensions: ["event:page"] });
    const page = await post(sim.url, {
      site_id: SITE,
      metrics: ["visitors"],
      date_range: "30d",
      dimensions: ["event:page"],
      pagination: { limit: 2, offset: 3 },
      include: { total_rows: true },
    });
    expect(page.body.results).toEqual(all.body.results.slice(3, 5));
    expect(page.body.meta.total_rows).toBe(all.body.results.length);
  });
});

describe("determinism", () => {
  const body = { site_id: SITE, metrics: ["visitors", "pageviews", "bounce_rate"], date_range: "30d", dimensions: ["visit:source"] };

  it("answers the same query the same way", async () => {
    expect((await post(sim.url, body)).body).toEqual((await post(sim.url, body)).body);
  });

  it("generates the same data for the same seed after a restart, and other data for another seed", async () => {
    const before = (await post(sim.url, body)).body;
    const again = await startSimulator({ now: FIXED_NOW, seed: 1, log: () => {} });
    const other = await startSimulator({ now: FIXED_NOW, seed: 2, log: () => {} });
    try {
      expect((await post(again.url, body)).body).toEqual(before);
      expect((await post(other.url, body)).body).not.toEqual(before);
    } finally {
      await again.close();
      await other.close();
    }
  });
});

describe("real-server details", () => {
  it("visit:city values are integer GeoName ids", async () => {
    const cities = await rows({ metrics: ["visitors"], date_range: "30d", dimensions: ["visit:city"] });
    expect(cities.every((row) => Number.isInteger(row.dimensions[0]))).toBe(true);
    expect(cities.map((row) => row.dimensions[0])).toContain(5391959);
  });

  it("a scroll goal converts the pageviews of its page scrolled past the threshold", async () => {
    const blog = { site_id: "blog.example.com", date_range: "30d" };
    const page = "/posts/privacy-first-analytics";
    const goals = await post(sim.url, { ...blog, metrics: ["visitors"], dimensions: ["event:goal"] });
    const scrolled = goals.body.results.find((row: { dimensions: string[] }) => row.dimensions[0] === `Scroll 75% on ${page}`);
    const [viewed] = (await post(sim.url, { ...blog, metrics: ["visitors"], filters: [["is", "event:page", [page]]] })).body.results;
    expect(scrolled.metrics[0]).toBeGreaterThan(0);
    expect(scrolled.metrics[0]).toBeLessThan(viewed.metrics[0]);
  });

  it("month and year are the whole calendar period, with time labels to its end, unless trimmed to today", async () => {
    // FIXED_NOW is 2025-06-15 in Berlin.
    const month = await post(sim.url, {
      site_id: SITE,
      metrics: ["visitors"],
      date_range: "month",
      dimensions: ["time:day"],
      include: { time_labels: true },
    });
    expect(month.body.query.date_range).toEqual(["2025-06-01T00:00:00+02:00", "2025-06-30T23:59:59+02:00"]);
    expect(month.body.meta.time_labels).toHaveLength(30);
    expect(month.body.meta.time_labels.at(-1)).toBe("2025-06-30");
    const trimmed = await post(sim.url, {
      site_id: SITE,
      metrics: ["visitors"],
      date_range: "month",
      dimensions: ["time:day"],
      include: { time_labels: true, trim_relative_date_range: true },
    });
    expect(trimmed.body.meta.time_labels.at(-1)).toBe("2025-06-15");
    const year = await post(sim.url, {
      site_id: SITE,
      metrics: ["visitors"],
      date_range: "year",
      dimensions: ["time:month"],
      include: { time_labels: true },
    });
    expect(year.body.meta.time_labels).toHaveLength(12);
    expect(year.body.meta.time_labels.at(-1)).toBe("2025-12-01");
  });
});

describe("traffic structure", () => {
  const injected = () => createDataset({ seed: 1, now: FIXED_NOW }).sites.find((site) => site.domain === SITE)!.injected;
  const perDay = async (body: Record<string, unknown>) =>
    new Map(
      (await rows({ metrics: ["visitors"], dimensions: ["time:day"], ...body })).map((row) => [
        row.dimensions[0] as string,
        row.metrics[0] as number,
      ]),
    );

  it("has quieter weekends than weekdays", async () => {
    const days = await perDay({ date_range: "84d" });
    const byWeekday = (weekday: number) =>
      [...days].filter(([date]) => new Date(`${date}T12:00:00Z`).getUTCDay() === weekday).reduce((acc, [, value]) => acc + value, 0);
    expect(byWeekday(2)).toBeGreaterThan(byWeekday(6) * 1.4);
    expect(byWeekday(2)).toBeGreaterThan(byWeekday(0) * 1.4);
  });

  it("spikes one source on the documented day", async () => {
    const { spike } = injected();
    const fromSource = await perDay({ date_range: "28d", filters: [["is", "visit:source", [spike.source]]] });
    const others = [...fromSource].filter(([date]) => date !== spike.date).map(([, value]) => value);
    expect(fromSource.get(spike.date)).toBeGreaterThan(5 * Math.max(...others));
  });

  it("steps a page up after the documented deploy", async () => {
    const { deploy } = injected();
    const page = await perDay({ date_range: "91d", filters: [["is", "event:page", [deploy.page]]] });
    const mean = (entries: [string, number][]) => entries.reduce((acc, [, value]) => acc + value, 0) / entries.length;
    const before = mean([...page].filter(([date]) => date < deploy.date).slice(-14));
    const after = mean([...page].filter(([date]) => date > deploy.date).slice(0, 14));
    expect(after).toBeGreaterThan(before * 1.3);
  });
});
