import { afterAll, describe, expect, it } from "vitest";
import { measure, SCENARIOS, type Measurement } from "../../dev/calibration/measure";
import type { CalibratedTool } from "../../dev/calibration/scenarios";

/**
 * A tool's false-verdict rates and power on the synthetic generator's calibration scenarios (dev/calibration/scenarios.ts,
 * the same as `npm run calibrate`), each run an independent site (its own seed) and the real tool in-process.
 * CALIBRATION_RUNS sets the runs per scenario (default 300; at 300 a true 5 % rate lands in 2–9 % with probability above 99 %).
 * Every tool covers the grid of null scenarios: weekday pattern on/off × AR(1) ρ 0, 0.5, 0.9 × 500, 5,000, 50,000 a day.
 */
export function describeCalibration(tool: CalibratedTool, now: Date): void {
  const runs = Number(process.env.CALIBRATION_RUNS ?? 300);
  const scenarios = SCENARIOS.filter((scenario) => scenario.tool === tool);
  const measured: Measurement[] = [];
  const percent = (value: number) => `${(100 * value).toFixed(1)} %`;

  afterAll(() => {
    const lines = measured.map(
      (result) =>
        `${result.id}: ${result.positives}/${result.runs} = ${percent(result.rate)} ` +
        `[${percent(result.ci95[0])}, ${percent(result.ci95[1])}], band ` +
        `${result.band.map(percent).join("–")}, not tested ${result.notTested}`,
    );
    if (lines.length > 0) console.log(`${tool} calibration (95 % Wilson intervals):\n${lines.join("\n")}`);
  });

  describe(`${tool} calibration on synthetic traffic (nominal 5 %)`, () => {
    it("covers the 18 null scenarios of weekday pattern × carry-over × level", () => {
      expect(scenarios.filter((scenario) => /\/null\/(weekly|flat)\/rho/.test(scenario.id))).toHaveLength(18);
    });

    it.each(scenarios.map((scenario) => [scenario.id, scenario] as const))("%s lies within its band", async (_, scenario) => {
      const result = await measure(scenario, runs, { now });
      measured.push(result);
      expect(result.errors, result.firstError).toBe(0);
      expect(result.rate).toBeGreaterThanOrEqual(scenario.band[0]);
      expect(result.rate).toBeLessThanOrEqual(scenario.band[1]);
    });
  });
}
