// npm run bench:profile -- [--endpoint /mcp|/internal] [--workload small|large] [--calls N]: where this
// server's CPU goes on uncached calls. Starts the demo stack (simulator at 0 ms, the local issuer) with the
// worker under `wrangler dev`, signs in first for /internal, measures the
// worker's CPU per call from /proc, then takes a V8 CPU profile of the same number of new calls
// through wrangler's inspector and prints the functions that took the most, per call. The profile
// is written for Chrome DevTools (Performance > Load profile).
//
// The profiler and the inspector's console capture make every call dearer (a console.log costs
// the most), so compare shares within one profile, and CPU per call only between runs of this tool.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import WebSocket from "ws";
import { connectWithKey, connectWithOAuth, type E2eClient } from "../clients/mcp-clients.ts";
import { startDemoStack, type DemoStack } from "../demo/stack.ts";
import { chromiumAvailable, MISSING_CHROMIUM, signInToInternal } from "./internal-sign-in.ts";
import { runCalls } from "./load.ts";
import { cpuSnapshot, findStackProcesses } from "./processes.ts";
import { BENCH_VARS } from "./runs.ts";
import { timeseriesCall, type Workload } from "./side-by-side.ts";

// A sample stands for the time since the one before, but no more than this: the sampler only ticks while the
// isolate runs JavaScript, so a longer gap is the runtime's own work or waiting, and charging it to the first
// function sampled after it (often whatever starts a request) would inflate that function many times over.
const MAX_SAMPLE_MICROS = 1_000;

const USAGE = `Usage: npm run bench:profile -- [options]
  --endpoint /mcp|/internal  a key's endpoint, or the team connector signed in as the demo member (default /mcp)
  --workload small|large  7-30-day or ~1,000-day daily series (default large)
  --calls N               calls measured, then profiled (default 60)
  --out FILE              where the .cpuprofile goes (default: a temporary directory)`;

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const { values } = parseArgs({
  options: {
    endpoint: { type: "string", default: "/mcp" },
    workload: { type: "string", default: "large" },
    calls: { type: "string", default: "60" },
    out: { type: "string" },
    help: { type: "boolean" },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const endpoint = values.endpoint;
const workload = values.workload as Workload;
const calls = Number(values.calls);
if (
  (endpoint !== "/mcp" && endpoint !== "/internal") ||
  (workload !== "small" && workload !== "large") ||
  !Number.isInteger(calls) ||
  calls < 1
) {
  console.error(USAGE);
  process.exit(2);
}
if (endpoint === "/internal" && !chromiumAvailable) {
  console.error(`/internal needs a browser to sign in. ${MISSING_CHROMIUM}`);
  process.exit(2);
}

const scratch = mkdtempSync(join(tmpdir(), "plausible-mcp-profile-"));
const stack = await startDemoStack({
  persistTo: join(scratch, "state"),
  vars: BENCH_VARS,
  simulator: { hourlyLimit: 1_000_000_000 },
  localTraces: false,
});
try {
  const client = await connectClient(stack);
  let next = 0;
  const fresh = (count: number) => Array.from({ length: count }, () => timeseriesCall("ours", workload, next++));
  await runCalls([client], fresh(20));

  const processes = findStackProcesses(Number(new URL(stack.urls.worker).port));
  const before = cpuSnapshot(processes);
  const measured = await runCalls([client], fresh(calls));
  const workerCpuMs = (cpuSnapshot(processes).byRole.worker - before.byRole.worker) / calls;
  console.log(
    `${calls} uncached ${workload} calls on ${endpoint}: ${(measured.durationMs / calls).toFixed(1)} ms and ${workerCpuMs.toFixed(1)} ms ` +
      `of worker CPU per call, ${measured.errors} errors (no profiler attached)`,
  );

  const inspector = await connectInspector(stack.inspectorPort());
  await inspector.send("Profiler.enable");
  await inspector.send("Profiler.setSamplingInterval", { interval: 100 });
  await inspector.send("Profiler.start");
  await runCalls([client], fresh(calls));
  const { profile } = (await inspector.send("Profiler.stop")) as { profile: CpuProfile };
  inspector.close();
  await client.close();

  const out = values.out ?? join(scratch, `${workload}.cpuprofile`);
  writeFileSync(out, JSON.stringify(profile));
  const { self, inclusive, busyMs } = attribute(profile);
  console.log(
    `Profiled: ${(busyMs / calls).toFixed(1)} ms of JavaScript per call (the rest of the worker's CPU is the runtime's ` +
      `own work: I/O, RPC, storage); written to ${out}\n`,
  );
  printTop("Self time, ms per call", self, calls);
  printTop("Inclusive time, ms per call", inclusive, calls);
  if (values.out === undefined) console.log(`\n(${scratch} is removed when this exits; pass --out to keep the profile.)`);
} finally {
  await stack.stop();
  if (values.out === undefined) rmSync(scratch, { recursive: true, force: true });
}

async function connectClient(stack: DemoStack): Promise<E2eClient> {
  if (endpoint === "/mcp") return connectWithKey("SDK v1, Streamable HTTP", stack.urls.mcp, stack.apiKey);
  return connectWithOAuth("SDK v1, Streamable HTTP", stack.urls.internal, await signInToInternal(stack.urls.internal));
}

/** wrangler's inspector proxy, which forwards to the workerd running the worker (it takes one client). */
async function connectInspector(port: number) {
  // Node's own WebSocket is turned away by the proxy's handshake checks; the ws package is not.
  const socket = new WebSocket(`ws://127.0.0.1:${port}/ws`);
  await new Promise((opened, failed) => {
    socket.once("open", opened);
    socket.once("error", (error) => failed(new Error(`The inspector on port ${port} refused the connection: ${error.message}`)));
  });
  let lastId = 0;
  const pending = new Map<number, (result: unknown) => void>();
  socket.on("message", (data: Buffer) => {
    const message = JSON.parse(data.toString("utf8")) as { id?: number; result?: unknown };
    if (message.id !== undefined) pending.get(message.id)?.(message.result);
  });
  return {
    send(method: string, params: Record<string, unknown> = {}): Promise<unknown> {
      const id = ++lastId;
      socket.send(JSON.stringify({ id, method, params }));
      return new Promise((answered) => pending.set(id, answered));
    },
    close: () => socket.close(),
  };
}

/** Sampled JavaScript time per function (µs), on its own and with everything it called; idle time left out. */
function attribute(profile: CpuProfile) {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parents = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
  const name = ({ callFrame: frame }: ProfileNode) =>
    `${frame.functionName || "(anonymous)"}${frame.url ? ` ${frame.url.split("/").pop()}:${frame.lineNumber + 1}` : ""}`;
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let busyMs = 0;
  profile.samples.forEach((id, index) => {
    const micros = Math.min(profile.timeDeltas[index] ?? 0, MAX_SAMPLE_MICROS);
    const leaf = nodes.get(id)!;
    if (leaf.callFrame.functionName === "(idle)") return;
    busyMs += micros / 1000;
    self.set(name(leaf), (self.get(name(leaf)) ?? 0) + micros);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parents.get(at)) {
      const key = name(nodes.get(at)!);
      if (seen.has(key) || key === "(root)") continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + micros);
    }
  });
  return { self, inclusive, busyMs };
}

function printTop(title: string, times: Map<string, number>, calls: number, count = 25): void {
  console.log(title);
  for (const [key, micros] of [...times].sort((a, b) => b[1] - a[1]).slice(0, count))
    console.log(`  ${(micros / 1000 / calls).toFixed(2).padStart(7)}  ${key}`);
}
