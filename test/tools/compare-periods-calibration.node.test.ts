import { describe, expect, it } from "vitest";
import { measure, SCENARIOS } from "../../dev/calibration/measure";

/**
 * compare_periods's false-verdict rates and power on the synthetic generator's calibration scenarios
 * (dev/calibration/scenarios.ts, the same as `npm run calibrate`): each run an independent site (its own
 * seed). CALIBRATION_RUNS sets the runs per scenario (default 300; at 300 a true 5 % rate lands in 2–9 %
 * with probability above 99 %).
 */
const RUNS = Number(process.env.CALIBRATION_RUNS ?? 300);
/** A Wednesday in mid-month, as in npm run calibrate. */
const NOW = new Date("2026-06-17T10:00:00Z");
const scenarios = SCENARIOS.filter((scenario) => scenario.tool === "compare_periods");

describe("compare_periods calibration on synthetic traffic (nominal 5 %)", () => {
  it.each(scenarios.map((scenario) => [scenario.id, scenario] as const))(
    "%s lies within its band",
    async (_, scenario) => {
      const result = await measure(scenario, RUNS, { now: NOW });
      console.log(
        `${scenario.id}: ${result.positives}/${result.runs} = ${(result.rate * 100).toFixed(1)} % (band ${scenario.band.map((bound) => bound * 100).join("–")} %, not tested ${result.notTested})`,
      );
      expect(result.errors, result.firstError).toBe(0);
      expect(result.rate).toBeGreaterThanOrEqual(scenario.band[0]);
      expect(result.rate).toBeLessThanOrEqual(scenario.band[1]);
    },
    3_600_000,
  );
});
