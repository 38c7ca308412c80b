import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { build } from "esbuild";
import type { Frame, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MISSING_CHROMIUM, chromiumAvailable, launchHeadlessChromium, type HeadlessBrowser } from "../../dev/clients/browser.ts";
import { connectWithKey, type E2eClient, type ToolResult } from "../../dev/clients/mcp-clients.ts";
import { startE2eStack, type DemoStack } from "./support/stack.ts";

const OUTPUT_DIR = resolve(import.meta.dirname, "../../test-results/e2e");
const ROOT = resolve(import.meta.dirname, "../..");
const CHART_URI = "ui://plausible/chart.html";
const requireBrowser = process.env.CI === "true";
// The policy MCP Apps hosts apply when a resource's _meta.ui.csp allows no domains.
const HOST_CSP =
  "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; " +
  "img-src 'self' data:; media-src 'self' data:; connect-src 'none'";

// The functions given to page.evaluate run in the browser; the project compiles without the DOM library.
declare const document: any;
declare function getComputedStyle(element: unknown): { backgroundColor: string };

if (!chromiumAvailable && !requireBrowser) {
  console.warn(`Skipping the chart app's browser tests. ${MISSING_CHROMIUM}`);
}

/** ext-apps' host side (AppBridge over postMessage) as one browser script, exposed as `McpHost`. */
async function hostBridgeScript(): Promise<string> {
  const bundled = await build({
    stdin: { contents: 'export { AppBridge, PostMessageTransport } from "@modelcontextprotocol/ext-apps/app-bridge";', resolveDir: ROOT },
    bundle: true,
    format: "iife",
    globalName: "McpHost",
    platform: "browser",
    write: false,
    logLevel: "silent",
  });
  return bundled.outputFiles[0]!.text;
}

let stack: DemoStack;
let client: E2eClient;
beforeAll(async () => {
  stack = await startE2eStack();
  client = await connectWithKey("SDK v1, Streamable HTTP", stack.urls.mcp, stack.apiKey);
});
afterAll(async () => {
  await client?.close();
  await stack?.stop();
});

describe.each(["SDK v1, Streamable HTTP", "SDK v1, SSE", "SDK v2, Streamable HTTP"] as const)(
  "prompts, completions and resources for %s, with the simulator's data",
  (kind) => {
    let real: E2eClient;
    beforeAll(async () => {
      real = await connectWithKey(kind, kind === "SDK v1, SSE" ? stack.urls.sse : stack.urls.mcp, stack.apiKey);
    });
    afterAll(async () => {
      await real?.close();
    });

    it("prompts/get returns the steps through the tools for the given site", async () => {
      const { messages } = await real.getPrompt({
        name: "conversion_review",
        arguments: { site_id: "shop.example.com", goal: "Purchase" },
      });
      expect(messages).toHaveLength(1);
      expect(messages[0]!.content.text).toContain('get_conversions with site_id "shop.example.com", goal "Purchase", date_range "28d"');
    });

    it("completion/complete suggests the sites, goals and pages the key can read", async () => {
      const sites = await real.complete({ ref: { type: "ref/prompt", name: "weekly_report" }, argument: { name: "site_id", value: "" } });
      expect(sites.completion.values).toEqual(["example.com", "shop.example.com", "blog.example.com"]);
      const goals = await real.complete({
        ref: { type: "ref/prompt", name: "conversion_review" },
        argument: { name: "goal", value: "sign" },
        context: { arguments: { site_id: "blog.example.com" } },
      });
      expect(goals.completion.values).toEqual(["Newsletter Signup"]);
      const pages = await real.complete({
        ref: { type: "ref/prompt", name: "launch_review" },
        argument: { name: "page", value: "/pri" },
        context: { arguments: { site_id: "example.com" } },
      });
      expect(pages.completion.values).toEqual(["/pricing"]);
    });

    it("resources/read answers the sites, a site's goals and the query-language reference", async () => {
      const sites = JSON.parse((await real.readResource({ uri: "plausible://sites" })).contents[0]!.text!);
      expect(sites.sites.map((site: { domain: string }) => site.domain)).toEqual(["example.com", "shop.example.com", "blog.example.com"]);
      const goals = JSON.parse((await real.readResource({ uri: "plausible://sites/blog.example.com/goals" })).contents[0]!.text!);
      expect(goals.goals).toContainEqual(
        expect.objectContaining({ name: "Scroll 75% on /posts/privacy-first-analytics", goal_type: "scroll", scroll_threshold: 75 }),
      );
      const reference = (await real.readResource({ uri: "plausible://reference/query-language" })).contents[0]!.text!;
      expect(reference).toContain("## Date ranges");
    });
  },
);

describe.runIf(!chromiumAvailable && requireBrowser)("browser required in CI", () => {
  it("has Chromium", () => {
    throw new Error(MISSING_CHROMIUM);
  });
});

describe.runIf(chromiumAvailable)("the chart app in Chromium, as an MCP Apps host shows it", () => {
  let browser: HeadlessBrowser;
  let chartHtml: string;
  let bridgeScript: string;

  beforeAll(async () => {
    mkdirSync(OUTPUT_DIR, { recursive: true });
    [browser, bridgeScript] = await Promise.all([launchHeadlessChromium(), hostBridgeScript()]);
    const { contents } = await client.readResource({ uri: CHART_URI });
    expect(contents[0]!.mimeType).toBe("text/html;profile=mcp-app");
    chartHtml = contents[0]!.text!;
  });
  afterAll(async () => {
    await browser?.close();
  });

  /**
   * A page playing the host: the chart resource in a sandboxed frame under the hosts' CSP,
   * AppBridge connected to it, the tool's result sent once the view has initialized.
   */
  async function showInHost(
    tool: string,
    result: ToolResult,
    theme: "light" | "dark",
  ): Promise<{ page: Page; frame: Frame; problems: string[] }> {
    const page = await (await browser.newContext()).newPage();
    await page.setViewportSize({ width: 760, height: 560 });
    const problems: string[] = [];
    page.on("console", (message) => {
      if (message.type() === "error") problems.push(message.text());
    });
    page.on("pageerror", (error) => problems.push(error.message));
    await page.setContent(`<!doctype html><html><body style="margin:0"><script>${bridgeScript}</script></body></html>`);
    const html = chartHtml.replace("<head>", `<head><meta http-equiv="Content-Security-Policy" content="${HOST_CSP}">`);
    await page.evaluate(
      async ({ html, tool, result, theme }) => {
        const { AppBridge, PostMessageTransport } = (globalThis as unknown as { McpHost: Record<string, any> }).McpHost;
        const frame = document.createElement("iframe");
        frame.setAttribute("sandbox", "allow-scripts");
        frame.style.cssText = "width:720px;height:500px;border:0;display:block";
        document.body.append(frame);
        const bridge = new AppBridge(
          null,
          { name: "chart-test-host", version: "1.0.0" },
          {},
          { hostContext: { theme, toolInfo: { tool: { name: tool, inputSchema: { type: "object" } } } } },
        );
        // As hosts do, the frame takes the height the view reports.
        bridge.onsizechange = ({ height }: { height?: number }) => {
          if (height === undefined) return;
          frame.style.height = `${height}px`;
          (globalThis as unknown as { reportedHeight: number }).reportedHeight = height;
        };
        const initialized = new Promise<void>((done) => {
          bridge.oninitialized = () => done();
        });
        (globalThis as unknown as { bridge: unknown }).bridge = bridge;
        await bridge.connect(new PostMessageTransport(frame.contentWindow!, frame.contentWindow!));
        frame.srcdoc = html;
        await initialized;
        await bridge.sendToolResult(result);
      },
      { html, tool, result, theme },
    );
    const frame = page.frames().find((candidate) => candidate !== page.mainFrame())!;
    await frame.waitForSelector("#chart svg");
    return { page, frame, problems };
  }

  async function call(name: string, args: Record<string, unknown>): Promise<ToolResult & { structuredContent: any }> {
    const result = await client.callTool({ name, arguments: args });
    expect(result.isError, JSON.stringify(result.content)).toBeFalsy();
    return result as ToolResult & { structuredContent: any };
  }

  it("draws one point per day of a real get_timeseries result, in the light and the dark theme", async () => {
    const result = await call("get_timeseries", {
      site_id: "example.com",
      date_range: "28d",
      interval: "day",
      metrics: ["visitors", "pageviews"],
    });
    const days = result.structuredContent.rows.map((row: { time: string }) => row.time);
    expect(days).toHaveLength(28);

    for (const theme of ["light", "dark"] as const) {
      const { page, frame, problems } = await showInHost("get_timeseries", result, theme);
      const points = await frame.$$eval('#chart g.points[data-series="visitors"] circle.point', (circles) =>
        circles.map((circle) => circle.getAttribute("data-label")),
      );
      expect(points).toEqual(days);
      expect(await frame.$$eval('#chart g.points[data-series="pageviews"] circle.point', (circles) => circles.length)).toBe(28);
      expect(await frame.textContent("#chart h1")).toBe("example.com: visitors, pageviews per day");
      // Axis titles, and the numbers again as a table for screen readers.
      expect(await frame.$$eval("#chart svg text.axis-title", (texts) => texts.map((text) => text.textContent))).toEqual(["day", "count"]);
      expect(await frame.$$eval("#chart table.visually-hidden tbody tr", (rows) => rows.length)).toBe(28);
      const look = await frame.evaluate(() => ({
        theme: document.documentElement.getAttribute("data-theme"),
        background: getComputedStyle(document.body).backgroundColor,
      }));
      const reported = await page.waitForFunction(() => (globalThis as unknown as { reportedHeight?: number }).reportedHeight);
      expect(look.theme).toBe(theme);
      expect(look.background).toBe(theme === "dark" ? "rgb(17, 24, 39)" : "rgb(255, 255, 255)");
      expect(await reported.jsonValue()).toBeGreaterThan(200);
      expect(await reported.jsonValue()).toBeLessThanOrEqual(500);
      expect(problems).toEqual([]);
      await page.locator("iframe").screenshot({ path: resolve(OUTPUT_DIR, `chart-timeseries-${theme}.png`) });
      await page.context().close();
    }
  });

  it("follows the host's theme when it changes", async () => {
    const result = await call("get_timeseries", { site_id: "shop.example.com", date_range: "7d", interval: "day", metrics: ["visitors"] });
    const { page, frame } = await showInHost("get_timeseries", result, "light");
    await page.evaluate(() =>
      (globalThis as unknown as { bridge: { setHostContext(context: object): void } }).bridge.setHostContext({ theme: "dark" }),
    );
    await frame.waitForFunction(() => document.documentElement.getAttribute("data-theme") === "dark");
    expect(await frame.$$eval("#chart circle.point", (circles) => circles.length)).toBe(7);
    await page.context().close();
  });

  it("draws a bar per row of a real get_breakdown result", async () => {
    const result = await call("get_breakdown", { site_id: "example.com", dimension: "event:page", date_range: "30d", limit: 8 });
    const pages = result.structuredContent.rows.map((row: { value: string }) => row.value);
    expect(pages.length).toBeGreaterThan(1);
    for (const theme of ["light", "dark"] as const) {
      const { page, frame, problems } = await showInHost("get_breakdown", result, theme);
      const bars = await frame.$$eval("#chart rect.bar", (rects) =>
        rects.map((rect) => [rect.getAttribute("data-label"), Number(rect.getAttribute("data-value"))]),
      );
      expect(bars).toEqual(
        result.structuredContent.rows.map((row: { value: string; metrics: { visitors: number } }) => [row.value, row.metrics.visitors]),
      );
      expect(await frame.textContent("#chart h1")).toBe("example.com: visitors by event:page");
      expect(problems).toEqual([]);
      await page.locator("iframe").screenshot({ path: resolve(OUTPUT_DIR, `chart-breakdown-${theme}.png`) });
      await page.context().close();
    }
  });

  it(
    "draws the analysis tools: a bar per funnel step, before/after bars per impact metric, actual " +
      "and expected days with the unusual ones shaded",
    async () => {
      const funnel = await call("get_funnel", { site_id: "example.com", steps: ["/", "/pricing", "Signup"], date_range: "28d" });
      const shownFunnel = await showInHost("get_funnel", funnel, "light");
      expect(await shownFunnel.frame.$$eval("#chart rect.bar", (rects) => rects.map((rect) => rect.getAttribute("data-label")))).toEqual([
        "/",
        "/pricing",
        "Signup",
      ]);
      await shownFunnel.page.context().close();

      const impact = await call("measure_impact", {
        site_id: "example.com",
        event: "2026-11-16",
        window_days: 7,
        metrics: ["visitors", "pageviews"],
      });
      const shownImpact = await showInHost("measure_impact", impact, "light");
      expect(await shownImpact.frame.$$eval("#chart rect.bar", (rects) => rects.length)).toBe(4);
      await shownImpact.page.context().close();

      const explained = await call("explain_change", { site_id: "example.com", period: "14d" });
      const days = explained.structuredContent.days as { date: string; flagged: boolean }[];
      const shown = await showInHost("explain_change", explained, "dark");
      expect(await shown.frame.$$eval('#chart g.points[data-series="actual"] circle.point', (circles) => circles.length)).toBe(days.length);
      expect(await shown.frame.$$eval('#chart g.points[data-series="expected"] circle.point', (circles) => circles.length)).toBe(
        days.length,
      );
      expect(await shown.frame.$$eval("#chart rect.flag", (rects) => rects.map((rect) => rect.getAttribute("data-flagged")))).toEqual(
        days.filter((day) => day.flagged).map((day) => day.date),
      );
      expect(shown.problems).toEqual([]);
      await shown.page.locator("iframe").screenshot({ path: resolve(OUTPUT_DIR, "chart-explain-change-dark.png") });
      await shown.page.context().close();
    },
  );

  it("draws page paths and names as text, never as markup", async () => {
    // Page paths, goal names and property values are whatever visitors and site owners sent.
    const hostile = '<img src=x onerror="document.title=`pwned`">';
    const result = {
      content: [{ type: "text", text: "(table)" }],
      structuredContent: {
        site_id: "example.com",
        date_range: "7d",
        dimension: "event:page",
        filters: [],
        rows: [
          { value: hostile, metrics: { visitors: 3 } },
          { value: "/ok", metrics: { visitors: 1 } },
        ],
      },
    };
    const { page, frame, problems } = await showInHost("get_breakdown", result, "light");
    expect(await frame.$$eval("img", (images) => images.length)).toBe(0);
    expect(await frame.title()).toBe("Plausible chart");
    expect(await frame.$$eval("#chart rect.bar", (rects) => rects.map((rect) => rect.getAttribute("data-label")))).toEqual([
      hostile,
      "/ok",
    ]);
    expect(await frame.textContent("#chart table")).toContain(hostile);
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it("draws paired bars for compare_periods", async () => {
    const result = await call("compare_periods", {
      site_id: "example.com",
      current: "7d",
      metrics: ["visitors", "pageviews", "bounce_rate"],
    });
    const { page, frame } = await showInHost("compare_periods", result, "light");
    expect(await frame.$$eval("#chart rect.bar", (rects) => rects.length)).toBe(6);
    await page.locator("iframe").screenshot({ path: resolve(OUTPUT_DIR, "chart-compare-periods-light.png") });
    await page.context().close();
  });
});
