// Runs the worker under `wrangler dev` (local workerd, persisted storage) as a child process
// and waits until it answers HTTP; without an inspector port, through wrangler's API instead of its CLI.

import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { LOOPBACK } from "./ports.ts";

export interface WranglerDevOptions {
  /** Repository root: where wrangler.toml lives (and the wrangler that runs it). */
  cwd: string;
  /** Another configuration file than cwd's wrangler.toml (the bench points this at the reference server's). */
  config?: string;
  /** A GET that answers `status` once the worker runs; default the protected-resource metadata of /internal, 200. */
  ready?: { path: string; status: number };
  port: number;
  /**
   * Where devtools connect. Without it the worker's console lines cost what a deployment's do, as far as wrangler
   * allows: no inspector relays them (dev/demo/start-worker.ts runs the worker) and no debug log file keeps a copy.
   */
  inspectorPort?: number;
  /**
   * wrangler's local traces (X_LOCAL_OBSERVABILITY): a collector inside the worker's workerd writes every
   * invocation's trace, each Durable Object call's included, to SQLite with an fsync. A deployment pays none of
   * that in the worker. Default: on with an inspector (as plain `wrangler dev`), off without one.
   */
  localTraces?: boolean;
  persistTo: string;
  /** Passed as --var NAME:value; they override wrangler.toml and any .dev.vars. */
  vars: Record<string, string>;
  /** Every line wrangler and the worker print (stdout and stderr). */
  onOutput?: (line: string) => void;
  /** Serves /__scheduled?cron=...&time=..., which runs the worker's scheduled handler (the Cron Trigger). */
  testScheduled?: boolean;
  /** How long to wait for the first answer; wrangler bundles the worker first. */
  readyTimeoutMs?: number;
}

export interface WranglerDev {
  url: string;
  stop(): Promise<void>;
}

/** Answers 200 as soon as the worker runs, and needs no credentials. */
const READY_PATH = "/.well-known/oauth-protected-resource/internal";
const OUTPUT_TAIL_LINES = 40;

export async function startWranglerDev(options: WranglerDevOptions): Promise<WranglerDev> {
  const url = `http://${LOOPBACK}:${options.port}`;
  const { inspectorPort } = options;
  const quiet = inspectorPort === undefined;
  const localTraces = options.localTraces ?? !quiet;
  const child = spawn(process.execPath, quiet ? quietArguments(options) : cliArguments(options, inspectorPort), {
    cwd: options.cwd,
    // Its own process group, so stop() also ends workerd, which wrangler starts as a grandchild.
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      // No account, no network: no telemetry, no banner's update check, and the placeholder
      // `request.cf` instead of downloading Cloudflare's.
      WRANGLER_SEND_METRICS: "false",
      CLOUDFLARE_CF_FETCH_ENABLED: "false",
      WRANGLER_HIDE_BANNER: "true",
      CLOUDFLARE_API_TOKEN: "",
      NO_COLOR: "1",
      FORCE_COLOR: "0",
      // wrangler appends each line it prints to a file in ~/.config/.wrangler/logs: a file write per log line.
      ...(quiet ? { WRANGLER_WRITE_LOGS: "false" } : {}),
      ...(localTraces ? {} : { X_LOCAL_OBSERVABILITY: "false" }),
    },
  });

  const tail: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream! }).on("line", (line) => {
      tail.push(line);
      if (tail.length > OUTPUT_TAIL_LINES) tail.shift();
      options.onOutput?.(line);
    });
  }
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));

  const stop = () => stopProcessGroup(child, exited);
  try {
    const ready = options.ready ?? { path: READY_PATH, status: 200 };
    await waitUntilAnswering(url + ready.path, ready.status, exited, options.readyTimeoutMs ?? 90_000);
  } catch (error) {
    await stop();
    throw new Error(`wrangler dev did not start: ${(error as Error).message}\n--- last output ---\n${tail.join("\n")}`, { cause: error });
  }
  return { url, stop };
}

function cliArguments(options: WranglerDevOptions, inspectorPort: number): string[] {
  return [
    wranglerBin(options.cwd),
    "dev",
    "--local",
    "--ip",
    LOOPBACK,
    "--port",
    String(options.port),
    "--inspector-port",
    String(inspectorPort),
    "--persist-to",
    options.persistTo,
    "--show-interactive-dev-session=false",
    ...(options.testScheduled ? ["--test-scheduled"] : []),
    ...(options.config ? ["--config", options.config] : []),
    ...Object.entries(options.vars).flatMap(([name, value]) => ["--var", `${name}:${value}`]),
  ];
}

function quietArguments(options: WranglerDevOptions): string[] {
  if (options.testScheduled) throw new Error("--test-scheduled needs the wrangler CLI: give an inspectorPort.");
  const { cwd, port, persistTo, vars } = options;
  const config = options.config ?? join(cwd, "wrangler.toml");
  return [join(dirname(fileURLToPath(import.meta.url)), "start-worker.ts"), JSON.stringify({ cwd, config, port, persistTo, vars })];
}

/** The project's own wrangler, run with this Node (no npx, no download). */
function wranglerBin(cwd: string): string {
  const manifest = createRequire(cwd + "/package.json").resolve("wrangler/package.json");
  return join(dirname(manifest), "bin", "wrangler.js");
}

async function waitUntilAnswering(url: string, status: number, exited: Promise<number | null>, timeoutMs: number): Promise<void> {
  let exitCode: number | null | undefined;
  void exited.then((code) => (exitCode = code));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exitCode !== undefined) throw new Error(`it exited with code ${exitCode}`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await response.body?.cancel();
      if (response.status === status) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${url} did not answer within ${Math.round(timeoutMs / 1000)} s`);
}

/** SIGTERM to the whole group (wrangler and workerd), SIGKILL if it lingers. */
async function stopProcessGroup(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // Already gone.
    }
  };
  signalGroup("SIGTERM");
  const timer = setTimeout(() => signalGroup("SIGKILL"), 5_000);
  await exited;
  clearTimeout(timer);
  // workerd may outlive wrangler for a moment; the group must be empty before the port is reused.
  signalGroup("SIGKILL");
}
