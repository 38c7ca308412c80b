import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_DEMO_USER } from "../../dev/oidc/issuer.ts";
import { MISSING_CHROMIUM, chromiumAvailable, launchHeadlessChromium, type HeadlessBrowser } from "../../dev/clients/browser.ts";
import { callOk, connectWithKey, connectWithOAuth, type E2eClient } from "../../dev/clients/mcp-clients.ts";
import { RecordingOAuthProvider, startLoopbackRedirect, type LoopbackRedirect } from "../../dev/clients/oauth-client.ts";
import { simulatorRequests, startE2eStack, type DemoStack } from "./support/stack.ts";
import { TOOL_NAMES } from "../support/tool-names.ts";

const OUTPUT_DIR = resolve(import.meta.dirname, "../../test-results/e2e");
const requireBrowser = process.env.CI === "true";

if (!chromiumAvailable && !requireBrowser) {
  console.warn(`Skipping the /internal browser tests. ${MISSING_CHROMIUM}`);
}

describe.runIf(!chromiumAvailable && requireBrowser)("browser required in CI", () => {
  it("has Chromium", () => {
    throw new Error(MISSING_CHROMIUM);
  });
});

describe.runIf(chromiumAvailable)("/internal: OAuth sign-in in headless Chromium, then tools", () => {
  let stack: DemoStack;
  let browser: HeadlessBrowser;
  let loopback: LoopbackRedirect;
  let provider: RecordingOAuthProvider;

  beforeAll(async () => {
    stack = await startE2eStack();
    browser = await launchHeadlessChromium();
    loopback = await startLoopbackRedirect();
    provider = new RecordingOAuthProvider(loopback.redirectUrl, "E2E MCP client");
  });
  afterAll(async () => {
    await browser?.close();
    await loopback?.close();
    await stack?.stop();
  });

  /** Starts the client's OAuth flow: discovery from the 401, registration, and the authorization URL. */
  async function beginAuthorization(authProvider: RecordingOAuthProvider): Promise<{ url: URL; transport: StreamableHTTPClientTransport }> {
    const transport = new StreamableHTTPClientTransport(new URL(stack.urls.internal), { authProvider });
    await expect(new Client({ name: "plausible-mcp-e2e", version: "1.0.0" }).connect(transport)).rejects.toBeInstanceOf(UnauthorizedError);
    const url = authProvider.authorizationUrls.at(-1);
    expect(url?.origin).toBe(stack.urls.worker);
    return { url: url!, transport };
  }

  async function openConsentPage(url: URL): Promise<Page> {
    const page = await (await browser.newContext()).newPage();
    const response = await page.goto(url.href);
    expect(response?.status()).toBe(200);
    await page.getByRole("button", { name: "Approve" }).waitFor();
    return page;
  }

  it("a member approves the consent page, signs in at the issuer and the client gets tokens", async () => {
    const { url, transport } = await beginAuthorization(provider);
    expect(url.searchParams.get("code_challenge_method")).toBe("S256");

    const page = await openConsentPage(url);
    expect(await page.textContent("body")).toContain("E2E MCP client");
    mkdirSync(OUTPUT_DIR, { recursive: true });
    await page.screenshot({ path: resolve(OUTPUT_DIR, "consent.png"), fullPage: true });

    // Approve -> the issuer's /authorize -> the worker's /callback -> the client's loopback redirect.
    await Promise.all([
      page.waitForURL((target) => target.href.startsWith(loopback.redirectUrl)),
      page.getByRole("button", { name: "Approve" }).click(),
    ]);
    expect(loopback.hits).toHaveLength(1);
    const { code, error } = loopback.hits[0]!;
    expect(error).toBeNull();
    expect(code).toBeTruthy();

    await transport.finishAuth(code!);
    expect(provider.tokens()?.access_token).toBeTruthy();
    expect(provider.tokens()?.refresh_token).toBeTruthy();
  });

  it("the attack of issue 11 runs nothing: a member's SSE session id is useless on /sse, for posting and attaching", async () => {
    const stream = await fetch(stack.urls.internal, {
      headers: { Authorization: `Bearer ${provider.tokens()!.access_token}`, Accept: "text/event-stream" },
    });
    expect(stream.status).toBe(200);
    const reader = stream.body!.getReader();
    let text = "";
    while (!text.includes("event: endpoint")) text += new TextDecoder().decode((await reader.read()).value);
    const sessionId = new URL(/data: (\S+)/.exec(text.slice(text.indexOf("event: endpoint")))![1]!, stack.urls.worker).searchParams.get(
      "sessionId",
    );
    expect(sessionId).toBeTruthy();
    const before = await simulatorRequests(stack);

    const posted = await fetch(`${stack.urls.sse}/message?sessionId=${sessionId}`, {
      method: "POST",
      headers: { Authorization: "Bearer anything123", "Content-Type": "application/json" },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "tools/call",
        params: { name: "get_aggregate", arguments: { date_range: "7d" } },
      }),
    });
    expect(posted.status).toBe(404);
    const attached = await fetch(`${stack.urls.sse}?sessionId=${sessionId}`, {
      headers: { Authorization: "Bearer anything123", Accept: "text/event-stream" },
    });
    expect(attached.status).toBe(404);
    await attached.body?.cancel();
    expect(await simulatorRequests(stack)).toBe(before);
    await reader.cancel();
  });

  const REVISIONS = {
    "SDK v2, Streamable HTTP": "2026-07-28",
    "SDK v2, auto": "2026-07-28",
    "SDK v1, Streamable HTTP": "2025-11-25",
    "SDK v1, SSE": undefined,
  };
  describe.each(Object.keys(REVISIONS) as Array<keyof typeof REVISIONS>)("%s on /internal with the access token", (kind) => {
    let client: E2eClient;
    beforeAll(async () => {
      client = await connectWithOAuth(kind, stack.urls.internal, provider);
    });
    afterAll(async () => {
      await client?.close();
    });

    it("speaks the newest revision it can: 2026-07-28 for SDK v2 (pinned or auto), 2025-11-25 for SDK v1", () => {
      expect(client.protocolVersion).toBe(REVISIONS[kind]);
    });

    it("lists the tools", async () => {
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name).sort()).toEqual(TOOL_NAMES);
    });

    it("explains the week with the injected spike's day and source", async () => {
      const { spike } = stack.simulator.sites.find((site) => site.domain === "example.com")!.injected;
      const explained = await callOk<{
        days: Array<{ date: string; flagged: boolean }>;
        drivers: Array<{ dimension: string; values: Array<{ value: string }> }>;
      }>(client, "explain_change", { dimensions: ["visit:source"] });
      expect(explained.days.filter((day) => day.flagged).map((day) => day.date)).toEqual([spike.date]);
      expect(explained.drivers[0]!.values[0]!.value).toBe(spike.source);
    });

    it("queries with the server's shared key: the same numbers as the demo key on /mcp", async () => {
      const viaInternal = await callOk<{ metrics: Record<string, number> }>(client, "get_aggregate", {
        date_range: "7d",
        metrics: ["visitors"],
      });
      const bearer = await connectWithKey("SDK v1, Streamable HTTP", stack.urls.mcp, stack.apiKey);
      try {
        const viaMcp = await callOk<{ metrics: Record<string, number> }>(bearer, "get_aggregate", {
          date_range: "7d",
          metrics: ["visitors"],
        });
        expect(viaInternal.metrics.visitors).toBeGreaterThan(0);
        expect(viaInternal.metrics.visitors).toBe(viaMcp.metrics.visitors);
      } finally {
        await bearer.close();
      }
    });

    it("gets a prompt, completes a site and reads a site's goals on the shared key", async () => {
      const { messages } = await client.getPrompt({ name: "weekly_report", arguments: { site_id: "example.com" } });
      expect(messages[0]!.content.text).toContain('get_timeseries with site_id "example.com", date_range "7d"');
      const sites = await client.complete({
        ref: { type: "ref/resource", uri: "plausible://sites/{site_id}/goals" },
        argument: { name: "site_id", value: "blog" },
      });
      expect(sites.completion.values).toEqual(["blog.example.com"]);
      const goals = JSON.parse((await client.readResource({ uri: "plausible://sites/example.com/goals" })).contents[0]!.text!);
      expect(goals.goals.map((goal: { name: string }) => goal.name).sort()).toEqual(["Purchase", "Signup", "Visit /pricing"]);
    });
  });

  it("someone outside the allowed domains is refused with a 403 page and no code", async () => {
    stack.issuer.signInAs({ email: "mallory@outside.example.org", name: "Mallory" });
    try {
      const outsider = new RecordingOAuthProvider(loopback.redirectUrl, "E2E MCP client (outsider)");
      const { url } = await beginAuthorization(outsider);
      const page = await openConsentPage(url);
      const hitsBefore = loopback.hits.length;
      const [callback] = await Promise.all([
        page.waitForResponse((response) => response.url().startsWith(`${stack.urls.worker}/callback`)),
        page.getByRole("button", { name: "Approve" }).click(),
      ]);
      expect(callback.status()).toBe(403);
      await page.waitForLoadState();
      expect(await page.textContent("body")).toContain("not in an allowed domain");
      expect(loopback.hits).toHaveLength(hitsBefore);
      expect(outsider.tokens()).toBeUndefined();
    } finally {
      stack.issuer.signInAs(DEFAULT_DEMO_USER);
    }
  });

  describe("after wrangler dev restarts on the same persisted state", () => {
    const question = { date_range: "60d", metrics: ["visitors", "visits"] };
    let answerBefore: unknown;

    beforeAll(async () => {
      // Warm the caches of the member (/internal) and of the demo key (/mcp) before the restart.
      const member = await connectWithOAuth("SDK v1, Streamable HTTP", stack.urls.internal, provider);
      const bearer = await connectWithKey("SDK v1, Streamable HTTP", stack.urls.mcp, stack.apiKey);
      answerBefore = await callOk(member, "get_aggregate", question);
      await callOk(bearer, "get_breakdown", { dimension: "visit:browser", date_range: "60d" });
      await member.close();
      await bearer.close();
      await stack.restartWorker();
    });

    it("the OAuth grant still works: the same access token lists and calls tools, with no new sign-in", async () => {
      const signIns = provider.authorizationUrls.length;
      const member = await connectWithOAuth("SDK v1, Streamable HTTP", stack.urls.internal, provider);
      try {
        expect((await member.listTools()).tools).toHaveLength(TOOL_NAMES.length);
        const before = await simulatorRequests(stack);
        // The member's cache survived too: the repeated question never reaches Plausible.
        expect(await callOk(member, "get_aggregate", question)).toEqual(answerBefore);
        expect(await simulatorRequests(stack)).toBe(before);
      } finally {
        await member.close();
      }
      expect(provider.authorizationUrls).toHaveLength(signIns);
    });

    it("the demo key's cache still answers on /mcp", async () => {
      const bearer = await connectWithKey("SDK v1, Streamable HTTP", stack.urls.mcp, stack.apiKey);
      try {
        const before = await simulatorRequests(stack);
        await callOk(bearer, "get_breakdown", { dimension: "visit:browser", date_range: "60d" });
        expect(await simulatorRequests(stack)).toBe(before);
      } finally {
        await bearer.close();
      }
    });
  });
});
