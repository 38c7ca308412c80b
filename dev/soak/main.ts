// npm run soak: the demo stack (Plausible simulator at 50 ms latency, local OpenID Connect issuer,
// wrangler dev) under 200 concurrent MCP clients, half on /mcp with bearer keys and half on
// /internal as signed-in users, each making a few calls and repeating them. Loopback only,
// bounded in count and time. It checks that nothing failed except intended rate-limit answers,
// that no bucket let more through than burst plus refill allow, and that the simulator saw
// exactly the cache misses; it reports the worker's memory and prints a summary table.
// Exit code 0 when every check holds.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startDemoStack, type DemoStack } from "../demo/stack.ts";
import { sampleWorkerMemory, type MemoryReport } from "./memory.ts";
import { signInToInternal } from "./sign-in.ts";
import { callPool, callsFor, runClient, type AgentPlan, type CallRecord, type ClientRun } from "./workload.ts";

const { values } = parseArgs({
  options: {
    clients: { type: "string", default: "200" },
    agents: { type: "string", default: "4" },
    "calls-per-client": { type: "string", default: "4" },
    repeats: { type: "string", default: "2" },
    rounds: { type: "string", default: "2" },
    "pool-size": { type: "string", default: "40" },
    "latency-ms": { type: "string", default: "50" },
    "time-limit-s": { type: "string", default: "270" },
    help: { type: "boolean" },
  },
});
if (values.help) {
  process.stdout
    .write(`Usage: npm run soak -- [--clients 200] [--agents 4] [--calls-per-client 4] [--repeats 2] [--rounds 2] [--pool-size 40] \
[--latency-ms 50] [--time-limit-s 270]
  --clients         MCP clients in all, half on /mcp and half on /internal
  --agents          API keys on /mcp and signed-in users on /internal (each one usage agent)
  --rounds          waves of all the clients, one after the other; the worker's memory peak is
                    reported per wave, so growth from one wave to the next shows
  --pool-size       distinct calls per agent; above the burst, so the buckets are exercised
`);
  process.exit(0);
}

const int = (name: keyof typeof values) => {
  const value = Number(values[name]);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive whole number`);
  return value;
};
const CLIENTS = int("clients");
const AGENTS = int("agents");
const CALLS_PER_CLIENT = int("calls-per-client");
const REPEATS = int("repeats");
const ROUNDS = int("rounds");
const POOL_SIZE = int("pool-size");
const LATENCY_MS = int("latency-ms");
const TIME_LIMIT_MS = int("time-limit-s") * 1000;
const BURST = 30;
const REFILL_PER_MINUTE = 60;

interface AgentSummary {
  agent: string;
  clients: number;
  calls: number;
  ok: number;
  rateLimited: number;
  errors: number;
  /** Distinct calls answered: each took one token and one Plausible request (a cache miss). */
  misses: number;
  /** Burst plus what refilled between the agent's first call and its last answer. */
  allowed: number;
  bucketExact: boolean;
}

function summarize(agents: AgentPlan[], runs: ClientRun[], records: CallRecord[]): AgentSummary[] {
  return agents.map((agent) => {
    const mine = records.filter((record) => record.agent === agent.id && record.call !== "connect");
    const rateLimited = mine.filter((record) => record.outcome === "rate_limited").length;
    // Every range is historical, so the cache keeps each answer for the whole soak: one miss per distinct call.
    const misses = new Set(mine.filter((record) => record.outcome === "ok").map((record) => record.call)).size;
    const elapsedMs =
      mine.length === 0 ? 0 : Math.max(...mine.map((record) => record.endMs)) - Math.min(...mine.map((record) => record.startMs));
    const allowed = BURST + Math.floor((REFILL_PER_MINUTE * elapsedMs) / 60_000);
    return {
      agent: agent.id,
      clients: runs.filter((run) => run.agent === agent).length * ROUNDS,
      calls: mine.length,
      ok: mine.filter((record) => record.outcome === "ok").length,
      rateLimited,
      errors: records.filter((record) => record.agent === agent.id && record.outcome === "error").length,
      misses,
      allowed,
      // Never more than burst plus refill; and a refusal only once the burst was used.
      bucketExact: misses <= allowed && (rateLimited === 0 || misses >= BURST),
    };
  });
}

function table(rows: Record<string, string | number>[]): string {
  const columns = Object.keys(rows[0] ?? {});
  const widths = columns.map((column) => Math.max(column.length, ...rows.map((row) => String(row[column]).length)));
  const line = (cells: string[]) => cells.map((cell, index) => cell.padStart(widths[index]!)).join("  ");
  return [
    line(columns),
    line(widths.map((width) => "-".repeat(width))),
    ...rows.map((row) => line(columns.map((column) => String(row[column])))),
  ].join("\n");
}

async function soak(stack: DemoStack): Promise<boolean> {
  const startedAt = Date.now();
  const sites = stack.simulator.sites.map((site) => site.domain).slice(0, 2);
  const pool = callPool(sites, POOL_SIZE);

  const agents: AgentPlan[] = [];
  for (let index = 1; index <= AGENTS; index += 1) agents.push({ id: `/mcp key ${index}`, endpoint: "/mcp", bearer: `soak-key-${index}` });
  for (let index = 1; index <= AGENTS; index += 1) {
    stack.issuer.signInAs({ email: `soak-${index}@example.com`, name: `Soak User ${index}` });
    agents.push({ id: `/internal user ${index}`, endpoint: "/internal", bearer: await signInToInternal(stack.urls.worker) });
  }

  const runs: ClientRun[] = Array.from({ length: CLIENTS }, (_, index) => {
    const half = index % 2 === 0 ? 0 : AGENTS;
    const agent = agents[half + (Math.floor(index / 2) % AGENTS)]!;
    const indexInAgent = Math.floor(index / (2 * AGENTS));
    return {
      agent,
      sdk: agent.endpoint === "/mcp" && indexInAgent % 2 === 1 ? "v2" : "v1",
      calls: callsFor(pool, indexInAgent, CALLS_PER_CLIENT),
      repeats: REPEATS,
    };
  });

  stack.simulator.reset();
  const memory = sampleWorkerMemory();
  const records: CallRecord[] = [];
  const loadStartedAt = Date.now();
  const peakPerRound: number[] = [];
  const finished = (async () => {
    for (let round = 0; round < ROUNDS; round += 1) {
      await Promise.all(runs.map((run) => runClient(stack.urls.worker, run, records)));
      peakPerRound.push(memory.peakSoFarMiB());
    }
  })();
  const deadline = TIME_LIMIT_MS - (loadStartedAt - startedAt);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = await Promise.race([
    finished.then(() => false),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), deadline))),
  ]);
  clearTimeout(timer);
  const loadMs = Date.now() - loadStartedAt;
  const report: MemoryReport = memory.stop();

  const summaries = summarize(agents, runs, records);
  const misses = summaries.reduce((sum, row) => sum + row.misses, 0);
  const simulatorRequests = stack.simulator.stats.total;
  const errors = records.filter((record) => record.outcome === "error");
  const expectedCalls = ROUNDS * CLIENTS * CALLS_PER_CLIENT * REPEATS;

  process.stdout.write(
    `\n${table(
      summaries.map((row) => ({
        agent: row.agent,
        clients: row.clients,
        calls: row.calls,
        ok: row.ok,
        "rate-limited": row.rateLimited,
        errors: row.errors,
        "misses (tokens)": row.misses,
        "allowed (burst+refill)": row.allowed,
        bucket: row.bucketExact ? "exact" : "OVER",
      })),
    )}\n\n`,
  );

  const checks: [string, boolean, string][] = [
    ["finished in time", !timedOut, `${(loadMs / 1000).toFixed(1)} s of load, limit ${TIME_LIMIT_MS / 1000} s`],
    ["every call answered", records.length >= expectedCalls, `${records.length} of ${expectedCalls} calls`],
    ["no errors but intended rate limits", errors.length === 0, `${errors.length} errors`],
    [
      "buckets exact",
      summaries.every((row) => row.bucketExact),
      summaries
        .filter((row) => !row.bucketExact)
        .map((row) => row.agent)
        .join(", ") || "all agents",
    ],
    ["simulator requests = cache misses", simulatorRequests === misses, `${simulatorRequests} requests, ${misses} misses`],
  ];
  process.stdout.write(
    `${table([
      ...checks.map(([check, passed, detail]) => ({ check, result: passed ? "pass" : "FAIL", detail })),
      {
        check: "worker memory (RSS)",
        result: "info",
        detail:
          `start ${report.startMiB.toFixed(0)} MiB, peak ${report.peakMiB.toFixed(0)} MiB (after each ` +
          `wave: ${peakPerRound.map((peak) => peak.toFixed(0)).join(", ")}), end ` +
          `${report.endMiB.toFixed(0)} MiB`,
      },
      {
        check: "simulator latency",
        result: "info",
        detail:
          `${LATENCY_MS} ms per request; ${ROUNDS} x ${CLIENTS} clients, ${AGENTS} keys + ${AGENTS} users, ` +
          `pool ${POOL_SIZE}, ${CALLS_PER_CLIENT} calls x ${REPEATS}`,
      },
    ])}\n`,
  );
  for (const error of errors.slice(0, 10)) process.stdout.write(`error: ${error.agent} ${error.call}: ${error.detail?.slice(0, 300)}\n`);
  if (errors.some((error) => error.detail?.includes("restarted mid-request"))) {
    process.stdout.write(
      "note: wrangler dev rebuilt the worker during the soak because files under src/ changed; run it again on a quiet working tree.\n",
    );
  }
  return checks.every(([, passed]) => passed);
}

const persistTo = mkdtempSync(join(tmpdir(), "plausible-mcp-soak-"));
let stack: DemoStack | undefined;
let passed = false;
try {
  process.stdout.write("Starting the demo stack (simulator, issuer, wrangler dev)...\n");
  stack = await startDemoStack({
    persistTo,
    simulator: {
      latencyMs: LATENCY_MS,
      keys: Object.fromEntries(Array.from({ length: AGENTS }, (_, index) => [`soak-key-${index + 1}`, "*" as const])),
      log: () => undefined,
    },
    // The buckets are what a soak exercises; the hourly shares of the shared key have tests of their own.
    // All clients come from one address, as no real team would: the per-address ceiling is raised.
    vars: {
      RATE_LIMIT_BURST: String(BURST),
      RATE_LIMIT_PER_MINUTE: String(REFILL_PER_MINUTE),
      PLAUSIBLE_USER_HOURLY_LIMIT: "100000",
      ADDRESS_RATE_LIMIT_PER_MINUTE: "1000000",
      NEW_KEYS_PER_ADDRESS_PER_HOUR: "100000",
    },
  });
  process.stdout.write(`Worker at ${stack.urls.worker}; ${CLIENTS} clients starting.\n`);
  passed = await soak(stack);
} catch (error) {
  process.stderr.write(`Soak failed: ${error instanceof Error ? error.stack : String(error)}\n`);
} finally {
  await stack?.stop();
  rmSync(persistTo, { recursive: true, force: true });
}
process.stdout.write(passed ? "\nSoak passed.\n" : "\nSoak FAILED.\n");
process.exit(passed ? 0 : 1);
