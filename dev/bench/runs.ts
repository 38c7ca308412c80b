// The bench's runs. Each starts a fresh demo stack (wrangler dev grows in memory with every
// request, so runs must not share one) and measures a cache-cold then a cache-warm phase, or
// the scenarios (agent session, compare_periods against one query).

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startDemoStack, type DemoStack } from "../demo/stack.ts";
import { connectWithKey, connectWithOAuth, type ClientKind, type E2eClient } from "../clients/mcp-clients.ts";
import { signInToInternal } from "./internal-sign-in.ts";
import { measurePhase, type MeasureContext, type PhaseResult } from "./measure.ts";
import { findStackProcesses, memoryMiB } from "./processes.ts";
import { AGENT_SESSION, ANALYSIS_TOOLS, analysisCall, comparisonCall, mixedCall, singleQueryCall } from "./workload.ts";

/**
 * Limits raised so the bench measures the server, not the per-key token bucket (default burst 30,
 * 60 a minute), the per-address ceiling (all load comes from one address), the shared key's hourly
 * quota or the simulator's per-key hourly limit.
 */
export const BENCH_VARS = {
  ADDRESS_RATE_LIMIT_PER_MINUTE: "1000000",
  NEW_KEYS_PER_ADDRESS_PER_HOUR: "1000000",
  RATE_LIMIT_BURST: "1000000",
  RATE_LIMIT_PER_MINUTE: "1000000",
  PLAUSIBLE_HOURLY_LIMIT: "1000000",
  PLAUSIBLE_USER_HOURLY_LIMIT: "1000000",
} as const;
const SIMULATOR_HOURLY_LIMIT = 1_000_000_000;

export type Endpoint = "/mcp" | "/internal";

export interface LoadRunSpec {
  kind: "load";
  id: string;
  endpoint: Endpoint;
  client: ClientKind;
  latencyMs: number;
  concurrency: number;
  /** Calls per phase; at most ~450 so the cold phase's answers fit the cache's 500 entries. */
  calls: number;
}

export interface ScenarioRunSpec {
  kind: "scenarios";
  id: string;
  latencyMs: number;
  /** Calls of each kind in the compare_periods vs single query comparison. */
  comparisonCalls: number;
  /** Calls per analysis tool and phase. */
  analysisCalls: number;
}

export type RunSpec = LoadRunSpec | ScenarioRunSpec;

const V1: ClientKind = "SDK v1, Streamable HTTP";
const V2: ClientKind = "SDK v2, Streamable HTTP";

const load = (endpoint: Endpoint, client: ClientKind, latencyMs: number, concurrency: number, calls: number): LoadRunSpec => ({
  kind: "load",
  id: `${endpoint.slice(1)}-${client === V2 ? "v2" : "v1"}-${latencyMs}ms-c${concurrency}`,
  endpoint,
  client,
  latencyMs,
  concurrency,
  calls,
});

export const RUNS: readonly RunSpec[] = [
  load("/mcp", V1, 0, 1, 150),
  load("/mcp", V1, 0, 16, 400),
  load("/mcp", V1, 0, 64, 400),
  load("/mcp", V2, 0, 16, 400),
  load("/mcp", V1, 100, 1, 40),
  load("/mcp", V1, 100, 16, 320),
  load("/mcp", V1, 100, 64, 400),
  load("/internal", V1, 0, 1, 150),
  load("/internal", V1, 0, 16, 400),
  load("/internal", V1, 0, 64, 400),
  load("/internal", V1, 100, 16, 320),
  { kind: "scenarios", id: "scenarios-100ms", latencyMs: 100, comparisonCalls: 20, analysisCalls: 8 },
];

export interface LoadRunResult {
  kind: "load";
  id: string;
  endpoint: Endpoint;
  client: ClientKind;
  simulatorLatencyMs: number;
  concurrency: number;
  phases: PhaseResult[];
  /** VmHWM of the worker's workerd at the end of the run: the peak since this stack started. */
  workerPeakRssMiB: number;
  stackStartMs: number;
}

export interface ScenarioRunResult {
  kind: "scenarios";
  id: string;
  simulatorLatencyMs: number;
  session: { first: PhaseResult; repeated: PhaseResult; wallMs: number };
  comparison: { single: PhaseResult; compare: PhaseResult; p50Ratio: number };
  /** Each analysis tool on new dates (cold), then the same calls again (warm). */
  analysis: PhaseResult[];
  workerPeakRssMiB: number;
  stackStartMs: number;
}

export type RunResult = LoadRunResult | ScenarioRunResult;

interface BenchStack {
  stack: DemoStack;
  context: MeasureContext;
  startMs: number;
  stop(): Promise<void>;
}

const running = new Set<BenchStack>();

/** Stops the stack a run has open (on Ctrl-C: wrangler runs in its own process group and would outlive the bench). */
export async function stopRunningStacks(): Promise<void> {
  await Promise.all([...running].map((bench) => bench.stop()));
}

async function startBenchStack(latencyMs: number, log: (line: string) => void): Promise<BenchStack> {
  const persistTo = mkdtempSync(join(tmpdir(), "plausible-mcp-bench-"));
  const started = performance.now();
  const stack = await startDemoStack({
    persistTo,
    vars: BENCH_VARS,
    simulator: { latencyMs, hourlyLimit: SIMULATOR_HOURLY_LIMIT },
    // Measured as deployed: wrangler's local traces cost the worker's process CPU per invocation (bench/README.md).
    localTraces: false,
    onWorkerOutput: process.env.BENCH_VERBOSE ? (line) => log(`[worker] ${line}`) : undefined,
  });
  const startMs = Math.round(performance.now() - started);
  const processes = findStackProcesses(Number(new URL(stack.urls.worker).port));
  const bench: BenchStack = {
    stack,
    context: { simulator: stack.simulator, processes },
    startMs,
    async stop() {
      running.delete(bench);
      await stack.stop();
      rmSync(persistTo, { recursive: true, force: true });
    },
  };
  running.add(bench);
  return bench;
}

async function connectClients(spec: LoadRunSpec, stack: DemoStack): Promise<E2eClient[]> {
  const url = stack.urls.worker + spec.endpoint;
  const connect =
    spec.endpoint === "/internal"
      ? await signInToInternal(url).then((provider) => () => connectWithOAuth("SDK v1, Streamable HTTP", url, provider))
      : () => connectWithKey(spec.client, url, stack.apiKey);
  const clients: E2eClient[] = [];
  // No tools/list: after it, SDK v1 clients check results against the output schemas and reject
  // every date pair (see bench/README.md, "Known issue").
  for (let i = 0; i < spec.concurrency; i += 1) clients.push(await connect());
  return clients;
}

function workerPeakRss(context: MeasureContext): number {
  const worker = context.processes.find((process) => process.role === "worker");
  return worker ? Math.round(memoryMiB(worker.pid, "VmHWM") * 10) / 10 : 0;
}

export async function runLoad(spec: LoadRunSpec, log: (line: string) => void): Promise<LoadRunResult> {
  const bench = await startBenchStack(spec.latencyMs, log);
  try {
    const clients = await connectClients(spec, bench.stack);
    const calls = Array.from({ length: spec.calls }, (_, i) => mixedCall(i));
    const cold = await measurePhase(bench.context, "cold", clients, calls);
    const warm = await measurePhase(bench.context, "warm", clients, calls);
    await Promise.all(clients.map((client) => client.close()));
    return {
      kind: "load",
      id: spec.id,
      endpoint: spec.endpoint,
      client: spec.client,
      simulatorLatencyMs: spec.latencyMs,
      concurrency: spec.concurrency,
      phases: [cold, warm],
      workerPeakRssMiB: workerPeakRss(bench.context),
      stackStartMs: bench.startMs,
    };
  } finally {
    await bench.stop();
  }
}

export async function runScenarios(spec: ScenarioRunSpec, log: (line: string) => void): Promise<ScenarioRunResult> {
  const bench = await startBenchStack(spec.latencyMs, log);
  try {
    const { stack, context } = bench;
    const connect = () => connectWithKey(V1, stack.urls.mcp, stack.apiKey);
    // The session first, on a cold cache; then the same questions from a second conversation.
    const agent = await connect();
    const sessionStarted = performance.now();
    const first = await measurePhase(context, "agent session", [agent], AGENT_SESSION);
    const wallMs = Math.round(performance.now() - sessionStarted);
    const secondAgent = await connect();
    const repeated = await measurePhase(context, "agent session, asked again", [secondAgent], AGENT_SESSION);

    // Date pairs the session (relative ranges) never used, so both sides go to Plausible.
    const single = await measurePhase(
      context,
      "single query (get_aggregate)",
      [agent],
      Array.from({ length: spec.comparisonCalls }, (_, i) => singleQueryCall(i)),
    );
    const compare = await measurePhase(
      context,
      "compare_periods",
      [agent],
      Array.from({ length: spec.comparisonCalls }, (_, i) => comparisonCall(i)),
    );
    const analysis: PhaseResult[] = [];
    for (const tool of ANALYSIS_TOOLS) {
      const calls = Array.from({ length: spec.analysisCalls }, (_, i) => analysisCall(tool, i));
      analysis.push(await measurePhase(context, `${tool}, cold`, [agent], calls));
      analysis.push(await measurePhase(context, `${tool}, warm`, [agent], calls));
    }
    await agent.close();
    await secondAgent.close();
    return {
      kind: "scenarios",
      id: spec.id,
      simulatorLatencyMs: spec.latencyMs,
      session: { first, repeated, wallMs },
      comparison: { single, compare, p50Ratio: Math.round((compare.latencyMs.p50 / single.latencyMs.p50) * 100) / 100 },
      analysis,
      workerPeakRssMiB: workerPeakRss(context),
      stackStartMs: bench.startMs,
    };
  } finally {
    await bench.stop();
  }
}
