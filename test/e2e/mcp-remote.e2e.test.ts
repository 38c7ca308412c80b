import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { DEMO_SITE_ID } from "../../dev/demo/stack.ts";
import { mcpRemote, requireClient } from "./support/client-binaries.ts";
import { walkAuthorization, type FormChoice } from "./support/form-browser.ts";
import { startMcpRemote, storedAccessToken, type McpRemoteBridge } from "./support/mcp-remote.ts";
import { startE2eStack, type DemoStack } from "./support/stack.ts";
import { TOOL_NAMES } from "../support/tool-names.ts";

/**
 * mcp-remote, the stdio bridge Claude Desktop, Cursor and Windsurf reach remote servers through,
 * runs its whole OAuth flow itself: discovery from the 401, registration, PKCE, the browser, its own
 * loopback callback, token storage and refresh. Here its "browser" is the test walking the URL it
 * prints; everything else is mcp-remote's own.
 */

const client = mcpRemote();
// A key only this file's /connect sign-in uses, so the simulator's counters show which key answered.
const CONNECT_KEY = "mcp-remote-connect-key-0123456789";
// mcp-remote renews a token in its last minute; a lifetime a little over that keeps the first token
// in use for the first bridges, and lets it expire while this file runs.
const ACCESS_TOKEN_TTL_SECONDS = 75;
const APPROVE: FormChoice = { button: "Approve" };

describe.runIf(requireClient(client))("mcp-remote through each endpoint", () => {
  let stack: DemoStack;
  let visitors: number;
  const homes: string[] = [];
  const bridges: McpRemoteBridge[] = [];

  beforeAll(async () => {
    stack = await startE2eStack({ keys: { [CONNECT_KEY]: "*" } }, { ACCESS_TOKEN_TTL_SECONDS: String(ACCESS_TOKEN_TTL_SECONDS) });
    // What every endpoint must answer through the bridge: the simulator's own count for the week, asked directly.
    const response = await fetch(`${stack.urls.simulator}/api/v2/query`, {
      method: "POST",
      headers: { Authorization: `Bearer ${stack.apiKey}`, "Content-Type": "application/json" },
      body: JSON.stringify({ site_id: DEMO_SITE_ID, metrics: ["visitors"], date_range: "7d" }),
    });
    visitors = ((await response.json()) as { results: Array<{ metrics: number[] }> }).results[0]!.metrics[0]!;
  });
  afterEach(async () => {
    for (const bridge of bridges.splice(0)) await bridge.close();
  });
  afterAll(async () => {
    await stack?.stop();
    for (const home of homes) rmSync(home, { recursive: true, force: true });
  });

  function newHome(): string {
    const home = mkdtempSync(join(tmpdir(), "plausible-mcp-mcp-remote-"));
    homes.push(home);
    return home;
  }

  async function startBridge(url: string, home: string, args: string[] = [], callbackPort?: number): Promise<McpRemoteBridge> {
    const bridge = await startMcpRemote({ client, url, home, args, callbackPort });
    bridges.push(bridge);
    return bridge;
  }

  /** Walks the authorization URL mcp-remote printed, up to its loopback callback, which then has the code. */
  async function signIn(bridge: McpRemoteBridge, choice: FormChoice): Promise<string[]> {
    const authorizationUrl = await bridge.authorizationUrl();
    expect(new URL(authorizationUrl).origin).toBe(stack.urls.worker);
    const walked = await walkAuthorization(authorizationUrl, bridge.callbackUrl, choice);
    expect(walked.status, walked.body).toBe(200);
    expect(walked.body).toContain("Authorization successful");
    return walked.visited;
  }

  /** initialize, tools/list and a tools/call through the bridge's stdio, as a desktop client sends them. */
  async function useTools(bridge: McpRemoteBridge): Promise<void> {
    const initialized = await bridge.request<{ serverInfo: { name: string } }>("initialize", {
      protocolVersion: "2025-06-18",
      capabilities: {},
      clientInfo: { name: "plausible-mcp-e2e", version: "1.0.0" },
    });
    expect(initialized.serverInfo.name).toBe("plausible-mcp");
    bridge.notify("notifications/initialized");
    const { tools } = await bridge.request<{ tools: Array<{ name: string }> }>("tools/list");
    expect(tools.map((tool) => tool.name).sort()).toEqual(TOOL_NAMES);
    const result = await bridge.request<{ isError?: boolean; content: unknown; structuredContent: { metrics: { visitors: number } } }>(
      "tools/call",
      { name: "get_aggregate", arguments: { date_range: "7d", metrics: ["visitors"] } },
    );
    expect(result.isError, JSON.stringify(result.content)).toBeFalsy();
    expect(result.structuredContent.metrics.visitors).toBe(visitors);
  }

  /** Fails as soon as mcp-remote asks for a browser, rather than waiting for a sign-in nobody makes. */
  async function withoutBrowser(bridge: McpRemoteBridge, work: Promise<void>): Promise<void> {
    const browser = bridge.authorizationUrl().then((url) => {
      throw new Error(`mcp-remote asked for a browser sign-in at ${url}. Its log:\n${bridge.log().slice(-2000)}`);
    });
    browser.catch(() => undefined);
    await Promise.race([work, browser]);
  }

  let internal: { home: string; callbackPort: number };

  it("/internal over Streamable HTTP: consent page, sign-in at the issuer, mcp-remote's callback, then tools", async () => {
    const home = newHome();
    const bridge = await startBridge(stack.urls.internal, home);
    internal = { home, callbackPort: bridge.callbackPort };
    const visited = await signIn(bridge, APPROVE);
    expect(visited.some((url) => url.startsWith(stack.urls.issuer))).toBe(true);
    await useTools(bridge);
    expect(bridge.log()).toContain("Connected to remote server using StreamableHTTPClientTransport");
  });

  it("/internal over HTTP+SSE (--transport sse-only): the same sign-in, then tools", async () => {
    const bridge = await startBridge(stack.urls.internal, newHome(), ["--transport", "sse-only"]);
    await signIn(bridge, APPROVE);
    await useTools(bridge);
    expect(bridge.log()).toContain("Connected to remote server using SSEClientTransport");
  });

  it("/connect: the pasted key on the key page, then tools that query Plausible with that key", async () => {
    const bridge = await startBridge(stack.urls.connect, newHome());
    // /connect's own authorization server, found through /connect's protected-resource metadata.
    expect(new URL(await bridge.authorizationUrl()).pathname).toBe("/connect/authorize");
    await signIn(bridge, { button: "Connect", fields: { plausible_api_key: CONNECT_KEY } });
    const before = stack.simulator.stats.byKey[CONNECT_KEY] ?? 0;
    await useTools(bridge);
    expect(stack.simulator.stats.byKey[CONNECT_KEY]).toBeGreaterThan(before);
  });

  it("/mcp with --header: the key as bearer, no sign-in", async () => {
    const bridge = await startBridge(stack.urls.mcp, newHome(), ["--header", `Authorization: Bearer ${stack.apiKey}`]);
    await withoutBrowser(bridge, useTools(bridge));
  });

  it(
    "refresh: after the access token expired, a second bridge on the same home connects without a browser",
    async () => {
      const expired = storedAccessToken(internal.home);
      await untilRefused(expired);
      const bridge = await startBridge(stack.urls.internal, internal.home, [], internal.callbackPort);
      await withoutBrowser(bridge, useTools(bridge));
      expect(storedAccessToken(internal.home)).not.toBe(expired);
    },
    (ACCESS_TOKEN_TTL_SECONDS + 60) * 1000,
  );

  /** Waits until /internal answers 401 to the token: it expired on the server, not only in mcp-remote's view. */
  async function untilRefused(accessToken: string): Promise<void> {
    for (;;) {
      const response = await fetch(stack.urls.internal, {
        method: "POST",
        headers: {
          Authorization: `Bearer ${accessToken}`,
          "Content-Type": "application/json",
          Accept: "application/json, text/event-stream",
        },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
      });
      await response.body?.cancel();
      if (response.status === 401) return;
      await sleep(2_000);
    }
  }
});
