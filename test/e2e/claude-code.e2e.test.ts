import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { claudeCode, isolatedEnv, requireClient } from "./support/client-binaries.ts";
import { startE2eStack, type DemoStack } from "./support/stack.ts";

/**
 * Claude Code's own MCP client: `claude mcp add` as the README and the home page tell people to
 * run it, then `claude mcp list`, which connects to each server to report its health and whether it
 * needs a sign-in. No model and no Anthropic account are involved.
 */

const claude = claudeCode();
const run = promisify(execFile);

describe.runIf(requireClient(claude))("Claude Code: claude mcp add, then claude mcp list", () => {
  let stack: DemoStack;
  let home: string;

  beforeAll(async () => {
    stack = await startE2eStack();
    home = mkdtempSync(join(tmpdir(), "plausible-mcp-claude-code-"));
  });
  afterAll(async () => {
    await stack?.stop();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  async function claudeMcp(...args: string[]): Promise<string> {
    const { stdout } = await run(claude.command, [...claude.args, "mcp", ...args], {
      cwd: home,
      timeout: 60_000,
      env: isolatedEnv({
        HOME: home,
        DISABLE_AUTOUPDATER: "1",
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
        // Anything bound for Anthropic would go to a closed port and fail, never leave the machine;
        // the servers under test are on loopback, which skips the proxy.
        HTTPS_PROXY: "http://127.0.0.1:9",
        HTTP_PROXY: "http://127.0.0.1:9",
        NO_PROXY: "127.0.0.1,localhost",
      }),
    });
    return stdout;
  }

  it("adds /mcp and /sse with the key header, /internal and /connect without one", async () => {
    const bearer = `Authorization: Bearer ${stack.apiKey}`;
    const added = [
      await claudeMcp("add", "--scope", "user", "--transport", "http", "plausible-mcp", stack.urls.mcp, "--header", bearer),
      await claudeMcp("add", "--scope", "user", "--transport", "sse", "plausible-sse", stack.urls.sse, "--header", bearer),
      await claudeMcp("add", "--scope", "user", "--transport", "http", "plausible-internal", stack.urls.internal),
      await claudeMcp("add", "--scope", "user", "--transport", "http", "plausible-connect", stack.urls.connect),
    ];
    expect(added.map((output) => /^Added (\w+) MCP server (\S+) with URL: (\S+)/m.exec(output)?.slice(1))).toEqual([
      ["HTTP", "plausible-mcp", stack.urls.mcp],
      ["SSE", "plausible-sse", stack.urls.sse],
      ["HTTP", "plausible-internal", stack.urls.internal],
      ["HTTP", "plausible-connect", stack.urls.connect],
    ]);
  });

  it("lists the bearer endpoints as connected and the OAuth ones as needing authentication, none as failed", async () => {
    const listed = await claudeMcp("list");
    const health = Object.fromEntries(
      [...listed.matchAll(/^(\S+): (\S+) \((\w+)\) - (.+)$/gm)].map(([, name, url, transport, status]) => [
        name,
        { url, transport, status },
      ]),
    );
    expect(health, listed).toEqual({
      "plausible-mcp": { url: stack.urls.mcp, transport: "HTTP", status: "✔ Connected" },
      "plausible-sse": { url: stack.urls.sse, transport: "SSE", status: "✔ Connected" },
      "plausible-internal": { url: stack.urls.internal, transport: "HTTP", status: "! Needs authentication" },
      "plausible-connect": { url: stack.urls.connect, transport: "HTTP", status: "! Needs authentication" },
    });
  });
});
