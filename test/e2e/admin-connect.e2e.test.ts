import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_DEMO_USER } from "../../dev/oidc/issuer.ts";
import type { SimulatorStats } from "../../dev/plausible-simulator/server.ts";
import { chromiumAvailable, launchHeadlessChromium, type HeadlessBrowser } from "../../dev/clients/browser.ts";
import { callOk, connectWithOAuth } from "../../dev/clients/mcp-clients.ts";
import { RecordingOAuthProvider, startLoopbackRedirect, type LoopbackRedirect } from "../../dev/clients/oauth-client.ts";
import { startE2eStack, type DemoStack } from "./support/stack.ts";
import { TOOL_NAMES } from "../support/tool-names.ts";

/**
 * On the demo stack (the demo user is its administrator): /admin revokes and blocks a member, /connect connects
 * a client with a pasted Plausible key. Skipped without Chromium like internal-oauth.e2e.test.ts,
 * which also fails the run in CI when Chromium is missing.
 */

// A key only this file's /connect user holds, so the simulator's counters and the KV files can be searched for it.
const CONNECT_KEY = "connect-e2e-key-0123456789abcdef";
const MEMBER = { email: "member@example.com", name: "Member" };

describe.runIf(chromiumAvailable)("the team's admin page and the bring-your-own-key connector, in headless Chromium", () => {
  let stack: DemoStack;
  let browser: HeadlessBrowser;
  let loopback: LoopbackRedirect;

  beforeAll(async () => {
    stack = await startE2eStack({ keys: { [CONNECT_KEY]: "*" } });
    browser = await launchHeadlessChromium();
    loopback = await startLoopbackRedirect();
  });
  afterAll(async () => {
    await browser?.close();
    await loopback?.close();
    await stack?.stop();
  });

  async function newPage(): Promise<Page> {
    return (await browser.newContext()).newPage();
  }

  /** The client's OAuth flow up to the authorization URL, which the test opens in Chromium. */
  async function beginAuthorization(
    url: string,
    provider: RecordingOAuthProvider,
  ): Promise<{ authorizationUrl: URL; transport: StreamableHTTPClientTransport }> {
    const transport = new StreamableHTTPClientTransport(new URL(url), { authProvider: provider });
    await expect(new Client({ name: "plausible-mcp-e2e", version: "1.0.0" }).connect(transport)).rejects.toBeInstanceOf(UnauthorizedError);
    return { authorizationUrl: provider.authorizationUrls.at(-1)!, transport };
  }

  async function codeFromLoopback(): Promise<string> {
    const hit = loopback.hits.at(-1)!;
    expect(hit.error).toBeNull();
    return hit.code!;
  }

  async function simulatorStats(): Promise<SimulatorStats> {
    return (await fetch(`${stack.urls.simulator}/__sim/stats`)).json() as Promise<SimulatorStats>;
  }

  describe("/admin", () => {
    it("the admin sees a member of /internal, revokes and blocks them (next call 401, no new sign-in), unblocks, signs out", async () => {
      // The member signs in to /internal and uses a tool.
      stack.issuer.signInAs(MEMBER);
      const provider = new RecordingOAuthProvider(loopback.redirectUrl, "Member's client");
      try {
        const { authorizationUrl, transport } = await beginAuthorization(stack.urls.internal, provider);
        const consent = await newPage();
        await consent.goto(authorizationUrl.href);
        await Promise.all([
          consent.waitForURL((target) => target.href.startsWith(loopback.redirectUrl)),
          consent.getByRole("button", { name: "Approve" }).click(),
        ]);
        await transport.finishAuth(await codeFromLoopback());
      } finally {
        stack.issuer.signInAs(DEFAULT_DEMO_USER);
      }
      const member = await connectWithOAuth("SDK v1, Streamable HTTP", stack.urls.internal, provider);
      await callOk(member, "get_aggregate", { date_range: "7d" });

      // The demo user, an administrator, opens /admin: sent to sign in, then back on the members page.
      const page = await newPage();
      await page.goto(stack.urls.admin);
      await page.waitForURL(stack.urls.admin);
      const row = page.getByRole("row", { name: new RegExp(MEMBER.email) }).first();
      await expect(row.textContent()).resolves.toContain("Member's client");
      const [revoked] = await Promise.all([
        page.waitForResponse((response) => response.url() === `${stack.urls.admin}/revoke`),
        page.getByRole("button", { name: `Revoke and block ${MEMBER.email}` }).click(),
      ]);
      expect(revoked.status(), await revoked.text().catch(() => "")).toBe(303);
      await page.waitForURL(/\/admin\?notice=revoked/);
      expect(await page.textContent("body")).toContain("Revoked and blocked the member");

      const next = await fetch(stack.urls.internal, {
        method: "POST",
        headers: {
          Authorization: `Bearer ${provider.tokens()!.access_token}`,
          "Content-Type": "application/json",
          Accept: "application/json, text/event-stream",
        },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
      });
      expect(next.status).toBe(401);
      await member.close().catch(() => undefined);

      // The revocation is in the audit trail, with the administrator's email.
      const audit = await page.request.get(`${stack.urls.admin}/audit?member=${MEMBER.email}&format=jsonl`);
      const records = (await audit.text())
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line) as { email: string; tool: string });
      expect(records.at(-1)).toMatchObject({ email: DEFAULT_DEMO_USER.email, tool: "admin:revoke-and-block" });

      // Connecting again gets the member nowhere: the sign-in callback refuses them.
      stack.issuer.signInAs(MEMBER);
      try {
        const again = new RecordingOAuthProvider(loopback.redirectUrl, "Member's client, again");
        const { authorizationUrl } = await beginAuthorization(stack.urls.internal, again);
        const retry = await newPage();
        await retry.goto(authorizationUrl.href);
        const [callback] = await Promise.all([
          retry.waitForResponse((response) => response.url().startsWith(`${stack.urls.worker}/callback`)),
          retry.getByRole("button", { name: "Approve" }).click(),
        ]);
        expect(callback.status()).toBe(403);
        await retry.waitForLoadState();
        expect(await retry.textContent("body")).toContain("revoked your access");
      } finally {
        stack.issuer.signInAs(DEFAULT_DEMO_USER);
      }

      // The admin lifts the block, then signs out: the members page is gone until the next sign-in.
      await page.getByRole("button", { name: `Unblock ${MEMBER.email}` }).click();
      await page.waitForURL(/\/admin\?notice=unblocked/);
      await page.getByRole("button", { name: "Sign out" }).click();
      await page.waitForLoadState();
      expect(await page.textContent("body")).toContain("Your administrator session has ended");
    });

    it("a member who is not an administrator gets 403", async () => {
      stack.issuer.signInAs(MEMBER);
      try {
        const page = await newPage();
        const [callback] = await Promise.all([
          page.waitForResponse((response) => response.url().startsWith(`${stack.urls.admin}/callback`)),
          page.goto(stack.urls.admin),
        ]);
        expect(callback.status()).toBe(403);
        await page.waitForLoadState();
        expect(await page.textContent("body")).toContain("not an administrator");
      } finally {
        stack.issuer.signInAs(DEFAULT_DEMO_USER);
      }
    });
  });

  describe("/connect", () => {
    it(
      "refuses a wrong key on the page with Plausible's text, then connects the pasted key: tools run " +
        "on it, and no file of the local KV holds it",
      async () => {
        const provider = new RecordingOAuthProvider(loopback.redirectUrl, "Bring-your-own-key client");
        const { authorizationUrl, transport } = await beginAuthorization(stack.urls.connect, provider);
        expect(authorizationUrl.href.startsWith(`${stack.urls.connect}/authorize`)).toBe(true);

        const page = await newPage();
        await page.goto(authorizationUrl.href);
        await page.locator('input[name="plausible_api_key"]').fill("not-a-valid-key-000000");
        const [refused] = await Promise.all([
          page.waitForResponse((response) => response.request().method() === "POST"),
          page.getByRole("button", { name: "Connect" }).click(),
        ]);
        expect(refused.status()).toBe(400);
        await page.waitForLoadState();
        expect(await page.getByRole("alert").textContent()).toMatch(/Invalid API key\./);

        const hits = loopback.hits.length;
        await page.locator('input[name="plausible_api_key"]').fill(CONNECT_KEY);
        await Promise.all([
          page.waitForURL((target) => target.href.startsWith(loopback.redirectUrl)),
          page.getByRole("button", { name: "Connect" }).click(),
        ]);
        expect(loopback.hits).toHaveLength(hits + 1);
        await transport.finishAuth(await codeFromLoopback());

        const before = (await simulatorStats()).byKey[CONNECT_KEY] ?? 0;
        const client = await connectWithOAuth("SDK v1, Streamable HTTP", stack.urls.connect, provider);
        try {
          expect((await client.listTools()).tools.map((tool) => tool.name).sort()).toEqual(TOOL_NAMES);
          const answer = await callOk<{ metrics: Record<string, number> }>(client, "get_aggregate", {
            date_range: "7d",
            metrics: ["visitors"],
          });
          expect(answer.metrics.visitors).toBeGreaterThan(0);
        } finally {
          await client.close();
        }
        expect((await simulatorStats()).byKey[CONNECT_KEY]).toBeGreaterThan(before);

        // wrangler dev's KV (keys in SQLite, values in blob files): the grant is there, the key is not.
        const files = filesUnder(join(stack.persistTo, "v3", "kv"));
        const contents = files.map((file) => readFileSync(file));
        expect(contents.some((content) => content.includes("grant:key-"))).toBe(true);
        for (const [index, content] of contents.entries()) expect(content.includes(CONNECT_KEY), files[index]).toBe(false);
      },
    );
  });
});

function filesUnder(directory: string): string[] {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}
