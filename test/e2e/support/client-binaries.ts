import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { describe, it } from "vitest";

/**
 * The MCP clients people connect with, as the pinned devDependencies install them. A file that
 * drives one calls `requireClient`: without the client the file's tests are skipped locally, with
 * the reason, and fail in CI (`CI=true`), as the Chromium tests do.
 */

export interface ClientBinary {
  /** How to run it: a Node script is run with this Node, a native binary directly. */
  command: string;
  args: string[];
  /** Why it cannot run, or undefined when it can. */
  missing: string | undefined;
}

const require = createRequire(import.meta.url);

function binOf(packageName: string, binName: string): string | undefined {
  try {
    const manifestPath = require.resolve(`${packageName}/package.json`);
    const { bin } = JSON.parse(readFileSync(manifestPath, "utf8")) as { bin: Record<string, string> };
    const path = join(dirname(manifestPath), bin[binName]!);
    return existsSync(path) ? path : undefined;
  } catch {
    return undefined;
  }
}

const INSTALL = "Run `npm install` (it installs the pinned devDependencies).";

/** mcp-remote, the stdio bridge Claude Desktop, Cursor and Windsurf use for remote servers. */
export function mcpRemote(): ClientBinary {
  const script = binOf("mcp-remote", "mcp-remote");
  return {
    command: process.execPath,
    args: script ? [script] : [],
    missing: script ? undefined : `The mcp-remote tests need the mcp-remote package (a devDependency). ${INSTALL}`,
  };
}

/**
 * Claude Code's native binary. Its package puts the binary for this platform in place when it is
 * installed; without that step (e.g. `npm install --ignore-scripts`) only a stub is there, which does
 * not answer `--version`.
 */
export function claudeCode(): ClientBinary {
  const path = binOf("@anthropic-ai/claude-code", "claude");
  const version = path ? spawnSync(path, ["--version"], { encoding: "utf8", timeout: 30_000, env: isolatedEnv({}) }) : undefined;
  const runs = version?.status === 0 && /Claude Code/.test(version.stdout);
  return {
    command: path ?? "claude",
    args: [],
    missing: runs
      ? undefined
      : `The Claude Code tests need the claude binary of the @anthropic-ai/claude-code package (a devDependency), ` +
        `installed by its install script for this platform${
          version
            ? ` (\`claude --version\` answered: ${(version.stderr || version.stdout || String(version.error)).trim().slice(0, 200)})`
            : ""
        }. ${INSTALL}`,
  };
}

/**
 * A client's whole environment: PATH and the given variables, nothing else of the caller's (no
 * display to open a real browser on, no proxy, no credentials, no other home).
 */
export function isolatedEnv(vars: Record<string, string>): NodeJS.ProcessEnv {
  // NodeJS.ProcessEnv names the worker's settings (src/worker-configuration.d.ts); a client has none of them.
  return { PATH: process.env.PATH ?? "", ...vars } as unknown as NodeJS.ProcessEnv;
}

/** Whether the file's tests run; registers the CI failure, or warns that they are skipped. */
export function requireClient(client: ClientBinary): boolean {
  if (!client.missing) return true;
  if (process.env.CI === "true") {
    describe("client required in CI", () => {
      it("is installed", () => {
        throw new Error(client.missing);
      });
    });
  } else {
    console.warn(`Skipping: ${client.missing}`);
  }
  return false;
}
