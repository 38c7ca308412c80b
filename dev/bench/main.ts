// npm run bench: starts a fresh demo stack per run (simulator with injected latency, local issuer,
// wrangler dev), drives it with real MCP SDK clients and writes bench/results/<date>.json, the
// summary in bench/README.md and the chart bench/latency.svg.

import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { REPO_ROOT } from "../demo/stack.ts";
import { chromiumAvailable, MISSING_CHROMIUM } from "./internal-sign-in.ts";
import { latencyChart } from "./chart.ts";
import { replaceResultsSection, resultsSection, type BenchResults } from "./report.ts";
import { BENCH_VARS, RUNS, runLoad, runScenarios, stopRunningStacks, type RunResult } from "./runs.ts";
import { PHASES, ratioTable, runSideBySide } from "./side-by-side.ts";

const USAGE = `Usage: npm run bench -- [options]
  --runs ID,ID   only these runs (default: all): ${RUNS.map((run) => run.id).join(", ")}
  --label NAME   write bench/results/<date>-NAME.json and leave README and chart alone (e.g. before)
  --report FILE  run nothing: rewrite bench/README.md's tables and the chart from bench/FILE (e.g. results/2026-11-26.json)
  --reference DIR  instead of the runs: this server side by side with the reference server checked out at DIR
                 (getsentry/plausible-mcp, its npm dependencies installed), alternating rounds; writes
                 bench/results/<date>-side-by-side[-NAME].json and prints the ratios
  --rounds N     rounds of the side-by-side (default 3; each round starts both servers once)
                 with --reference, --runs takes its phases: ${PHASES.map((phase) => phase.slug).join(", ")}
  --inspector    with --reference: both servers as plain wrangler dev runs them, with its inspector and its debug
                 log file. By default both are off: through them each console line of a worker costs ~2 ms of CPU
                 in wrangler's processes, which no deployment pays
  --help
Set BENCH_VERBOSE=1 to see wrangler's and the worker's output.`;

const { values } = parseArgs({
  options: {
    runs: { type: "string" },
    label: { type: "string" },
    report: { type: "string" },
    reference: { type: "string" },
    rounds: { type: "string", default: "3" },
    inspector: { type: "boolean" },
    help: { type: "boolean" },
  },
});
if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}

const benchDir = join(REPO_ROOT, "bench");

function writeSummary(results: BenchResults, resultsFile: string): void {
  writeFileSync(join(benchDir, "latency.svg"), latencyChart(results));
  const readmePath = join(benchDir, "README.md");
  writeFileSync(readmePath, replaceResultsSection(readFileSync(readmePath, "utf8"), resultsSection(results, resultsFile)));
  process.stderr.write("Updated bench/README.md and bench/latency.svg.\n");
}

if (values.report) {
  writeSummary(JSON.parse(readFileSync(join(benchDir, values.report), "utf8")) as BenchResults, values.report);
  process.exit(0);
}

if (values.reference) {
  const rounds = Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1) {
    process.stderr.write(`--rounds must be a positive whole number.\n${USAGE}\n`);
    process.exit(2);
  }
  const results = await runSideBySide({
    referenceDir: values.reference,
    rounds,
    ...(values.runs ? { phases: values.runs.split(",").map((slug) => slug.trim()) } : {}),
    label: values.label ?? null,
    inspector: values.inspector ?? false,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  mkdirSync(join(benchDir, "results"), { recursive: true });
  const resultsFile = `results/${results.date}-side-by-side${values.label ? `-${values.label}` : ""}.json`;
  writeFileSync(join(benchDir, resultsFile), `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(
    `Reference ${results.referenceVersion} vs this server, ${rounds} rounds, ` +
      `${results.durationSeconds} s; load average ${results.loadAverage.start.join(" ")} -> ` +
      `${results.loadAverage.end.join(" ")}\n` +
      `Ratios ours ÷ reference, median (lowest–highest round):\n${ratioTable(results)}\nWrote bench/${resultsFile}.\n`,
  );
  process.exit(0);
}

const wanted = values.runs?.split(",").map((id) => id.trim());
const unknown = wanted?.filter((id) => !RUNS.some((run) => run.id === id)) ?? [];
if (unknown.length > 0) {
  process.stderr.write(`Unknown run ${unknown.join(", ")}.\n${USAGE}\n`);
  process.exit(2);
}
let runs = RUNS.filter((run) => !wanted || wanted.includes(run.id));
if (!chromiumAvailable) {
  process.stderr.write(`Skipping the /internal runs. ${MISSING_CHROMIUM}\n`);
  runs = runs.filter((run) => run.kind !== "load" || run.endpoint !== "/internal");
}

const log = (line: string) => process.stderr.write(`${line}\n`);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    log("Stopping the running stack...");
    void stopRunningStacks().finally(() => process.exit(130));
  });
}
const started = performance.now();
const results: RunResult[] = [];
for (const spec of runs) {
  log(`${spec.id}: starting a fresh stack...`);
  const result = spec.kind === "load" ? await runLoad(spec, log) : await runScenarios(spec, log);
  results.push(result);
  const phases =
    result.kind === "load"
      ? result.phases
      : [result.session.first, result.session.repeated, result.comparison.single, result.comparison.compare, ...(result.analysis ?? [])];
  for (const phase of phases) {
    log(
      `  ${phase.phase.padEnd(30)} p50 ${phase.latencyMs.p50} ms, p95 ${phase.latencyMs.p95} ms, ${phase.callsPerSecond} calls/s, ` +
        `${phase.errors} errors, ${phase.plausibleRequests}/${phase.impliedRequests} Plausible requests, ` +
        `worker ${phase.cpuMsPerCall.worker} ms CPU/call ` +
        `(${phase.workerCores} cores), proxy ${phase.cpuMsPerCall.proxy}, wrangler ` +
        `${phase.cpuMsPerCall.wrangler}, bench ${phase.cpuMsPerCall.bench}, other load ` +
        `${phase.otherCores} cores, RSS ${phase.peakWorkerRssMiB} ` +
        `MiB${phase.errorSamples.length ? `\n    e.g. ${phase.errorSamples[0]}` : ""}`,
    );
  }
}

const now = new Date();
const date = now.toISOString().slice(0, 10);
const benchResults: BenchResults = {
  date,
  label: values.label ?? null,
  machine: {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? "unknown",
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  },
  workerVars: BENCH_VARS,
  durationSeconds: Math.round((performance.now() - started) / 1000),
  runs: results,
};

mkdirSync(join(benchDir, "results"), { recursive: true });
const resultsFile = `results/${date}${values.label ? `-${values.label}` : ""}.json`;
writeFileSync(join(benchDir, resultsFile), `${JSON.stringify(benchResults, null, 2)}\n`);
log(`Wrote bench/${resultsFile} (${benchResults.durationSeconds} s).`);
if (!values.label) writeSummary(benchResults, resultsFile);
