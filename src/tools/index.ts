import { comparePeriodsTool } from "./compare-periods";
import { explainChangeTool } from "./explain-change";
import { getAggregateTool } from "./get-aggregate";
import { getBreakdownTool } from "./get-breakdown";
import { getConversionsTool } from "./get-conversions";
import { getFunnelTool } from "./get-funnel";
import { getRealtimeVisitorsTool } from "./get-realtime-visitors";
import { getTimeseriesTool } from "./get-timeseries";
import { memoizeJsonSchema } from "./json-schema-memo";
export { listedJsonSchema } from "./json-schema-memo";
import { listCustomPropsTool } from "./list-custom-props";
import { listGoalsTool } from "./list-goals";
import { listSitesTool } from "./list-sites";
import { measureImpactTool } from "./measure-impact";
import { queryTool } from "./query";
import type { ToolDefinition } from "./types";

export { SERVER_INSTRUCTIONS } from "./instructions";
export { fitResult } from "./render";
export { ResultBudgetError, ToolInputError, type ToolContext, type ToolDefinition } from "./types";

export const TOOLS = [
  getAggregateTool,
  getTimeseriesTool,
  getBreakdownTool,
  getConversionsTool,
  comparePeriodsTool,
  explainChangeTool,
  measureImpactTool,
  getFunnelTool,
  queryTool,
  listSitesTool,
  listGoalsTool,
  listCustomPropsTool,
  getRealtimeVisitorsTool,
] as const satisfies readonly ToolDefinition[];

for (const tool of TOOLS) {
  memoizeJsonSchema(tool.inputSchema);
  memoizeJsonSchema(tool.outputSchema);
}
