// The calibration runner that `npm run calibrate` bundles (with the tools of
// src/, or of a baseline git ref) and runs under plain Node: measures every
// scenario and writes the measurements as JSON.
//   node <bundle> --runs 300 --now 2026-06-17T10:00:00Z --out results.json [--only measure_impact] [--shard 0/2]

import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { measure, SCENARIOS } from "./measure.ts";
import type { Measurement } from "./measure.ts";

const { values } = parseArgs({
  options: {
    runs: { type: "string" },
    now: { type: "string" },
    out: { type: "string" },
    only: { type: "string" },
    label: { type: "string" },
    shard: { type: "string" },
  },
});
const runs = Number(values.runs ?? 300);
const now = Date.parse(values.now ?? "");
if (!Number.isInteger(runs) || runs < 1 || !Number.isFinite(now) || !values.out) {
  process.stderr.write("usage: --runs N --now ISO --out FILE [--only TEXT] [--label TEXT]\n");
  process.exit(2);
}

/**
 * The tools read the clock themselves (today in the site's timezone); a fixed
 * clock makes every run, and so the committed report, reproducible.
 */
function freezeClock(instant: number): void {
  const RealDate = Date;
  class FrozenDate extends RealDate {
    constructor(...args: unknown[]) {
      super(...((args.length === 0 ? [instant] : args) as [number]));
    }
    static override now(): number {
      return instant;
    }
  }
  globalThis.Date = FrozenDate as DateConstructor;
}
freezeClock(now);

// --shard i/n: every n-th scenario from the i-th, so n processes share the work.
const [shard, shards] = (values.shard ?? "0/1").split("/").map(Number) as [number, number];
const scenarios = SCENARIOS.filter((scenario, index) => index % shards === shard && (!values.only || scenario.id.includes(values.only)));
const measurements: Measurement[] = [];
for (const scenario of scenarios) {
  const started = performance.now();
  const measurement = await measure(scenario, runs, { now: new Date(now) });
  measurements.push(measurement);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  process.stderr.write(
    `${values.label ?? "current"} ${scenario.id}: ${measurement.positives}/${runs}` +
      `${measurement.errors ? ` (${measurement.errors} errors: ${measurement.firstError})` : ""} ` +
      `${seconds}s\n`,
  );
}
writeFileSync(values.out, JSON.stringify(measurements, null, 2));
