// One measured phase: a list of calls through connected clients, with what it cost the worker
// (CPU, memory) and Plausible (requests the simulator counted).

import type { SimulatorHandle } from "../plausible-simulator/server.ts";
import type { E2eClient } from "../clients/mcp-clients.ts";
import { percentile, runCalls } from "./load.ts";
import { cpuSnapshot, sampleRss, type CpuSnapshot, type WatchedProcess } from "./processes.ts";
import { impliedRequests, type ToolCall } from "./workload.ts";

export interface PhaseResult {
  phase: string;
  calls: number;
  errors: number;
  errorSamples: string[];
  latencyMs: { p50: number; p95: number; p99: number; max: number };
  callsPerSecond: number;
  durationMs: number;
  /** Requests the simulator answered during the phase. */
  plausibleRequests: number;
  /** Requests the same calls imply without a cache or coalescing. */
  impliedRequests: number;
  plausibleRequestsPerCall: number;
  /** Share of implied requests answered without one (cache hits and coalesced duplicates). */
  cacheHitRatio: number;
  /** CPU milliseconds per call, by process. */
  cpuMsPerCall: { worker: number; proxy: number; wrangler: number; bench: number };
  /** How many cores the worker's workerd kept busy on average (1 = one full core). */
  workerCores: number;
  /** Cores busy with anything else on the machine meanwhile (other people's tests, say): noise. */
  otherCores: number;
  peakWorkerRssMiB: number;
}

export interface MeasureContext {
  simulator: Pick<SimulatorHandle, "stats">;
  processes: readonly WatchedProcess[];
}

const ours = (snapshot: CpuSnapshot) => snapshot.byRole.worker + snapshot.byRole.proxy + snapshot.byRole.wrangler + snapshot.bench;
const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

export async function measurePhase(
  context: MeasureContext,
  phase: string,
  clients: readonly E2eClient[],
  calls: readonly ToolCall[],
): Promise<PhaseResult> {
  const worker = context.processes.find((process) => process.role === "worker");
  if (!worker) throw new Error("No workerd process running the worker was found under wrangler dev.");
  const requestsBefore = context.simulator.stats.total;
  const cpuBefore = cpuSnapshot(context.processes);
  const rss = sampleRss(worker.pid);

  const load = await runCalls(clients, calls);

  const peakWorkerRssMiB = rss.stop();
  const cpuAfter = cpuSnapshot(context.processes);
  const plausibleRequests = context.simulator.stats.total - requestsBefore;
  const implied = calls.reduce((sum, call) => sum + impliedRequests(call), 0);
  const perCall = (after: number, before: number) => round((after - before) / calls.length);
  const workerCpuMs = cpuAfter.byRole.worker - cpuBefore.byRole.worker;
  return {
    phase,
    calls: calls.length,
    errors: load.errors,
    errorSamples: load.errorSamples,
    latencyMs: {
      p50: round(percentile(load.latenciesMs, 0.5)),
      p95: round(percentile(load.latenciesMs, 0.95)),
      p99: round(percentile(load.latenciesMs, 0.99)),
      max: round(Math.max(...load.latenciesMs)),
    },
    callsPerSecond: round((calls.length * 1000) / load.durationMs, 1),
    durationMs: round(load.durationMs, 0),
    plausibleRequests,
    impliedRequests: implied,
    plausibleRequestsPerCall: round(plausibleRequests / calls.length, 3),
    cacheHitRatio: round(Math.max(0, 1 - plausibleRequests / implied), 3),
    cpuMsPerCall: {
      worker: perCall(cpuAfter.byRole.worker, cpuBefore.byRole.worker),
      proxy: perCall(cpuAfter.byRole.proxy, cpuBefore.byRole.proxy),
      wrangler: perCall(cpuAfter.byRole.wrangler, cpuBefore.byRole.wrangler),
      bench: perCall(cpuAfter.bench, cpuBefore.bench),
    },
    workerCores: round(workerCpuMs / load.durationMs),
    otherCores: round(Math.max(0, cpuAfter.machine - cpuBefore.machine - ours(cpuAfter) + ours(cpuBefore)) / load.durationMs),
    peakWorkerRssMiB: round(peakWorkerRssMiB, 1),
  };
}
