// The Plausible Stats API v2 query language and the shapes of the other
// endpoints this client reads. Mirrors Plausible's request JSON schema
// (query-api-schema.json); when in doubt the schema wins.

import type { EVENT_DIMENSIONS, METRICS, NAMED_DATE_RANGES, TIME_DIMENSIONS, VISIT_DIMENSIONS } from "./vocabulary";

export type Metric = (typeof METRICS)[number];

export type NamedDateRange = (typeof NAMED_DATE_RANGES)[number];

// Named ranges, `Nd`, `Nmo`, ["YYYY-MM-DD", "YYYY-MM-DD"] or two ISO 8601
// datetimes that both carry an offset. Dates and datetimes can't be mixed.
export type DateRange = NamedDateRange | `${number}d` | `${number}mo` | (string & {}) | [string, string];

export type EventDimension = (typeof EVENT_DIMENSIONS)[number];

export type VisitDimension = (typeof VISIT_DIMENSIONS)[number];

export type CustomPropertyDimension = `event:props:${string}`;

export type GoalDimension = "event:goal";

export type TimeDimension = (typeof TIME_DIMENSIONS)[number];

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
  | ["has_done" | "has_not_done", Filter];

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

// Strings, except visit:city: integer GeoName ids (null when unknown).
export type DimensionValue = string | number | null;

export interface QueryResultRow {
  // Numbers, or {value, currency, short, long} objects for revenue metrics.
  metrics: unknown[];
  dimensions: DimensionValue[];
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
  goal_type: "event" | "page" | "scroll";
  display_name: string;
  event_name: string | null;
  page_path: string | null;
  // Scroll goals only: percent of the page scrolled.
  scroll_threshold?: number;
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
