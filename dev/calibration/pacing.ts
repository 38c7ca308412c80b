// The back-test of get_pacing's 80 % interval: on many independent synthetic
// sites, the real tool forecasts a month's end value some days before the month
// ends; the same site (same seed, so the same history) a day after the month
// ends gives the true end value. The share of back-tests whose interval holds it
// should lie in 70–90 %. Used by `npm run backtest:pacing` and by the
// calibration test test/tools/get-pacing-calibration.node.test.ts.

import { syntheticContext } from "../plausible-simulator/synthetic-context.ts";
import { SyntheticSite } from "../plausible-simulator/synthetic.ts";
import type { SyntheticSiteOptions } from "../plausible-simulator/synthetic.ts";
import { getPacingTool, periodDates } from "../../src/tools/get-pacing";
import { wilson } from "./measure.ts";
import { addDays } from "./scenarios.ts";

/** Days left in the month (today included) when the forecast is made. */
export const HORIZONS = [7, 14, 21] as const;
export const DEFAULT_SEED = 24;
/** The band the coverage of an 80 % interval must fall in. */
export const COVERAGE_BAND = [0.7, 0.9] as const;

/**
 * The kinds of site the runs cycle through: the calibration grid of weekday pattern × carry-over (AR(1) ρ)
 * × level, with 10 % day-to-day noise.
 */
const SITE_KINDS: ReadonlyArray<{ label: string; options: Pick<SyntheticSiteOptions, "weekly" | "rho" | "level" | "sigma"> }> = [
  true,
  false,
].flatMap((weekly) =>
  [0, 0.5, 0.9].flatMap((rho) =>
    [500, 5000, 50000].map((level) => ({
      label: `${weekly ? "weekly" : "flat"}, ρ ${rho}, ${level}/day`,
      options: { weekly, rho, level, sigma: 0.1 },
    })),
  ),
);

/** Months the runs cycle through (their lengths and weekday alignments differ). */
const MONTHS = Array.from({ length: 12 }, (_, index) => `2026-${String(index + 1).padStart(2, "0")}`);
/** History before the forecast's today: the tool reads 364 days. */
const HISTORY_DAYS = 400;

export interface HorizonCoverage {
  horizon: number;
  runs: number;
  covered: number;
  /** Runs whose forecast had no interval (counted as not covered). */
  withoutInterval: number;
  /** True end value below the interval, above it. */
  below: number;
  above: number;
  coverage: number;
  ci95: [number, number];
  /** Median width of the interval relative to the true end value. */
  medianRelativeWidth: number;
  /** Covered runs and runs per carry-over ρ of the sites. */
  byRho: Record<string, { covered: number; runs: number }>;
}

function seedOf(base: number, horizon: number, run: number): number {
  return (Math.imul(base ^ 0x5bd1e995, 0x27d4eb2d) + Math.imul(horizon, 0x165667b1) + Math.imul(run + 1, 0x9e3779b1)) >>> 0;
}

/** One back-test: the forecast's interval and the true end value. */
async function backtestOnce(horizon: number, run: number, seed: number) {
  const domain = "pacing.synthetic.test";
  const kind = SITE_KINDS[run % SITE_KINDS.length]!;
  const month = MONTHS[Math.floor(run / SITE_KINDS.length) % MONTHS.length]!;
  const [first, last] = periodDates(month)!;
  const today = addDays(last, 1 - horizon);
  const options = { ...kind.options, domain, seed: seedOf(seed, horizon, run), firstDay: addDays(today, -HISTORY_DAYS) };
  const site = new SyntheticSite({ ...options, now: `${today}T10:00:00Z` });
  const { context } = syntheticContext([site]);
  const output = await getPacingTool.run(getPacingTool.inputSchema.parse({ site_id: domain, metric: "visitors", period: month }), context);
  const after = new SyntheticSite({ ...options, now: `${addDays(last, 1)}T10:00:00Z` });
  const truth = after.query({ site_id: domain, metrics: ["visitors"], date_range: [first, last] }).results[0]!.metrics[0]!;
  const { low, high } = output.structured.forecast;
  return { low, high, truth, rho: String(kind.options.rho) };
}

/** The coverage of get_pacing's 80 % interval at each horizon, over `runs` independent sites per horizon. */
export async function backtestPacing(
  runs: number,
  seed = DEFAULT_SEED,
  horizons: readonly number[] = HORIZONS,
): Promise<HorizonCoverage[]> {
  const results: HorizonCoverage[] = [];
  for (const horizon of horizons) {
    let covered = 0;
    let withoutInterval = 0;
    let below = 0;
    let above = 0;
    const widths: number[] = [];
    const byRho: HorizonCoverage["byRho"] = {};
    for (let run = 0; run < runs; run++) {
      const { low, high, truth, rho } = await backtestOnce(horizon, run, seed);
      const group = (byRho[rho] ??= { covered: 0, runs: 0 });
      group.runs++;
      if (low === null || high === null) {
        withoutInterval++;
        continue;
      }
      widths.push((high - low) / truth);
      if (truth < low) below++;
      else if (truth > high) above++;
      else {
        covered++;
        group.covered++;
      }
    }
    widths.sort((a, b) => a - b);
    results.push({
      horizon,
      runs,
      covered,
      withoutInterval,
      below,
      above,
      coverage: covered / runs,
      ci95: wilson(covered, runs),
      medianRelativeWidth: widths[Math.floor(widths.length / 2)] ?? Number.NaN,
      byRho,
    });
  }
  return results;
}

const percent = (value: number) => `${(100 * value).toFixed(1)} %`;
const inBand = (coverage: number) => coverage >= COVERAGE_BAND[0] && coverage <= COVERAGE_BAND[1];

/** The report committed as docs/pacing.md. */
export function pacingReport(results: readonly HorizonCoverage[], seed: number, command: string): string {
  const rows = results.map(
    (result) =>
      `| ${result.horizon} | ${result.runs} | ${result.covered} | ${percent(result.coverage)} | ` +
      `${percent(result.ci95[0])}–${percent(result.ci95[1])} | ${result.below} / ${result.above} | ${result.withoutInterval} | ` +
      `${percent(result.medianRelativeWidth)} | ${inBand(result.coverage) ? "pass" : "FAIL"} |`,
  );
  const rhos = Object.keys(results[0]?.byRho ?? {});
  const share = ({ covered, runs }: { covered: number; runs: number }) => `${percent(covered / runs)} of ${runs}`;
  const byRho = results.map((result) => `| ${result.horizon} | ${rhos.map((rho) => share(result.byRho[rho]!)).join(" | ")} |`);
  return [
    "# get_pacing: back-test of the 80 % interval",
    "",
    "Each run is an independent synthetic site (dev/plausible-simulator/synthetic.ts, its own seed) with 400 days of history:",
    `the runs cycle through ${SITE_KINDS.length} kinds of site (weekday pattern on/off × AR(1) carry-over ρ 0, 0.5, 0.9 × 500,`,
    "5,000, 50,000 visitors a day, 10 % day-to-day noise) and the 12 months of 2026. The real `get_pacing` tool forecasts the month's",
    "visitors when `horizon` days are left (today included; 10:00 in the site's timezone, so today is partial), and the same",
    "site a day after the month ends gives the true end value. The interval should hold it in 70–90 % of runs (nominal 80 %);",
    "the 95 % Wilson interval of each coverage is shown.",
    "",
    "| horizon (days left) | runs | covered | coverage | 95 % Wilson | below / above | no interval | median width | 70–90 % |",
    "|---|---|---|---|---|---|---|---|---|",
    ...rows,
    "",
    "Coverage by the sites' day-to-day carry-over (AR(1) ρ of the log level):",
    "",
    `| horizon | ${rhos.map((rho) => `ρ ${rho}`).join(" | ")} |`,
    `|---|${rhos.map(() => "---").join("|")}|`,
    ...byRho,
    "",
    `Seed ${seed}. Command: \`${command}\`. The calibration test (test/tools/get-pacing-calibration.node.test.ts,`,
    "`npx vitest run --project calibration test/tools/get-pacing-calibration.node.test.ts`) asserts the same band on fewer runs.",
    "",
    "Method: the recent level (weekday-adjusted daily mean of the last 28 complete days) times the weekday profile (each",
    "weekday's mean over the last 56 days relative to the week's), summed over the days left; the interval is the RMS of the",
    "same forecast's log errors at every earlier day of the site's last 364 days for as many days ahead, times Student's t at",
    "90 % with one degree of freedom per forecast length of back-tests (neighbouring back-tests overlap).",
    "",
  ].join("\n");
}
