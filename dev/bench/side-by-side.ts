// npm run bench -- --reference DIR: this server and the reference server (a checkout of
// getsentry/plausible-mcp at DIR, outside this repository) measured on the same machine, the same
// simulator and the same workload, in alternating rounds (reference, ours, reference, ours, ...),
// each under a fresh `wrangler dev`; ratios ours ÷ reference per round and their median.

import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { DAY_MS } from "../../src/shared/time.ts";
import { startSimulator, type SimulatorHandle } from "../plausible-simulator/server.ts";
import { DEMO_API_KEY, DEMO_SITE_ID, REPO_ROOT } from "../demo/stack.ts";
import { freePort } from "../demo/ports.ts";
import { startWranglerDev, type WranglerDev } from "../demo/wrangler-dev.ts";
import { connectWithKey, type E2eClient } from "../clients/mcp-clients.ts";
import { measurePhase, type PhaseResult } from "./measure.ts";
import { findStackProcesses } from "./processes.ts";
import { BENCH_VARS } from "./runs.ts";
import type { ToolCall } from "./workload.ts";

export type Server = "reference" | "ours";

/** Which calls a phase sends: short daily series (small answers) or ~1,000-day daily series (long answers). */
export type Workload = "small" | "large";

/** One measured workload: its calls are new to the server's cache (uncached) or the previous phase's again (cached). */
interface PhaseSpec {
  id: string;
  /** What `--runs` selects it by. */
  slug: string;
  workload: Workload;
  latencyMs: number;
  concurrency: number;
  calls: number;
  /** Repeat the previous phase's calls (answered from our cache; the reference has none). */
  repeat?: boolean;
}

export const PHASES: readonly PhaseSpec[] = [
  { id: "uncached, 0 ms, c=1", slug: "small-0ms-c1", workload: "small", latencyMs: 0, concurrency: 1, calls: 100 },
  { id: "cached, 0 ms, c=1", slug: "small-cached-c1", workload: "small", latencyMs: 0, concurrency: 1, calls: 100, repeat: true },
  { id: "uncached, 0 ms, c=16", slug: "small-0ms-c16", workload: "small", latencyMs: 0, concurrency: 16, calls: 320 },
  { id: "cached, 0 ms, c=16", slug: "small-cached-c16", workload: "small", latencyMs: 0, concurrency: 16, calls: 320, repeat: true },
  { id: "uncached, 100 ms, c=1", slug: "small-100ms-c1", workload: "small", latencyMs: 100, concurrency: 1, calls: 30 },
  { id: "uncached, 100 ms, c=16", slug: "small-100ms-c16", workload: "small", latencyMs: 100, concurrency: 16, calls: 160 },
  // About 60 KB per answer: the default 8 MiB cache holds the c=1 phase's answers for the cached phase.
  { id: "large, uncached, 0 ms, c=1", slug: "large-0ms-c1", workload: "large", latencyMs: 0, concurrency: 1, calls: 40 },
  { id: "large, cached, 0 ms, c=1", slug: "large-cached-c1", workload: "large", latencyMs: 0, concurrency: 1, calls: 40, repeat: true },
  { id: "large, uncached, 0 ms, c=16", slug: "large-0ms-c16", workload: "large", latencyMs: 0, concurrency: 16, calls: 160 },
];
/** Calls before the first phase, so neither server is measured on a cold isolate. */
const WARM_UP_CALLS = 20;
const SITES = ["example.com", "shop.example.com", "blog.example.com"] as const;
const CLIENT = "SDK v1, Streamable HTTP" as const;

/**
 * A date pair no other i of the same workload shares, ending 2 days ago or earlier (historical, so
 * cacheable): 7 to 30 days (small), or 990 to 1,013 days, about three years (large).
 */
function datePair(workload: Workload, i: number): [string, string] {
  const today = Math.floor(Date.now() / DAY_MS) * DAY_MS;
  const length = (workload === "small" ? 7 : 990) + (i % 24);
  const end = 2 + Math.floor(i / 24);
  const day = (daysAgo: number) => new Date(today - daysAgo * DAY_MS).toISOString().slice(0, 10);
  return [day(end + length - 1), day(end)];
}

/** `get_timeseries` per day, the same question in each server's spelling (the reference takes "from,to" and `granularity`). */
export function timeseriesCall(server: Server, workload: Workload, i: number): ToolCall {
  const site_id = SITES[i % SITES.length];
  const metrics = ["visitors", "visits", "pageviews"];
  const range = datePair(workload, i);
  return server === "ours"
    ? { name: "get_timeseries", arguments: { site_id, date_range: range, interval: "day", metrics } }
    : { name: "get_timeseries", arguments: { site_id, date_range: range.join(","), granularity: "day", metrics } };
}

/**
 * The reference's wrangler.toml, copied outside both repositories with three changes for a local run:
 * `main` made absolute, its rate limit (60 a minute per address) raised out of the way like ours,
 * and no `global_fetch_strictly_public`, which would keep it from the simulator on loopback.
 */
function referenceConfig(referenceDir: string, into: string): string {
  const source = readFileSync(join(referenceDir, "wrangler.toml"), "utf8");
  const config = source
    .replace(/^main\s*=\s*"([^"]+)"/m, (_, main: string) => `main = ${JSON.stringify(resolve(referenceDir, main))}`)
    .replace(/simple\s*=\s*\{\s*limit\s*=\s*\d+/, "simple = { limit = 1000000000")
    .replace(/,\s*"global_fetch_strictly_public"/, "")
    .replace(/^routes\s*=\s*\[[^\]]*\]/m, "");
  const path = join(into, "wrangler.toml");
  writeFileSync(path, config);
  return path;
}

/**
 * A fresh `wrangler dev` of one server (its state in `scratch`), pointed at `simulator`; `referenceDir` only for the
 * reference, `checkout` (default this repository) only for ours. With `inspector` off, as for the side by side, the
 * worker's log lines cost what a deployment's do.
 */
export async function startServer(
  server: Server,
  referenceDir: string,
  simulator: SimulatorHandle,
  scratch: string,
  { inspector, checkout = REPO_ROOT }: { inspector: boolean; checkout?: string },
): Promise<WranglerDev & { port: number; inspectorPort?: number }> {
  const port = await freePort();
  const inspectorPort = inspector ? await freePort() : undefined;
  const persistTo = mkdtempSync(join(scratch, `${server}-state-`));
  // Both answer a GET /mcp without a key with 401 once the worker runs (ours has no sign-in configured here).
  const common = {
    port,
    inspectorPort,
    persistTo,
    ready: { path: "/mcp", status: 401 },
    onOutput: process.env.BENCH_VERBOSE ? (line: string) => process.stderr.write(`[${server}] ${line}\n`) : undefined,
  };
  const wrangler =
    server === "ours"
      ? await startWranglerDev({
          ...common,
          cwd: checkout,
          vars: {
            PUBLIC_URL: `http://127.0.0.1:${port}`,
            PLAUSIBLE_BASE_URL: simulator.url,
            PLAUSIBLE_DEFAULT_SITE_ID: DEMO_SITE_ID,
            ...BENCH_VARS,
          },
        })
      : await startWranglerDev({
          ...common,
          // The same wrangler for both; the reference's bundle resolves its own node_modules.
          cwd: REPO_ROOT,
          config: referenceConfig(referenceDir, mkdtempSync(join(scratch, "reference-config-"))),
          // Its Plausible client allows plain http only to the host name "localhost".
          vars: { PLAUSIBLE_BASE_URL: `http://localhost:${simulator.port}`, PLAUSIBLE_DEFAULT_SITE_ID: DEMO_SITE_ID },
        });
  return { ...wrangler, port, inspectorPort };
}

export interface SideBySideRound {
  round: number;
  server: Server;
  phases: PhaseResult[];
  loadAverageBefore: number;
}

export interface PhaseRatio {
  phase: string;
  /** Median over rounds of ours ÷ reference, with the lowest and highest round. */
  p50: RatioSummary;
  p95: RatioSummary;
  callsPerSecond: RatioSummary;
  workerCpuPerCall: RatioSummary;
  /** Medians of the raw values, for the table. */
  ours: { p50: number; callsPerSecond: number; workerCpuMsPerCall: number };
  reference: { p50: number; callsPerSecond: number; workerCpuMsPerCall: number };
  /** Largest "other load" (cores busy outside both stacks and the bench) seen in this phase. */
  maxOtherCores: number;
}

export interface RatioSummary {
  median: number;
  min: number;
  max: number;
}

export interface SideBySideResults {
  date: string;
  label: string | null;
  referenceDir: string;
  referenceVersion: string;
  rounds: number;
  durationSeconds: number;
  workload: string;
  loadAverage: { start: number[]; end: number[] };
  ratios: PhaseRatio[];
  raw: SideBySideRound[];
}

const round2 = (value: number) => Math.round(value * 100) / 100;
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};
const summary = (values: number[]): RatioSummary => ({
  median: round2(median(values)),
  min: round2(Math.min(...values)),
  max: round2(Math.max(...values)),
});

async function measureServer(
  server: Server,
  referenceDir: string,
  simulator: SimulatorHandle,
  scratch: string,
  roundNumber: number,
  phaseSpecs: readonly PhaseSpec[],
  inspector: boolean,
): Promise<SideBySideRound> {
  const loadAverageBefore = loadavg()[0]!;
  const wrangler = await startServer(server, referenceDir, simulator, scratch, { inspector });
  const clients: E2eClient[] = [];
  try {
    const processes = findStackProcesses(wrangler.port);
    const context = { simulator, processes };
    const maxConcurrency = Math.max(...phaseSpecs.map((phase) => phase.concurrency));
    for (let i = 0; i < maxConcurrency; i += 1) clients.push(await connectWithKey(CLIENT, `${wrangler.url}/mcp`, DEMO_API_KEY));
    const next: Record<Workload, number> = { small: 0, large: 0 };
    const fresh = (workload: Workload, count: number) =>
      Array.from({ length: count }, () => timeseriesCall(server, workload, next[workload]++));
    await measurePhase(context, "warm-up", clients.slice(0, 1), fresh("small", WARM_UP_CALLS));
    const phases: PhaseResult[] = [];
    let previous: ToolCall[] = [];
    for (const spec of phaseSpecs) {
      simulator.setFaults({ latencyMs: spec.latencyMs });
      const calls = spec.repeat ? previous : fresh(spec.workload, spec.calls);
      phases.push(await measurePhase(context, spec.id, clients.slice(0, spec.concurrency), calls));
      previous = calls;
    }
    return { round: roundNumber, server, phases, loadAverageBefore };
  } finally {
    simulator.setFaults({ latencyMs: 0 });
    await Promise.all(clients.map((client) => client.close().catch(() => undefined)));
    await wrangler.stop();
  }
}

function ratios(raw: SideBySideRound[], phaseSpecs: readonly PhaseSpec[]): PhaseRatio[] {
  const rounds = [...new Set(raw.map((entry) => entry.round))];
  return phaseSpecs.map((spec, index) => {
    const pairs = rounds.map((round) => {
      const of = (server: Server) => raw.find((entry) => entry.round === round && entry.server === server)!.phases[index]!;
      return { ours: of("ours"), reference: of("reference") };
    });
    const ratio = (pick: (phase: PhaseResult) => number) => summary(pairs.map((pair) => pick(pair.ours) / pick(pair.reference)));
    const medians = (side: "ours" | "reference") => ({
      p50: round2(median(pairs.map((pair) => pair[side].latencyMs.p50))),
      callsPerSecond: round2(median(pairs.map((pair) => pair[side].callsPerSecond))),
      workerCpuMsPerCall: round2(median(pairs.map((pair) => pair[side].cpuMsPerCall.worker))),
    });
    return {
      phase: spec.id,
      p50: ratio((phase) => phase.latencyMs.p50),
      p95: ratio((phase) => phase.latencyMs.p95),
      callsPerSecond: ratio((phase) => phase.callsPerSecond),
      workerCpuPerCall: ratio((phase) => phase.cpuMsPerCall.worker),
      ours: medians("ours"),
      reference: medians("reference"),
      maxOtherCores: Math.max(...pairs.flatMap((pair) => [pair.ours.otherCores, pair.reference.otherCores])),
    };
  });
}

/** The Markdown table printed at the end (and pasted into bench/README.md). */
export function ratioTable(results: SideBySideResults): string {
  const span = (ratio: RatioSummary) => `${ratio.median} (${ratio.min}–${ratio.max})`;
  const lines = [
    "| workload | p50 ours ÷ ref | p95 ours ÷ ref | calls/s ours ÷ ref | worker CPU/call ours ÷ ref " +
      "| p50 ms ours / ref | calls/s ours / ref | worker CPU ms/call ours / ref | other load (cores, " +
      "max) |",
    "|---|---|---|---|---|---|---|---|---|",
    ...results.ratios.map(
      (row) =>
        `| ${row.phase} | ${span(row.p50)} | ${span(row.p95)} | ${span(row.callsPerSecond)} | ` +
        `${span(row.workerCpuPerCall)} | ${row.ours.p50} / ${row.reference.p50} | ` +
        `${row.ours.callsPerSecond} / ${row.reference.callsPerSecond} | ${row.ours.workerCpuMsPerCall} / ` +
        `${row.reference.workerCpuMsPerCall} | ${row.maxOtherCores} |`,
    ),
  ];
  return lines.join("\n");
}

export async function runSideBySide(options: {
  referenceDir: string;
  rounds: number;
  /** Phase slugs to measure (default: all); a cached phase brings the uncached one before it. */
  phases?: readonly string[];
  label: string | null;
  /** wrangler's inspector on for both servers, as `wrangler dev` has it (it makes each log line dearer). */
  inspector: boolean;
  log: (line: string) => void;
}): Promise<SideBySideResults> {
  const wanted = options.phases;
  const phaseSpecs = wanted
    ? PHASES.filter((spec, index) => wanted.includes(spec.slug) || (PHASES[index + 1]?.repeat && wanted.includes(PHASES[index + 1]!.slug)))
    : PHASES;
  if (phaseSpecs.length === 0) throw new Error(`--runs selects no phase; the phases are ${PHASES.map((spec) => spec.slug).join(", ")}.`);
  const referenceDir = resolve(options.referenceDir);
  if (!existsSync(join(referenceDir, "wrangler.toml")) || !existsSync(join(referenceDir, "node_modules"))) {
    throw new Error(
      `${referenceDir} has no wrangler.toml or no node_modules: check out getsentry/plausible-mcp there and run npm install in it.`,
    );
  }
  const referenceVersion = (JSON.parse(readFileSync(join(referenceDir, "package.json"), "utf8")) as { version: string }).version;
  const scratch = mkdtempSync(join(tmpdir(), "plausible-mcp-side-by-side-"));
  const simulator = await startSimulator({ host: "127.0.0.1", hourlyLimit: 1_000_000_000, log: () => undefined });
  const started = performance.now();
  const loadStart = loadavg().map(round2);
  const raw: SideBySideRound[] = [];
  try {
    for (let round = 1; round <= options.rounds; round += 1) {
      for (const server of ["reference", "ours"] as const) {
        options.log(`round ${round}/${options.rounds}: ${server} (load average ${loadavg()[0]!.toFixed(2)})`);
        const result = await measureServer(server, referenceDir, simulator, scratch, round, phaseSpecs, options.inspector);
        for (const phase of result.phases) {
          options.log(
            `  ${phase.phase.padEnd(24)} p50 ${phase.latencyMs.p50} ms, p95 ${phase.latencyMs.p95} ms, ` +
              `${phase.callsPerSecond} calls/s, worker ${phase.cpuMsPerCall.worker} ms CPU/call, ` +
              `${phase.errors} errors, other load ${phase.otherCores} ` +
              `cores${phase.errorSamples.length ? `\n    e.g. ${phase.errorSamples[0]}` : ""}`,
          );
          if (phase.errors > 0)
            throw new Error(`${server}: ${phase.errors} calls failed in "${phase.phase}", e.g. ${phase.errorSamples[0]}`);
        }
        raw.push(result);
      }
    }
  } finally {
    await simulator.close();
    rmSync(scratch, { recursive: true, force: true });
  }
  return {
    date: new Date().toISOString().slice(0, 10),
    label: options.label,
    referenceDir,
    referenceVersion,
    rounds: options.rounds,
    durationSeconds: Math.round((performance.now() - started) / 1000),
    workload:
      "get_timeseries per day over a date pair no other call uses (small: 7–30 days; large: 990–1,013 days; 3 sites), " +
      `metrics visitors, visits, pageviews; SDK v1 Streamable HTTP clients on /mcp; ${WARM_UP_CALLS} warm-up ` +
      `calls per server start; wrangler's inspector ${options.inspector ? "on" : "off"}`,
    loadAverage: { start: loadStart, end: loadavg().map(round2) },
    ratios: ratios(raw, phaseSpecs),
    raw,
  };
}
