import {
  App,
  applyDocumentTheme,
  applyHostStyleVariables,
  type McpUiHostContext,
  type McpUiToolResultNotification,
} from "@modelcontextprotocol/ext-apps/app-with-deps";
import { chartOf } from "../model";
import { drawChart, htmlElement, numbersTable, pairColor, seriesColor } from "./draw";

// The MCP Apps side: the host sends the tool's result and its context (theme, styles, which tool was called).

const MAX_HEIGHT = 500;
type ToolResult = McpUiToolResultNotification["params"];

function render(root: HTMLElement, result: ToolResult, toolName: string | undefined): void {
  const chart = result.structuredContent && !result.isError ? chartOf(result.structuredContent, toolName) : undefined;
  if (!chart) {
    const reason = result.isError ? "No chart: the tool call failed (see its message)." : "No chart for this result.";
    root.replaceChildren(htmlElement("p", { class: "subtitle" }, reason));
    return;
  }
  const { tool, model } = chart;
  const width = Math.max(320, Math.min(960, root.clientWidth || document.documentElement.clientWidth || 640) - 32);
  root.replaceChildren(htmlElement("h1", {}, model.title), htmlElement("p", { class: "subtitle" }, model.subtitle));
  root.dataset.tool = tool;
  root.dataset.kind = model.kind;
  if (model.kind !== "bars") {
    const legend = htmlElement("ul", { class: "legend" });
    const entries =
      model.kind === "line"
        ? model.series.map((series, index) => [series.name, seriesColor(index, series.expected)] as const)
        : model.names.map((name, index) => [name, pairColor(index)] as const);
    for (const [name, color] of entries) {
      const item = htmlElement("li", {}, name);
      item.style.setProperty("--swatch", color);
      legend.append(item);
    }
    root.append(legend);
  }
  const { svg, note } = drawChart(model, width);
  root.append(svg);
  if (note) root.append(htmlElement("p", { class: "note" }, note));
  if (model.truncation) root.append(htmlElement("p", { class: "note" }, model.truncation));
  root.append(numbersTable(model));
}

const root = document.getElementById("chart")!;
const app = new App({ name: "plausible-chart", version: "1.0.0" }, {}, { autoResize: true });
let lastResult: ToolResult | undefined;
let toolName: string | undefined;

function applyContext(context: McpUiHostContext | undefined): void {
  if (!context) return;
  if (context.theme) applyDocumentTheme(context.theme);
  if (context.styles?.variables) applyHostStyleVariables(context.styles.variables);
  if (context.toolInfo?.tool.name) toolName = context.toolInfo.tool.name;
}

app.ontoolresult = (result) => {
  lastResult = result;
  render(root, result, toolName);
};
app.onhostcontextchanged = (context) => {
  applyContext(context);
  if (lastResult) render(root, lastResult, toolName);
};
await app.connect();
applyContext(app.getHostContext());
if (lastResult) render(root, lastResult, toolName);
document.documentElement.style.maxHeight = `${MAX_HEIGHT}px`;
