// The calibration harness: its interval, its classification of the tools' answers, and its report.

import { describe, expect, it } from "vitest";
import { measure, SCENARIOS, wilson } from "../../../dev/calibration/measure.ts";
import { markdownReport, svgPlot } from "../../../dev/calibration/report.ts";

const scenario = (id: string) => SCENARIOS.find((candidate) => candidate.id === id)!;

describe("wilson", () => {
  it("matches the textbook Wilson score interval", () => {
    // 15 of 300 (5 %): 3.05 %–8.10 %.
    const [low, high] = wilson(15, 300);
    expect(low).toBeCloseTo(0.0305, 4);
    expect(high).toBeCloseTo(0.081, 3);
    expect(wilson(0, 10)[0]).toBe(0);
    expect(wilson(10, 10)[1]).toBeCloseTo(1, 12);
  });
});

describe("scenarios", () => {
  it("cover weekday on/off × ρ 0, 0.5, 0.9 × 500, 5,000, 50,000 a day for each tool, plus rates and power", () => {
    for (const tool of ["measure_impact", "compare_periods", "explain_change"]) {
      expect(
        SCENARIOS.filter((candidate) => candidate.id.startsWith(`${tool}/null/weekly/`) || candidate.id.startsWith(`${tool}/null/flat/`)),
      ).toHaveLength(18);
    }
    expect(SCENARIOS.filter((candidate) => candidate.kind === "power").map((candidate) => candidate.tool)).toEqual([
      "measure_impact",
      "explain_change",
    ]);
    expect(new Set(SCENARIOS.map((candidate) => candidate.id)).size).toBe(SCENARIOS.length);
  });

  it("classify both answer shapes of compare_periods: a verdict word, or `significant` with the change's sign", () => {
    const classify = scenario("compare_periods/null/weekly/rho0/5000").classify;
    expect(classify({ significance: { visitors: { verdict: "not tested", p_value: null } } }, "2026-06-17")).toBe("not tested");
    expect(classify({ significance: { visitors: { verdict: "decrease" } } }, "2026-06-17")).toBe("positive");
    expect(classify({ significance: { visitors: { significant: false, p_value: 0.4 } } }, "2026-06-17")).toBe("negative");
    expect(
      classify({ significance: { visitors: { significant: true, p_value: 0.01 } }, change: { visitors: { absolute: -5 } } }, "2026-06-17"),
    ).toBe("positive");
    const power = scenario("measure_impact/power/step+10%").classify;
    expect(power({ results: [{ metric: "visitors", verdict: "decrease" }] }, "2026-06-17")).toBe("negative");
    expect(power({ results: [{ metric: "visitors", verdict: "increase" }] }, "2026-06-17")).toBe("positive");
  });

  it("count a spike as found by a segment anomaly naming it or by its day flagged", () => {
    const classify = scenario("explain_change/power/spike×5").classify;
    expect(classify({ days: [], anomalies: [{ dimension: "visit:source", value: "Hacker News" }] }, "2026-06-17")).toBe("positive");
    expect(classify({ days: [{ date: "2026-06-14", flagged: true }] }, "2026-06-17")).toBe("positive");
    expect(classify({ days: [{ date: "2026-06-13", flagged: true }], anomalies: [] }, "2026-06-17")).toBe("negative");
  });
});

describe("measure", () => {
  it("runs the real tool on independent series and reports the rate with its interval and band", async () => {
    const result = await measure(scenario("compare_periods/null/flat/rho0/5000"), 4);
    expect(result.runs).toBe(4);
    expect(result.errors).toBe(0);
    expect(result.positives + result.notTested).toBeLessThanOrEqual(4);
    expect(result.ci95).toEqual(wilson(result.positives, 4));
    expect(result.band).toEqual([0.02, 0.09]);
    const report = markdownReport({
      runs: 12,
      now: "now",
      command: "npm run calibrate",
      current: { name: "after", measurements: [result] },
    });
    expect(report).toContain("| compare_periods | null | visitors, 14 vs 14 days, 5,000/day, no weekday pattern");
    expect(svgPlot({ runs: 4, now: "now", command: "c", current: { name: "after", measurements: [result] } })).toMatch(
      /^<svg[^]*<\/svg>\n$/,
    );
    // Each run builds a site and runs the tool over 26 weeks of history: seconds on a busy machine.
  }, 60_000);
});
