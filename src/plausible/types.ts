// The Plausible Stats API v2 query language and the shapes of the other
// endpoints this client reads. Mirrors Plausible's request JSON schema
// (query-api-schema.json); when in doubt the schema wins.

export type Metric =
  | "visitors"
  | "visits"
  | "pageviews"
  | "views_per_visit"
  | "bounce_rate"
  | "visit_duration"
  | "events"
  | "percentage"
  | "conversion_rate"
  | "group_conversion_rate"
  | "time_on_page"
  | "scroll_depth"
  // Revenue metrics exist only on Plausible Cloud / Enterprise, not Community Edition.
  | "total_revenue"
  | "average_revenue";

export type NamedDateRange = "all" | "day" | "24h" | "7d" | "28d" | "30d" | "91d" | "month" | "6mo" | "12mo" | "year";

// Named ranges, `Nd`, `Nmo`, ["YYYY-MM-DD", "YYYY-MM-DD"] or two ISO 8601
// datetimes that both carry an offset. Dates and datetimes can't be mixed.
export type DateRange = NamedDateRange | `${number}d` | `${number}mo` | (string & {}) | [string, string];

export type EventDimension = "event:name" | "event:page" | "event:hostname" | "event:label";

export type VisitDimension =
  | "visit:source"
  | "visit:channel"
  | "visit:referrer"
  | "visit:utm_medium"
  | "visit:utm_source"
  | "visit:utm_campaign"
  | "visit:utm_content"
  | "visit:utm_term"
  | "visit:screen"
  | "visit:device"
  | "visit:browser"
  | "visit:browser_version"
  | "visit:os"
  | "visit:os_version"
  | "visit:country"
  | "visit:region"
  | "visit:city"
  | "visit:country_name"
  | "visit:region_name"
  | "visit:city_name"
  | "visit:entry_page"
  | "visit:exit_page"
  | "visit:entry_page_hostname"
  | "visit:exit_page_hostname";

export type CustomPropertyDimension = `event:props:${string}`;

export type GoalDimension = "event:goal";

// Time dimensions can be grouped and ordered by, never filtered on.
export type TimeDimension = "time" | "time:hour" | "time:day" | "time:week" | "time:month";

// Dimensions Plausible lets you filter on (every dimension but goal and time).
export type FilterDimension = EventDimension | VisitDimension | CustomPropertyDimension;

export type KnownDimension = FilterDimension | GoalDimension | TimeDimension;

// `string & {}` keeps editor completion for the known names while still
// accepting a plain string, e.g. one a caller validated at runtime.
export type Dimension = KnownDimension | (string & {});

// Clauses are strings, or integers for segment ids.
export type Clause = string | number;

export interface FilterModifiers {
  case_sensitive?: boolean;
}

// One leaf per operator family, as the schema allows: `is`/`contains` also
// take event:goal (and `is` takes a saved segment), the negations don't, and
// the regex operators take no modifiers.
export type LeafFilter =
  | ["is", FilterDimension | GoalDimension | "segment" | (string & {}), Clause[], FilterModifiers?]
  | ["contains", FilterDimension | GoalDimension | (string & {}), Clause[], FilterModifiers?]
  | ["is_not" | "contains_not", FilterDimension | (string & {}), Clause[], FilterModifiers?]
  | ["matches" | "matches_not", FilterDimension | (string & {}), Clause[]];

export type Filter =
  | LeafFilter
  | ["and" | "or", Filter[]]
  | ["not", Filter]
  // Event filters only, and not nested inside another has_done.
  | ["has_done" | "has_not_done", Filter]
  | ["sequence", Filter[]];

export type SortDirection = "asc" | "desc";

export interface QueryInclude {
  imports?: boolean;
  // Needs a time dimension.
  time_labels?: boolean;
  total_rows?: boolean;
  trim_relative_date_range?: boolean;
}

export interface QueryPagination {
  // 1..10000
  limit?: number;
  offset?: number;
}

export interface QueryBody {
  site_id: string;
  metrics: Metric[];
  date_range: DateRange;
  dimensions?: Dimension[];
  filters?: Filter[];
  // Each entry names one of the queried metrics or dimensions.
  order_by?: [Metric | Dimension, SortDirection][];
  include?: QueryInclude;
  pagination?: QueryPagination;
}

export interface QueryResultRow {
  // Numbers, or {value, currency, short, long} objects for revenue metrics.
  metrics: unknown[];
  dimensions: string[];
}

export interface QueryResult {
  results: QueryResultRow[];
  // May hold metric_warnings, imports_*, time_labels and total_rows.
  meta: Record<string, unknown>;
  query: Record<string, unknown>;
}

export interface Site {
  domain: string;
  timezone?: string;
}

export interface Goal {
  id: string | number;
  goal_type: "event" | "page";
  display_name: string;
  event_name: string | null;
  page_path: string | null;
  custom_props?: Record<string, string>;
}

// A Plausible call described as data, so a caller (a cache, a rate limiter)
// can key, count and replay it.
export type PlausibleRequest =
  | { kind: "query"; body: QueryBody }
  | { kind: "sites" }
  | { kind: "goals"; siteId: string }
  | { kind: "customProps"; siteId: string }
  | { kind: "realtime"; siteId: string };
