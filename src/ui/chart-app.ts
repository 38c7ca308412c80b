import { RESOURCE_MIME_TYPE, RESOURCE_URI_META_KEY } from "@modelcontextprotocol/ext-apps/server";
import type { ResourceDefinition } from "../resources";
import { CHART_TOOLS as CHART_TOOL_NAMES } from "./chart/model";
// Built from src/ui/chart by scripts/build-chart.ts: wrangler's [build] command and vitest's global setup run it.
import chartPage from "./chart/chart.generated.html?raw";

/** The MCP Apps extension (`io.modelcontextprotocol/ui`), advertised in the server's capabilities. */
export const UI_EXTENSION_ID = "io.modelcontextprotocol/ui";
const CHART_URI = "ui://plausible/chart.html";

/** The tools whose results the chart draws; the rest have nothing to plot. */
const CHART_TOOLS: ReadonlySet<string> = new Set(CHART_TOOL_NAMES);

/**
 * A chart tool's `_meta`: hosts with MCP Apps show the chart beside the result,
 * the others ignore it and keep the text table. Both the current key and the
 * legacy flat one, as ext-apps' registerAppTool sets them.
 */
export function chartToolMeta(toolName: string): Record<string, unknown> | undefined {
  return CHART_TOOLS.has(toolName) ? { ui: { resourceUri: CHART_URI }, [RESOURCE_URI_META_KEY]: CHART_URI } : undefined;
}

/** What the chart may load: nothing from the network (an empty allowlist is the strictest policy hosts apply). */
const CHART_CSP = { connectDomains: [], resourceDomains: [], frameDomains: [], baseUriDomains: [] };

export const CHART_RESOURCE: ResourceDefinition = {
  name: "chart",
  title: "Chart of a Plausible result",
  description: `MCP Apps view: draws the result of ${[...CHART_TOOLS].join(", ")} as a chart.`,
  mimeType: RESOURCE_MIME_TYPE,
  uri: CHART_URI,
  template: false,
  cacheHint: { cacheScope: "public", ttlMs: 24 * 3_600_000 },
  usesPlausible: false,
  meta: { ui: { csp: CHART_CSP, prefersBorder: true } },
  read: () => Promise.resolve(chartPage),
};
