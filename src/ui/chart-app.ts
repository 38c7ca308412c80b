import appWithDeps from "@modelcontextprotocol/ext-apps/app-with-deps?raw";
import { RESOURCE_MIME_TYPE, RESOURCE_URI_META_KEY } from "@modelcontextprotocol/ext-apps/server";
import type { ResourceDefinition } from "../resources";
import chartPage from "./chart.html?raw";

/** The MCP Apps extension (`io.modelcontextprotocol/ui`), advertised in the server's capabilities. */
export const UI_EXTENSION_ID = "io.modelcontextprotocol/ui";
const CHART_URI = "ui://plausible/chart.html";

/** The tools whose results the chart draws; the rest have nothing to plot. */
const CHART_TOOLS: ReadonlySet<string> = new Set([
  "get_timeseries",
  "get_breakdown",
  "get_conversions",
  "compare_periods",
  "get_funnel",
  "measure_impact",
  "explain_change",
]);

/**
 * A chart tool's `_meta`: hosts with MCP Apps show the chart beside the result,
 * the others ignore it and keep the text table. Both the current key and the
 * legacy flat one, as ext-apps' registerAppTool sets them.
 */
export function chartToolMeta(toolName: string): Record<string, unknown> | undefined {
  return CHART_TOOLS.has(toolName) ? { ui: { resourceUri: CHART_URI }, [RESOURCE_URI_META_KEY]: CHART_URI } : undefined;
}

/**
 * The ext-apps App bundle (its ES module, with zod inside) as an inline module
 * script: hosts block CDNs and the chart may fetch nothing, so the library is
 * part of the page, its exports on `globalThis.McpApps`.
 */
function inlineAppBundle(bundle: string): string {
  const exported = /export\s*\{([^}]*)\}\s*;?\s*$/.exec(bundle);
  if (!exported) throw new Error("@modelcontextprotocol/ext-apps/app-with-deps no longer ends with an export list");
  const bindings = exported[1]!.split(",").map((binding) => {
    const [local, as = local] = binding.trim().split(/\s+as\s+/);
    return `${JSON.stringify(as)}:${local}`;
  });
  return `${bundle.slice(0, exported.index)}globalThis.McpApps={${bindings.join(",")}};`;
}

let page: string | undefined;
/** The chart page, self-contained: its own CSS and drawing code, and the App library inlined. */
function chartHtml(): string {
  page ??= chartPage.replace("/* ext-apps App bundle */", () => inlineAppBundle(appWithDeps));
  return page;
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
  read: async () => chartHtml(),
};
