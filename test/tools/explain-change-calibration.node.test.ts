import { afterAll, describe, expect, it } from "vitest";
import { measure, SCENARIOS, type Measurement } from "../../dev/calibration/measure.ts";

// explain_change's false alarms and power, measured over many independent synthetic sites (each run its own
// seed, the real tool in-process; the same scenarios and classification as `npm run calibrate`): on every null
// scenario (weekday seasonality on/off x AR(1) carry-over 0, 0.5, 0.9 x 500, 5,000, 50,000 visitors a day, 10 %
// day-to-day noise) at most 5 % of quiet weeks may show a flagged day or a segment anomaly (either counts); a
// fivefold spike of one small source (Hacker News, 3 % of visits) on one day must be found in at least 80 % of
// weeks. CALIBRATION_RUNS sets the weeks per scenario (default 300).

const RUNS = Number(process.env.CALIBRATION_RUNS ?? 300);
const NOW = new Date("2026-06-15T12:00:00Z");
const EXPLAIN_SCENARIOS = SCENARIOS.filter((scenario) => scenario.tool === "explain_change");
const measured: Measurement[] = [];

const percent = (value: number) => `${(100 * value).toFixed(1)} %`;

afterAll(() => {
  if (measured.length === 0) return;
  const lines = measured.map(
    (result) =>
      `${result.kind === "null" ? "false alarms" : "power"}, ${result.label}: ${result.positives}/${result.runs} = ${percent(result.rate)} [${percent(result.ci95[0])}, ${percent(result.ci95[1])}]`,
  );
  console.log(`explain_change calibration (95 % Wilson intervals):\n${lines.join("\n")}`);
});

describe("explain_change's calibration on synthetic sites", () => {
  it("covers the 18 null scenarios and the spike", () => {
    expect(EXPLAIN_SCENARIOS.filter((scenario) => scenario.kind === "null")).toHaveLength(18);
    expect(EXPLAIN_SCENARIOS.filter((scenario) => scenario.kind === "power").length).toBeGreaterThanOrEqual(1);
  });

  it.each(EXPLAIN_SCENARIOS.map((scenario) => [`${scenario.kind}: ${scenario.label}`, scenario] as const))(
    "%s",
    async (_name, scenario) => {
      const result = await measure(scenario, RUNS, { now: NOW });
      measured.push(result);
      expect(result.errors, result.firstError).toBe(0);
      if (scenario.kind === "null") expect(result.rate).toBeLessThanOrEqual(0.05);
      else expect(result.rate).toBeGreaterThanOrEqual(0.8);
      expect(result.pass).toBe(true);
    },
    900_000,
  );
});
