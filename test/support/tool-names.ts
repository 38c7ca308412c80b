/** The tools every endpoint must list, sorted: what the endpoint and end-to-end tests expect. */
export const TOOL_NAMES = [
  "add_annotation",
  "compare_periods",
  "compare_sites",
  "delete_annotation",
  "explain_change",
  "get_aggregate",
  "get_breakdown",
  "get_conversions",
  "get_funnel",
  "get_pacing",
  "get_realtime_visitors",
  "get_timeseries",
  "list_annotations",
  "list_custom_props",
  "list_goals",
  "list_sites",
  "list_subscriptions",
  "measure_impact",
  "query",
  "set_site_context",
  "set_target",
  "subscribe_digest",
  "unsubscribe",
];

/** The team memory tools: they write to (or read) the server's own store, never Plausible, so they carry hints of their own. */
export const MEMORY_TOOL_HINTS: Record<string, { readOnlyHint: boolean; destructiveHint: boolean; idempotentHint: boolean }> = {
  add_annotation: { readOnlyHint: false, destructiveHint: false, idempotentHint: true },
  list_annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
  delete_annotation: { readOnlyHint: false, destructiveHint: true, idempotentHint: true },
  set_target: { readOnlyHint: false, destructiveHint: false, idempotentHint: true },
  set_site_context: { readOnlyHint: false, destructiveHint: false, idempotentHint: true },
};

/** The digest subscription tools: they change the server's own store, so they carry hints of their own. */
export const DIGEST_TOOL_HINTS: Record<string, { readOnlyHint: boolean; destructiveHint: boolean; openWorldHint: boolean }> = {
  subscribe_digest: { readOnlyHint: false, destructiveHint: false, openWorldHint: true },
  list_subscriptions: { readOnlyHint: true, destructiveHint: false, openWorldHint: false },
  unsubscribe: { readOnlyHint: false, destructiveHint: true, openWorldHint: false },
};
