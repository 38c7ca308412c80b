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
  "list_subscriptions",
  "measure_impact",
  "query",
  "subscribe_digest",
  "unsubscribe",
];

/** The digest subscription tools: they change the server's own store, so they carry hints of their own. */
export const DIGEST_TOOL_HINTS: Record<string, { readOnlyHint: boolean; destructiveHint: boolean; openWorldHint: boolean }> = {
  subscribe_digest: { readOnlyHint: false, destructiveHint: false, openWorldHint: true },
  list_subscriptions: { readOnlyHint: true, destructiveHint: false, openWorldHint: false },
  unsubscribe: { readOnlyHint: false, destructiveHint: true, openWorldHint: false },
};
