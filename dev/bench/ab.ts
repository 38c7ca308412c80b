// npm run bench:ab -- <dir A> <dir B> [--workload small|large] [--iterations N] [--batch N]: two builds of this
// server (two checkouts, e.g. `git worktree add ../before <commit>`) side by side on one simulator at 0 ms, each
// under `wrangler dev` as the side by side runs it, taking turns: one batch of fresh uncached calls at c=1 on A,
// then one on B, in alternating order. Both run the whole time on the same machine, so its drift reaches both alike:
// this resolves a change of a few per cent that separate runs (even interleaved ones) cannot.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { connectWithKey, type E2eClient } from "../clients/mcp-clients.ts";
import { DEMO_API_KEY } from "../demo/stack.ts";
import { startSimulator } from "../plausible-simulator/server.ts";
import { percentile, runCalls } from "./load.ts";
import { startServer, timeseriesCall, type Workload } from "./side-by-side.ts";

const USAGE = `Usage: npm run bench:ab -- <dir A> <dir B> [options]
  --workload small|large  7-30-day or ~1,000-day daily series (default large)
  --iterations N          turns of each build (default 60)
  --batch N               calls per turn (default 10)`;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    workload: { type: "string", default: "large" },
    iterations: { type: "string", default: "60" },
    batch: { type: "string", default: "10" },
    help: { type: "boolean" },
  },
});
const workload = values.workload as Workload;
const iterations = Number(values.iterations);
const batch = Number(values.batch);
if (values.help || positionals.length !== 2 || (workload !== "small" && workload !== "large") || !(iterations > 0) || !(batch > 0)) {
  console.log(USAGE);
  process.exit(values.help ? 0 : 2);
}
const dirs = positionals.map((dir) => resolve(dir));

const scratch = mkdtempSync(join(tmpdir(), "plausible-mcp-ab-"));
const simulator = await startSimulator({ port: 0, hourlyLimit: 1_000_000_000 });
const builds: Array<{ stop(): Promise<void>; client: E2eClient; latenciesMs: number[] }> = [];
try {
  for (const checkout of dirs) {
    const worker = await startServer("ours", "", simulator, scratch, { inspector: false, checkout });
    builds.push({
      stop: worker.stop,
      client: await connectWithKey("SDK v1, Streamable HTTP", `${worker.url}/mcp`, DEMO_API_KEY),
      latenciesMs: [],
    });
  }
  let next = 0;
  const fresh = (count: number) => Array.from({ length: count }, () => timeseriesCall("ours", workload, next++));
  for (const build of builds) await runCalls([build.client], fresh(20));
  // Per turn, B's median minus A's: the sign test below asks how often B was faster.
  const differences: number[] = [];
  for (let turn = 0; turn < iterations; turn += 1) {
    const medians: number[] = [];
    for (const index of turn % 2 === 0 ? [0, 1] : [1, 0]) {
      const { latenciesMs, errors } = await runCalls([builds[index]!.client], fresh(batch));
      if (errors > 0) throw new Error(`${dirs[index]} answered ${errors} of ${batch} calls with an error`);
      builds[index]!.latenciesMs.push(...latenciesMs);
      medians[index] = percentile(latenciesMs, 0.5);
    }
    differences.push(medians[1]! - medians[0]!);
  }
  const [a, b] = builds.map((build) => percentile(build.latenciesMs, 0.5));
  const faster = differences.filter((difference) => difference < 0).length;
  console.log(`${iterations} turns of ${batch} uncached ${workload} calls at c=1 each, p50 per call:`);
  console.log(`  A ${dirs[0]}: ${a!.toFixed(2)} ms`);
  console.log(`  B ${dirs[1]}: ${b!.toFixed(2)} ms (B ÷ A ${(b! / a!).toFixed(3)})`);
  console.log(
    `  B faster in ${faster} of ${iterations} turns; per turn B − A: median ${percentile(differences, 0.5).toFixed(2)} ms, ` +
      `quartiles ${percentile(differences, 0.25).toFixed(2)} to ${percentile(differences, 0.75).toFixed(2)} ms`,
  );
} finally {
  for (const build of builds) {
    await build.client.close();
    await build.stop();
  }
  await simulator.close();
  rmSync(scratch, { recursive: true, force: true });
}
