import { addAnnotationTool } from "./add-annotation";
import { comparePeriodsTool } from "./compare-periods";
import { deleteAnnotationTool } from "./delete-annotation";
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
import { listAnnotationsTool } from "./list-annotations";
import { listGoalsTool } from "./list-goals";
import { listSitesTool } from "./list-sites";
import { measureImpactTool } from "./measure-impact";
import { queryTool } from "./query";
import { setSiteContextTool } from "./set-site-context";
import { setTargetTool } from "./set-target";
import type { ToolDefinition } from "./types";

export { SERVER_INSTRUCTIONS } from "./instructions";
export { fitResult } from "./render";
export { ResultBudgetError, ToolInputError, type ToolContext, type ToolDefinition, type ToolOutput } from "./types";
export { TeamMemoryRefusal, type TeamMemory } from "./team-memory";

export const TOOLS: readonly ToolDefinition[] = [
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
  addAnnotationTool,
  listAnnotationsTool,
  deleteAnnotationTool,
  setTargetTool,
  setSiteContextTool,
] as unknown as readonly ToolDefinition[];

for (const tool of TOOLS) {
  memoizeJsonSchema(tool.inputSchema);
  memoizeJsonSchema(tool.outputSchema);
}
