/** The tools every endpoint must list, sorted: what the endpoint and end-to-end tests expect. */
export const TOOL_NAMES = [
  "compare_periods",
  "compare_sites",
  "explain_change",
  "get_aggregate",
  "get_breakdown",
  "get_conversions",
  "get_funnel",
  "get_pacing",
  "get_realtime_visitors",
  "get_timeseries",
  "list_custom_props",
  "list_goals",
  "list_sites",
  "measure_impact",
  "query",
];
