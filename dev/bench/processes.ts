// CPU time and memory of the processes behind `wrangler dev`, read from /proc (Linux only):
// the workerd that runs the worker, the workerd that proxies the public port to it, and
// wrangler's own Node processes.

import { readdirSync, readFileSync } from "node:fs";

/** Linux's USER_HZ: /proc/<pid>/stat counts CPU time in these ticks on every common kernel. */
const TICKS_PER_SECOND = 100;

export type ProcessRole = "worker" | "proxy" | "wrangler";

export interface WatchedProcess {
  pid: number;
  role: ProcessRole;
}

interface ProcEntry {
  pid: number;
  ppid: number;
  comm: string;
  cpuMs: number;
}

function readStat(pid: number): ProcEntry | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // comm sits in parentheses and may contain spaces; the fields after it are positional.
    const close = stat.lastIndexOf(")");
    const comm = stat.slice(stat.indexOf("(") + 1, close);
    const fields = stat.slice(close + 2).split(" ");
    // fields[0] is field 3 (state): ppid is field 4, utime 14, stime 15.
    const ticks = Number(fields[11]) + Number(fields[12]);
    return { pid, ppid: Number(fields[1]), comm, cpuMs: (ticks * 1000) / TICKS_PER_SECOND };
  } catch {
    return undefined;
  }
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
  } catch {
    return "";
  }
}

/** Every process below `root`, found by walking parent ids (wrangler runs in its own process group). */
function descendants(root: number): ProcEntry[] {
  const all = readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .map((name) => readStat(Number(name)))
    .filter((entry): entry is ProcEntry => entry !== undefined);
  const below = new Set([root]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const entry of all) {
      if (!below.has(entry.pid) && below.has(entry.ppid)) {
        below.add(entry.pid);
        grew = true;
      }
    }
  }
  return all.filter((entry) => entry.pid !== root && below.has(entry.pid));
}

/**
 * The stack's processes under this Node process. wrangler starts two workerd: the one bound to the
 * worker's public port only proxies; the other runs the worker.
 */
export function findStackProcesses(workerPort: number): WatchedProcess[] {
  return descendants(process.pid).flatMap((entry): WatchedProcess[] => {
    const args = commandLine(entry.pid);
    if (entry.comm === "workerd") return [{ pid: entry.pid, role: args.includes(`entry=127.0.0.1:${workerPort} `) ? "proxy" : "worker" }];
    if (/wrangler\.js|wrangler-dist\/cli\.js|start-worker\.ts/.test(args)) return [{ pid: entry.pid, role: "wrangler" }];
    return [];
  });
}

function cpuMs(pid: number): number {
  return readStat(pid)?.cpuMs ?? 0;
}

/** Resident memory in MiB from /proc/<pid>/status: VmRSS now, or VmHWM (the peak since start). */
export function memoryMiB(pid: number, field: "VmRSS" | "VmHWM"): number {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

export interface CpuSnapshot {
  byRole: Record<ProcessRole, number>;
  /** This process: the MCP clients and the in-process Plausible simulator. */
  bench: number;
  /** Every CPU of the machine, busy (not idle or waiting for I/O): shows what else ran meanwhile. */
  machine: number;
}

/** Busy CPU milliseconds of the whole machine since boot, from the first line of /proc/stat. */
function machineBusyMs(): number {
  const [, ...ticks] = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already in user).
  const busy = ticks[0]! + ticks[1]! + ticks[2]! + ticks[5]! + ticks[6]! + ticks[7]!;
  return (busy * 1000) / TICKS_PER_SECOND;
}

export function cpuSnapshot(processes: readonly WatchedProcess[]): CpuSnapshot {
  const byRole: Record<ProcessRole, number> = { worker: 0, proxy: 0, wrangler: 0 };
  for (const { pid, role } of processes) byRole[role] += cpuMs(pid);
  const own = process.cpuUsage();
  return { byRole, bench: (own.user + own.system) / 1000, machine: machineBusyMs() };
}

/** Samples the worker's VmRSS every `intervalMs` until stopped; returns the largest sample in MiB. */
export function sampleRss(pid: number, intervalMs = 100): { stop(): number } {
  let peak = memoryMiB(pid, "VmRSS");
  const timer = setInterval(() => (peak = Math.max(peak, memoryMiB(pid, "VmRSS"))), intervalMs);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, memoryMiB(pid, "VmRSS"));
    },
  };
}
