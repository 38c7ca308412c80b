// Plausible's query vocabulary as values, for whoever has to check names at
// run time: the tools' input schemas, the simulator's validation, tests. The
// query language's types (types.ts) are derived from these lists.

export const METRICS = [
  "visitors",
  "visits",
  "pageviews",
  "views_per_visit",
  "bounce_rate",
  "visit_duration",
  "events",
  "percentage",
  "conversion_rate",
  "group_conversion_rate",
  "time_on_page",
  "scroll_depth",
  // Revenue metrics exist only on Plausible Cloud / Enterprise, not Community Edition.
  "total_revenue",
  "average_revenue",
] as const;

export const NAMED_DATE_RANGES = ["all", "day", "24h", "7d", "28d", "30d", "91d", "month", "6mo", "12mo", "year"] as const;

export const EVENT_DIMENSIONS = ["event:name", "event:page", "event:hostname"] as const;

export const VISIT_DIMENSIONS = [
  "visit:source",
  "visit:channel",
  "visit:referrer",
  "visit:utm_medium",
  "visit:utm_source",
  "visit:utm_campaign",
  "visit:utm_content",
  "visit:utm_term",
  "visit:screen",
  "visit:device",
  "visit:browser",
  "visit:browser_version",
  "visit:os",
  "visit:os_version",
  "visit:country",
  "visit:region",
  "visit:city",
  "visit:country_name",
  "visit:region_name",
  "visit:city_name",
  "visit:entry_page",
  "visit:exit_page",
  "visit:entry_page_hostname",
  "visit:exit_page_hostname",
] as const;

// Time dimensions can be grouped and ordered by, never filtered on.
export const TIME_DIMENSIONS = ["time", "time:hour", "time:day", "time:week", "time:month"] as const;
