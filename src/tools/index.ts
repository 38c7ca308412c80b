import type { z } from "zod";
import { addAnnotationTool } from "./add-annotation";
import { comparePeriodsTool } from "./compare-periods";
import { compareSitesTool } from "./compare-sites";
import { deleteAnnotationTool } from "./delete-annotation";
import { explainChangeTool } from "./explain-change";
import { getAggregateTool } from "./get-aggregate";
import { getBreakdownTool } from "./get-breakdown";
import { getConversionsTool } from "./get-conversions";
import { getFunnelTool } from "./get-funnel";
import { getPacingTool } from "./get-pacing";
import { getRealtimeVisitorsTool } from "./get-realtime-visitors";
import { getTimeseriesTool } from "./get-timeseries";
import { memoizeJsonSchema } from "./json-schema-memo";
export { listedJsonSchema } from "./json-schema-memo";
import { listCustomPropsTool } from "./list-custom-props";
import { listAnnotationsTool } from "./list-annotations";
import { listSubscriptionsTool } from "./list-subscriptions";
import { listGoalsTool } from "./list-goals";
import { listSitesTool } from "./list-sites";
import { measureImpactTool } from "./measure-impact";
import { queryTool } from "./query";
import { setSiteContextTool } from "./set-site-context";
import { setTargetTool } from "./set-target";
import { subscribeDigestTool } from "./subscribe-digest";
import type { ToolDefinition } from "./types";
import { unsubscribeTool } from "./unsubscribe";

export { SERVER_INSTRUCTIONS } from "./instructions";
export { fitResult } from "./render";
export { ResultBudgetError, ToolInputError, type ToolContext, type ToolDefinition } from "./types";
export { TeamMemoryRefusal, type TeamMemory } from "./team-memory";

/** Each tool's structured result, by tool name, as its output schema declares it. */
export interface StructuredOutputs {
  get_aggregate: z.output<typeof getAggregateTool.outputSchema>;
  get_timeseries: z.output<typeof getTimeseriesTool.outputSchema>;
  get_breakdown: z.output<typeof getBreakdownTool.outputSchema>;
  get_conversions: z.output<typeof getConversionsTool.outputSchema>;
  compare_periods: z.output<typeof comparePeriodsTool.outputSchema>;
  explain_change: z.output<typeof explainChangeTool.outputSchema>;
  measure_impact: z.output<typeof measureImpactTool.outputSchema>;
  get_funnel: z.output<typeof getFunnelTool.outputSchema>;
  query: z.output<typeof queryTool.outputSchema>;
  list_sites: z.output<typeof listSitesTool.outputSchema>;
  list_goals: z.output<typeof listGoalsTool.outputSchema>;
  list_custom_props: z.output<typeof listCustomPropsTool.outputSchema>;
  get_realtime_visitors: z.output<typeof getRealtimeVisitorsTool.outputSchema>;
  add_annotation: z.output<typeof addAnnotationTool.outputSchema>;
  list_annotations: z.output<typeof listAnnotationsTool.outputSchema>;
  delete_annotation: z.output<typeof deleteAnnotationTool.outputSchema>;
  set_target: z.output<typeof setTargetTool.outputSchema>;
  set_site_context: z.output<typeof setSiteContextTool.outputSchema>;
  subscribe_digest: z.output<typeof subscribeDigestTool.outputSchema>;
  list_subscriptions: z.output<typeof listSubscriptionsTool.outputSchema>;
  unsubscribe: z.output<typeof unsubscribeTool.outputSchema>;
}

export const TOOLS = [
  getAggregateTool,
  getTimeseriesTool,
  getBreakdownTool,
  getConversionsTool,
  comparePeriodsTool,
  compareSitesTool,
  explainChangeTool,
  measureImpactTool,
  getPacingTool,
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
  subscribeDigestTool,
  listSubscriptionsTool,
  unsubscribeTool,
] as const satisfies readonly ToolDefinition[];

for (const tool of TOOLS) {
  memoizeJsonSchema(tool.inputSchema);
  memoizeJsonSchema(tool.outputSchema);
}
