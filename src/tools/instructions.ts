/** Plausible's date-range rules that models most often get wrong; also part of the query-language reference resource. */
export const DATE_RULES = `- "Nd" (e.g. "7d", "28d") means the last N FULL days ending yesterday; today is excluded. "day" is today so far; "month" and "year" are the current ones, to date; "6mo"/"12mo"/"Nmo" are full calendar months.
- For specific days use an inclusive pair ["YYYY-MM-DD", "YYYY-MM-DD"], in the site's timezone. For a before/after question around an event (a deploy, a launch), use compare_periods with two equally long date pairs.`;

/** Which metrics mean what and which combinations Plausible refuses. */
export const METRIC_RULES = `- visitors = unique people; visits = sessions; pageviews = page loads; events = pageviews + custom events.
- bounce_rate, visit_duration and views_per_visit are session metrics: they cannot be broken down by event dimensions other than event:page, and views_per_visit takes no dimensions at all.
- conversion_rate needs a goal (the goal argument, an event:goal filter or dimension); it is the % of all visitors who converted.
- time_on_page and scroll_depth need event:page (a page argument, filter or dimension).
- pageviews and events cannot be combined with visit:entry_page or visit:exit_page.`;

export const DIMENSION_RULES = `event:page, event:goal, event:props:<name> (custom properties), visit:source, visit:channel, visit:referrer, visit:utm_*, visit:device, visit:browser, visit:os, visit:country (2-letter code; use visit:country_name for names), visit:city_name (visit:city gives numeric GeoName ids), visit:entry_page, visit:exit_page; time dimensions only in timeseries or query.`;

/** Server instructions: the rules of Plausible's query language that models most often get wrong. */
export const SERVER_INSTRUCTIONS = `Plausible Analytics, read-only. Answer traffic questions with the narrowest tool: get_aggregate (totals), get_timeseries (per hour/day/week/month), get_breakdown (top pages, sources, countries, custom properties), get_conversions (goals), compare_periods (before/after), query (anything else, Plausible v2 query language). list_sites, list_goals and list_custom_props tell you valid site_id, goal and property names.

Dates:
${DATE_RULES}

Metrics:
${METRIC_RULES}

Dimensions: ${DIMENSION_RULES}

If a call fails, the error says what to change: fix that argument and try again. If a result says rows were left out (truncated), narrow the question as it suggests rather than repeating it. If no site is given and none is configured, ask the user which site.`;
