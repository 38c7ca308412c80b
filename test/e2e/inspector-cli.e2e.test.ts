import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startE2eStack, type DemoStack } from "./support/stack.ts";
import { TOOL_NAMES } from "../support/tool-names.ts";

const run = promisify(execFile);

/** The project's MCP Inspector launcher, run with this Node as `npx @modelcontextprotocol/inspector` would. */
function inspectorBin(): string {
  const manifestPath = createRequire(import.meta.url).resolve("@modelcontextprotocol/inspector/package.json");
  const { bin } = JSON.parse(readFileSync(manifestPath, "utf8")) as { bin: Record<string, string> };
  return join(dirname(manifestPath), bin.inspector!);
}

let stack: DemoStack;
let catalogDir: string;
beforeAll(async () => {
  stack = await startE2eStack();
  catalogDir = mkdtempSync(join(tmpdir(), "plausible-mcp-inspector-"));
});
afterAll(async () => {
  await stack?.stop();
  if (catalogDir) rmSync(catalogDir, { recursive: true, force: true });
});

async function inspector(...args: string[]): Promise<unknown> {
  const { stdout } = await run(
    process.execPath,
    [inspectorBin(), "--cli", stack.urls.mcp, "--transport", "http", "--header", `Authorization: Bearer ${stack.apiKey}`, ...args],
    // Its server catalog would otherwise be written under the user's home directory.
    { env: { ...process.env, MCP_CATALOG_PATH: join(catalogDir, "mcp.json") }, timeout: 60_000 },
  );
  return JSON.parse(stdout);
}

it("MCP Inspector's CLI lists the tools on /mcp", async () => {
  const { tools } = (await inspector("--method", "tools/list")) as { tools: Array<{ name: string }> };
  expect(tools.map((tool) => tool.name).sort()).toEqual(TOOL_NAMES);
});

it("MCP Inspector's CLI calls get_aggregate and gets the simulator's numbers", async () => {
  const result = (await inspector(
    "--method",
    "tools/call",
    "--tool-name",
    "get_aggregate",
    "--tool-arg",
    "date_range=7d",
    "--tool-arg",
    "site_id=example.com",
  )) as {
    isError?: boolean;
    structuredContent: { site_id: string; metrics: { visitors: number; pageviews: number } };
  };
  expect(result.isError).toBeFalsy();
  expect(result.structuredContent.site_id).toBe("example.com");
  expect(result.structuredContent.metrics.visitors).toBeGreaterThan(0);
  expect(result.structuredContent.metrics.pageviews).toBeGreaterThanOrEqual(result.structuredContent.metrics.visitors);
});

it("MCP Inspector's CLI gets a prompt and reads a resource on /mcp", async () => {
  const prompt = (await inspector("--method", "prompts/get", "--prompt-name", "weekly_report", "--prompt-args", "site_id=example.com")) as {
    messages: Array<{ content: { text: string } }>;
  };
  expect(prompt.messages[0]!.content.text).toContain('compare_periods with site_id "example.com", current "7d"');
  const sites = (await inspector("--method", "resources/read", "--uri", "plausible://sites")) as { contents: Array<{ text: string }> };
  expect(JSON.parse(sites.contents[0]!.text).sites.map((site: { domain: string }) => site.domain)).toContain("blog.example.com");
});

it("MCP Inspector's CLI finds the chart app of get_timeseries, with its CSP", async () => {
  const app = await inspector("--method", "tools/call", "--tool-name", "get_timeseries", "--app-info");
  expect(app).toEqual({
    hasApp: true,
    toolName: "get_timeseries",
    resourceUri: "ui://plausible/chart.html",
    resourceMimeType: "text/html;profile=mcp-app",
    csp: { connectDomains: [], resourceDomains: [], frameDomains: [], baseUriDomains: [] },
    prefersBorder: true,
  });
});
