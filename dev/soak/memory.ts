// Resident memory of the workerd processes this Node process started (through wrangler dev),
// sampled from /proc (Linux only). wrangler runs two: one proxies the public port, the other runs
// the worker; the larger one is the worker.

import { readdirSync, readFileSync } from "node:fs";

function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name sits in parentheses and may hold spaces; the parent id follows the state.
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return undefined;
  }
}

function isWorkerd(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim() === "workerd";
  } catch {
    return false;
  }
}

function rssMiB(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** workerd processes below this one, found by walking parent ids (wrangler runs in its own process group). */
function ownWorkerdPids(): number[] {
  const pids = readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .map(Number);
  const parents = new Map(pids.map((pid) => [pid, parentOf(pid)]));
  const below = (pid: number) => {
    for (let current = parents.get(pid), hops = 0; current !== undefined && hops < 10; current = parents.get(current), hops += 1) {
      if (current === process.pid) return true;
    }
    return false;
  };
  return pids.filter((pid) => isWorkerd(pid) && below(pid));
}

export interface MemoryReport {
  /** The worker's RSS when sampling started, at its peak, and when it stopped (MiB). */
  startMiB: number;
  peakMiB: number;
  endMiB: number;
  samples: number;
}

/** Samples every workerd below this process; the report is for the one with the largest peak. */
export function sampleWorkerMemory(intervalMs = 200): { peakSoFarMiB(): number; stop(): MemoryReport } {
  const pids = ownWorkerdPids();
  const byPid = new Map(pids.map((pid) => [pid, { start: rssMiB(pid), peak: rssMiB(pid), last: rssMiB(pid) }]));
  let samples = 1;
  const sample = () => {
    samples += 1;
    for (const [pid, memory] of byPid) {
      const now = rssMiB(pid);
      memory.last = now;
      memory.peak = Math.max(memory.peak, now);
    }
  };
  const timer = setInterval(sample, intervalMs);
  return {
    peakSoFarMiB() {
      sample();
      return Math.max(0, ...[...byPid.values()].map((memory) => memory.peak));
    },
    stop() {
      clearInterval(timer);
      sample();
      const worker = [...byPid.values()].sort((a, b) => b.peak - a.peak)[0] ?? { start: 0, peak: 0, last: 0 };
      return { startMiB: worker.start, peakMiB: worker.peak, endMiB: worker.last, samples };
    },
  };
}
