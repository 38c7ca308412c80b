// Runs one calibration scenario many times: each run generates an independent
// synthetic site (its own seed), calls the real tool definition in-process
// against it, and classifies the answer. Used by `npm run calibrate` and by the
// tools' calibration tests.

import { syntheticContext } from "../plausible-simulator/synthetic-context.ts";
import { SyntheticSite } from "../plausible-simulator/synthetic.ts";
import { TOOLS } from "../../src/tools";
import type { ToolDefinition } from "../../src/tools";
import { SCENARIOS, type Outcome, type Scenario } from "./scenarios.ts";

export { SCENARIOS, type Scenario };

export interface Measurement {
  id: string;
  tool: string;
  kind: Scenario["kind"];
  label: string;
  band: readonly [number, number];
  runs: number;
  /** Answers classified positive: false verdicts in a null scenario, detections in a power scenario. */
  positives: number;
  /** Answers where the tool declined to test (counted as not positive). */
  notTested: number;
  /** Runs where the tool threw or broke its own output schema (counted as not positive). */
  errors: number;
  firstError?: string;
  rate: number;
  /** Wilson score interval, 95 %. */
  ci95: [number, number];
  /** The rate lies in the band and no run failed. */
  pass: boolean;
}

/** Wilson's score interval for `positives` of `runs` at 95 %. */
export function wilson(positives: number, runs: number): [number, number] {
  if (runs === 0) return [0, 1];
  const z = 1.959964;
  const p = positives / runs;
  const denominator = 1 + (z * z) / runs;
  const center = (p + (z * z) / (2 * runs)) / denominator;
  const half = (z * Math.sqrt((p * (1 - p)) / runs + (z * z) / (4 * runs * runs))) / denominator;
  return [Math.max(0, center - half), Math.min(1, center + half)];
}

/** A seed per scenario and run: stable across invocations, different between scenarios. */
function seedOf(id: string, run: number): number {
  let hash = 2166136261;
  for (let index = 0; index < id.length; index++) hash = Math.imul(hash ^ id.charCodeAt(index), 16777619);
  return (hash + Math.imul(run + 1, 0x9e3779b1)) >>> 0;
}

function toolNamed(name: string): ToolDefinition {
  const tool = TOOLS.find((candidate) => candidate.name === name);
  if (!tool) throw new Error(`No tool ${name} in src/tools.`);
  return tool;
}

export interface MeasureOptions {
  /** The instant that is "now" for the sites; default the current time (the tools read the clock themselves). */
  now?: Date;
  /** Called after each run, e.g. for progress. */
  onRun?: (run: number, outcome: Outcome | "error") => void;
}

/** Runs `scenario` `runs` times and counts its outcomes. */
export async function measure(scenario: Scenario, runs: number, options: MeasureOptions = {}): Promise<Measurement> {
  const tool = toolNamed(scenario.tool);
  const now = options.now ?? new Date();
  const today = now.toISOString().slice(0, 10);
  const domain = "calibration.synthetic.test";
  let positives = 0;
  let notTested = 0;
  let errors = 0;
  let firstError: string | undefined;
  for (let run = 0; run < runs; run++) {
    const site = new SyntheticSite({ ...scenario.site(today), domain, seed: seedOf(scenario.id, run), now: now.toISOString() });
    const { context } = syntheticContext([site]);
    let outcome: Outcome | "error";
    try {
      const output = await tool.run(tool.inputSchema.parse({ site_id: domain, ...scenario.args(today) }), context);
      const checked = tool.outputSchema.safeParse(output.structured);
      if (!checked.success) throw new Error(`output breaks the tool's schema: ${checked.error.issues[0]?.message ?? "invalid"}`);
      outcome = scenario.classify(output.structured as Record<string, unknown>, today);
    } catch (error) {
      outcome = "error";
      firstError ??= (error as Error).message;
    }
    if (outcome === "positive") positives++;
    else if (outcome === "not tested") notTested++;
    else if (outcome === "error") errors++;
    options.onRun?.(run, outcome);
  }
  const rate = runs === 0 ? 0 : positives / runs;
  return {
    id: scenario.id,
    tool: scenario.tool,
    kind: scenario.kind,
    label: scenario.label,
    band: scenario.band,
    runs,
    positives,
    notTested,
    errors,
    ...(firstError === undefined ? {} : { firstError }),
    rate,
    ci95: wilson(positives, runs),
    pass: errors === 0 && rate >= scenario.band[0] && rate <= scenario.band[1],
  };
}
