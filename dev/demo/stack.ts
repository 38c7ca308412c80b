// The whole system offline: the Plausible simulator, a local OpenID Connect issuer and the
// worker under `wrangler dev`, wired together. Used by `npm run demo`, the end-to-end tests
// and benchmarks.

import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { startSimulator, type SimulatorHandle, type SimulatorOptions } from "../plausible-simulator/server.ts";
import { DEFAULT_DEMO_USER, startLocalIssuer, type DemoUser, type LocalIssuer } from "../oidc/issuer.ts";
import { claimPort, freePort, isPortCollision } from "./ports.ts";
import { startWebhookSink, type SinkDelivery, type WebhookSink } from "./webhook-sink.ts";
import { startWranglerDev, type WranglerDev } from "./wrangler-dev.ts";

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const DEMO_API_KEY = "demo-key";
export const DEMO_SITE_ID = "example.com";
export const DEMO_ALLOWED_EMAIL_DOMAINS = "example.com";
export const DEFAULT_PORTS = { worker: 8787, simulator: 8788, issuer: 8789, sink: 8790 } as const;

export interface DemoStackOptions {
  /** Fixed ports (refused with a clear message when taken) or 0 for free ones; default 0. */
  ports?: Partial<Record<keyof typeof DEFAULT_PORTS, number>>;
  /** wrangler dev's local storage; keep it to keep grants and caches across restarts. */
  persistTo?: string;
  /** Who signs in at the local issuer; default demo@example.com. */
  user?: DemoUser;
  allowedEmailDomains?: string;
  simulator?: Omit<SimulatorOptions, "port" | "host">;
  /** Extra or overriding worker variables (e.g. RATE_LIMIT_BURST). */
  vars?: Record<string, string>;
  /** wrangler's local traces of the worker (default on, as `wrangler dev` has them); the bench turns them off. */
  localTraces?: boolean;
  /** wrangler's and the worker's output, line by line. */
  onWorkerOutput?: (line: string) => void;
  /** Every webhook delivery the local sink receives (digests and alerts). */
  onSinkDelivery?: (delivery: SinkDelivery) => void;
}

export interface DemoStackUrls {
  worker: string;
  /** Streamable HTTP with `Authorization: Bearer <Plausible key>`. */
  mcp: string;
  /** Legacy SSE with the same bearer key. */
  sse: string;
  /** The OAuth connector endpoint (sign-in at the local issuer). */
  internal: string;
  /** The bring-your-own-key OAuth connector (paste a Plausible key on its authorization page). */
  connect: string;
  /** The administrators' page (the demo user is one). */
  admin: string;
  simulator: string;
  issuer: string;
  /** The local webhook sink that digests and alerts can be sent to (http: allowed by DIGEST_ALLOW_INSECURE_WEBHOOKS). */
  sink: string;
}

export interface DemoStack {
  urls: DemoStackUrls;
  apiKey: string;
  /** wrangler dev's persisted state (KV, Durable Objects). */
  persistTo: string;
  simulator: SimulatorHandle;
  issuer: LocalIssuer;
  sink: WebhookSink;
  /** wrangler's inspector for the worker that runs now (a restart gets a new one). */
  inspectorPort(): number;
  /** Runs the Cron Trigger now (wrangler dev's /__scheduled) with this cron; resolves when it is done. */
  runScheduled(cron: string): Promise<void>;
  /** Stops wrangler dev and starts it again on the same port and persisted state. */
  restartWorker(): Promise<void>;
  stop(): Promise<void>;
}

export async function startDemoStack(options: DemoStackOptions = {}): Promise<DemoStack> {
  const ports = options.ports ?? {};
  // Check every fixed port before starting anything, so a clash leaves nothing running.
  const fixedWorkerPort = await claimPort(ports.worker ?? 0, "worker", "--port");
  const simulatorPort = await claimPort(ports.simulator ?? 0, "Plausible simulator", "--simulator-port");
  const issuerPort = await claimPort(ports.issuer ?? 0, "OpenID Connect issuer", "--issuer-port");
  const sinkPort = await claimPort(ports.sink ?? 0, "webhook sink", "--sink-port");
  const persistTo = resolve(REPO_ROOT, options.persistTo ?? ".wrangler/demo-state");

  const running: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const stop of running.splice(0).reverse()) await stop().catch(() => undefined);
  };
  try {
    const simulator = await startSimulator({ ...options.simulator, port: simulatorPort, host: "127.0.0.1" });
    running.push(() => simulator.close());
    const issuer = await startLocalIssuer({ port: issuerPort, user: options.user ?? DEFAULT_DEMO_USER });
    running.push(() => issuer.close());
    const sink = await startWebhookSink({ port: sinkPort, onDelivery: options.onSinkDelivery });
    running.push(() => sink.close());

    const vars: Record<string, string> = {
      PLAUSIBLE_BASE_URL: simulator.url,
      PLAUSIBLE_DEFAULT_SITE_ID: DEMO_SITE_ID,
      OIDC_ISSUER: issuer.url,
      ALLOWED_EMAIL_DOMAINS: options.allowedEmailDomains ?? DEMO_ALLOWED_EMAIL_DOMAINS,
      // The mock issuer accepts any client; the worker only needs both to be set.
      OIDC_CLIENT_ID: "plausible-mcp-demo",
      OIDC_CLIENT_SECRET: "demo-oidc-client-secret",
      // The server's own random secrets: consent and subject cookies, and /admin sessions (32+ characters each).
      COOKIE_SECRET: "demo-cookie-secret-0123456789abcdefghij",
      ADMIN_SESSION_SECRET: "demo-admin-session-secret-0123456789abcdef",
      // The shared server-side key /internal queries with.
      PLAUSIBLE_API_KEY: DEMO_API_KEY,
      // The demo user administers the demo: /admin lists, audits and revokes members.
      ADMIN_EMAILS: (options.user ?? DEFAULT_DEMO_USER).email,
      // Local only: digests may go to the http sink on 127.0.0.1. Never set on a deployment.
      DIGEST_ALLOW_INSECURE_WEBHOOKS: "true",
      ...options.vars,
    };
    let inspectorPort = 0;
    const startWorker = async (port: number) => {
      inspectorPort = await freePort();
      return startWranglerDev({
        cwd: REPO_ROOT,
        port,
        inspectorPort,
        persistTo,
        testScheduled: true,
        localTraces: options.localTraces,
        vars: { PUBLIC_URL: `http://127.0.0.1:${port}`, ...vars },
        onOutput: options.onWorkerOutput,
      });
    };
    // wrangler dev is a child process, so its port is chosen here; a free port can be taken by
    // something else before wrangler binds it, and then another one is tried.
    const startOnSomePort = async (): Promise<{ wrangler: WranglerDev; port: number }> => {
      for (let attempt = 1; ; attempt += 1) {
        const port = fixedWorkerPort || (await freePort());
        try {
          return { wrangler: await startWorker(port), port };
        } catch (error) {
          if (fixedWorkerPort !== 0 || attempt >= 3 || !isPortCollision(error)) throw error;
        }
      }
    };
    const started = await startOnSomePort();
    let wrangler = started.wrangler;
    const workerPort = started.port;
    running.push(() => wrangler.stop());
    const worker = `http://127.0.0.1:${workerPort}`;

    return {
      urls: {
        worker,
        mcp: `${worker}/mcp`,
        sse: `${worker}/sse`,
        internal: `${worker}/internal`,
        connect: `${worker}/connect`,
        admin: `${worker}/admin`,
        simulator: simulator.url,
        issuer: issuer.url,
        sink: sink.url,
      },
      apiKey: DEMO_API_KEY,
      persistTo,
      simulator,
      issuer,
      sink,
      inspectorPort: () => inspectorPort,
      async runScheduled(cron) {
        const response = await fetch(`${worker}/__scheduled?${new URLSearchParams({ cron })}`);
        await response.body?.cancel();
        if (!response.ok) throw new Error(`wrangler dev's /__scheduled answered ${response.status}`);
      },
      async restartWorker() {
        await wrangler.stop();
        wrangler = await startWorker(workerPort);
      },
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
