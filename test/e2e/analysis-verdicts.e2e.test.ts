// The analysis tools' verdicts over /mcp on synthetic sites that behave like
// real ones (dev/plausible-simulator/synthetic.ts, served for *.synthetic.test
// domains): the wrong answers of issue 19's "Why" do not come back.
// Dates are relative to today; the sites' data is laid out relative to today too.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callOk, connectWithKey, type E2eClient } from "../../dev/clients/mcp-clients.ts";
import { startE2eStack, type DemoStack } from "./support/stack.ts";

interface Impact {
  results: Array<{ metric: string; verdict: string; change_percent: number | null; p_value: number | null }>;
  notes: string[];
}
interface Comparison {
  change: Record<string, { absolute: number | null; percent: number | null }>;
  significance: Record<string, { significant: boolean; p_value: number | null; verdict?: string }>;
  notes: string[];
}
interface Explained {
  days: Array<{ date: string; flagged: boolean; score: number | null }>;
  anomalies?: unknown[];
}

const addDays = (date: string, days: number) => new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
const today = () => new Date().toISOString().slice(0, 10);

let stack: DemoStack;
let client: E2eClient;
beforeAll(async () => {
  stack = await startE2eStack();
  client = await connectWithKey("SDK v2, Streamable HTTP", `${stack.urls.worker}/mcp`, stack.apiKey);
});
afterAll(async () => {
  await client?.close();
  await stack?.stop();
});

describe("measure_impact", () => {
  it("does not read the days before a young site's first data as zero traffic (was: +186.7 %, increase)", async () => {
    // Flat traffic whose data starts 5 days before the event: 9 of the 14 days before it have no rows.
    const event = addDays(today(), -16);
    const impact = await callOk<Impact>(client, "measure_impact", {
      site_id: "days-21.flat.sigma-5.synthetic.test",
      event,
      metrics: ["visitors"],
    });
    const visitors = impact.results.find((result) => result.metric === "visitors")!;
    expect(visitors.verdict).not.toBe("increase");
    expect(Math.abs(visitors.change_percent ?? 0)).toBeLessThan(50);
  });

  it("finds a +10 % step at 5,000 visitors a day with 5 % noise and a weekday pattern (was: no detectable change)", async () => {
    const impact = await callOk<Impact>(client, "measure_impact", {
      site_id: "step-10pct-16d.weekly.sigma-5.seed-2.synthetic.test",
      event: addDays(today(), -16),
      metrics: ["visitors"],
    });
    expect(impact.results[0]!.verdict).toBe("increase");
  });
});

describe("compare_periods", () => {
  it('does not count the rest of the month as zero traffic for current "month" (was: −46.5 %, significant)', async () => {
    const firstOfMonth = `${today().slice(0, 8)}01`;
    const lastMonth: [string, string] = [`${addDays(firstOfMonth, -1).slice(0, 8)}01`, addDays(firstOfMonth, -1)];
    const comparison = await callOk<Comparison>(client, "compare_periods", {
      site_id: "flat.sigma-5.synthetic.test",
      current: "month",
      previous: lastMonth,
      metrics: ["visitors"],
    });
    const visitors = comparison.significance.visitors!;
    expect(visitors.verdict ?? (visitors.significant ? "significant" : "no detectable change")).not.toMatch(/decrease|significant/);
  });
});

describe("explain_change", () => {
  it("does not flag a quiet week on a site with ordinary day-to-day noise", async () => {
    // Seed 18: a week the old noise scale (about 0.71 σ) flagged twice.
    const explained = await callOk<Explained>(client, "explain_change", {
      site_id: "flat.sigma-10.seed-18.synthetic.test",
      period: [addDays(today(), -7), addDays(today(), -1)],
      dimensions: ["visit:source", "event:page"],
    });
    expect(explained.days.filter((day) => day.flagged)).toEqual([]);
    expect(explained.anomalies ?? []).toEqual([]);
  });

  it("does not score a young site's days against baseline days without data (was: expected 0, flagged)", async () => {
    const explained = await callOk<Explained>(client, "explain_change", {
      site_id: "days-20.flat.sigma-5.synthetic.test",
      period: [addDays(today(), -7), addDays(today(), -1)],
      dimensions: ["visit:source"],
    });
    expect(explained.days.filter((day) => day.flagged)).toEqual([]);
  });
});
