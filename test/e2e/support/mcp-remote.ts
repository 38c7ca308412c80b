import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { freePort, LOOPBACK } from "../../../dev/demo/ports.ts";
import { isolatedEnv, type ClientBinary } from "./client-binaries.ts";

/**
 * mcp-remote as a desktop client runs it: a child process spoken to in JSON-RPC lines on stdio,
 * with its home (and so its stored registrations and tokens) in a folder the test owns. Its browser
 * is `true`: it prints the authorization URL on stderr, where the test reads it and walks it itself.
 */
export interface McpRemoteBridge {
  /** Where mcp-remote receives the authorization code (its own loopback server). */
  callbackUrl: string;
  callbackPort: number;
  /** The authorization URL it printed; rejects if it exits first. */
  authorizationUrl(): Promise<string>;
  /** A request through the bridge; the JSON-RPC result, or throws with the error. */
  request<T = unknown>(method: string, params?: Record<string, unknown>): Promise<T>;
  notify(method: string, params?: Record<string, unknown>): void;
  /** Everything it wrote to stderr so far. */
  log(): string;
  close(): Promise<void>;
}

export interface McpRemoteOptions {
  client: ClientBinary;
  url: string;
  /** Its HOME; the same folder for a second bridge means the same stored tokens. */
  home: string;
  /**
   * Its callback port; a free one by default. A later bridge for the same server passes the earlier
   * one's, as mcp-remote's own default (derived from the server URL) would: its stored client
   * registration names that redirect URI, and another port means registering again.
   */
  callbackPort?: number;
  /** More arguments, e.g. ["--transport", "sse-only"] or ["--header", "Authorization: Bearer …"]. */
  args?: string[];
}

const AUTHORIZATION_URL = /Please authorize this client by visiting:\s*(?:\[\d+\]\s*)?(https?:\/\/\S+)/;

export async function startMcpRemote(options: McpRemoteOptions): Promise<McpRemoteBridge> {
  const port = options.callbackPort ?? (await freePort());
  const child = spawn(
    options.client.command,
    [...options.client.args, options.url, String(port), "--host", LOOPBACK, "--auth-timeout", "120", ...(options.args ?? [])],
    {
      stdio: ["pipe", "pipe", "pipe"],
      env: isolatedEnv({ HOME: options.home, MCP_REMOTE_CONFIG_DIR: configDir(options.home), BROWSER: "true" }),
    },
  );
  let stderr = "";
  let exited: string | undefined;
  const waiters = new Set<() => void>();
  const wake = () => waiters.forEach((waiter) => waiter());
  const pending = new Map<number, { resolve: (result: unknown) => void; reject: (error: Error) => void }>();
  let nextId = 1;

  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
    if (process.env.E2E_VERBOSE) process.stderr.write(`[mcp-remote] ${chunk}`);
    wake();
  });
  child.on("exit", (code, signal) => {
    exited = `mcp-remote exited (${signal ?? code}). Its log:\n${stderr.slice(-3000)}`;
    for (const { reject } of pending.values()) reject(new Error(exited));
    pending.clear();
    wake();
  });
  const send = (message: Record<string, unknown>) => child.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", ...message })}\n`);
  createInterface({ input: child.stdout }).on("line", (line) => {
    const message = JSON.parse(line) as { id?: number; method?: string; result?: unknown; error?: { code: number; message: string } };
    if (message.method !== undefined && message.id !== undefined) {
      // A request from the server through the bridge: only a ping is expected of a client without capabilities.
      send(
        message.method === "ping"
          ? { id: message.id, result: {} }
          : { id: message.id, error: { code: -32601, message: "Method not found" } },
      );
      return;
    }
    const waiting = message.id === undefined ? undefined : pending.get(message.id);
    if (!waiting) return;
    pending.delete(message.id!);
    if (message.error) waiting.reject(new Error(`${message.error.code}: ${message.error.message}`));
    else waiting.resolve(message.result);
  });

  return {
    callbackUrl: `http://${LOOPBACK}:${port}/oauth/callback`,
    callbackPort: port,
    authorizationUrl: () =>
      new Promise((resolve, reject) => {
        const check = () => {
          const url = AUTHORIZATION_URL.exec(stderr)?.[1];
          if (url || exited) {
            waiters.delete(check);
            if (url) resolve(url);
            else reject(new Error(`No authorization URL: ${exited}`));
          }
        };
        waiters.add(check);
        check();
      }),
    request: <T>(method: string, params?: Record<string, unknown>) =>
      new Promise<T>((resolve, reject) => {
        if (exited) return reject(new Error(exited));
        const id = nextId++;
        pending.set(id, { resolve: resolve as (result: unknown) => void, reject });
        send({ id, method, ...(params ? { params } : {}) });
      }),
    notify: (method, params) => send({ method, ...(params ? { params } : {}) }),
    log: () => stderr,
    close: async () => {
      if (exited) return;
      const gone = new Promise((resolve) => child.once("exit", resolve));
      // Closing stdin is how a desktop client ends it; the signal only if it does not go.
      child.stdin.end();
      const timer = setTimeout(() => child.kill("SIGTERM"), 5_000);
      await gone;
      clearTimeout(timer);
    },
  };
}

function configDir(home: string): string {
  return join(home, ".mcp-auth");
}

/** The access token mcp-remote stored under `home` (one server per home). */
export function storedAccessToken(home: string): string {
  const dir = configDir(home);
  const files = readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((file) => file.endsWith("_tokens.json"));
  if (files.length !== 1) throw new Error(`Expected one stored token file under ${dir}, found: ${files.join(", ") || "none"}`);
  return (JSON.parse(readFileSync(join(dir, files[0]!), "utf8")) as { access_token: string }).access_token;
}
