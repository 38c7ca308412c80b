/** Plausible's date-range rules that models most often get wrong; also part of the query-language reference resource. */
export const DATE_RULES = `- "Nd" (e.g. "7d", "28d") is the last N FULL days ending yesterday; today is excluded. "day" is today so far; \
"month" and "year" are the current ones; "6mo"/"12mo"/"Nmo" are full calendar months. All of them resolve in the site's timezone, and \
results report the dates covered (date_range_resolved).
- Specific days are an inclusive pair ["YYYY-MM-DD", "YYYY-MM-DD"] in the site's timezone.`;

/** Which metrics mean what and which combinations Plausible refuses. */
export const METRIC_RULES = `- visitors = unique people; visits = sessions; pageviews = page loads; events = pageviews + custom events.
- bounce_rate, visit_duration and views_per_visit are session metrics: they cannot be broken down by event dimensions other than \
event:page, and views_per_visit takes no dimensions at all.
- conversion_rate needs a goal (the goal argument, an event:goal filter or dimension); it is the % of all visitors who converted.
- time_on_page and scroll_depth need event:page (a page argument, filter or dimension).
- pageviews and events cannot be combined with visit:entry_page or visit:exit_page.`;

export const DIMENSION_RULES =
  "event:page, event:goal, event:props:<name> (custom properties), visit:source, visit:channel, " +
  "visit:referrer, visit:utm_*, visit:device, visit:browser, visit:os, visit:country (2-letter " +
  "code; visit:country_name holds names), visit:city_name (visit:city holds numeric GeoName ids), " +
  "visit:entry_page, visit:exit_page; time dimensions exist only in timeseries and query.";

/** Server instructions: which tool answers which question, and the rules of Plausible's query language that models most often get wrong. */
export const SERVER_INSTRUCTIONS = `Plausible Analytics, read-only.

Raw numbers: get_aggregate (totals), get_timeseries (per hour/day/week/month), get_breakdown (top pages, sources, countries, custom \
properties), get_conversions (goals), compare_periods (two periods, with a significance test per metric), query (the full Plausible v2 \
query language). list_sites, list_goals and list_custom_props name the valid site_id, goal and property values.

Analysis, one call each, where the raw tools would take many calls and still miss weekday effects and noise:
- explain_change answers "what happened on Thursday?" or "why did traffic rise this week?": each day against the same weekday of the 8 \
weeks before, unusual days flagged by a score calibrated on the site's own history, a verdict on the total, the sources, channels, \
pages, countries and devices that account for the change, and values of them that jumped on their own (anomalies) even when the total is \
quiet.
- measure_impact answers "did Tuesday's deploy (a campaign, a release) change signups on /pricing?": equal, weekday-aligned windows \
before and after a date or datetime, with a 95 % confidence interval, a p-value and a verdict (increase, decrease, no detectable change, \
or not tested with the reason).
- get_funnel answers "where do people drop out between the landing page and signup?": visitors per step (pages, wildcard paths or goals) \
and the biggest drop; Plausible does not record step order within a visit, so the funnel does not enforce it.
- compare_periods answers "is this week's dip real or noise?": its p-value and significant flag say whether the change exceeds \
day-to-day variation.
- get_pacing answers "are we on track for our monthly target?": the count so far, the forecast for the month's or quarter's end with an \
80 % interval, the target set with set_target and the daily rate needed.
- compare_sites answers "which of our sites grew most this month?": every readable site's change against the period before, each tested \
against its own noise, a page of sites per call.

Team memory, kept per team (/internal) or per API key:
- Before analysing a site you have not seen in this conversation, read its context (resource
  plausible://sites/{site_id}/context): what its goals mean, which pages matter, its seasonality.
- add_annotation notes what happened on a day (deploy, campaign, release, outage); list_annotations and the resource
  plausible://sites/{site_id}/annotations read them; explain_change names them next to their days; measure_impact takes
  an annotation_id as its event; delete_annotation removes one.
- set_target sets a site's goal for a count over a month ("2026-05") or a quarter ("2026-Q2"); set_site_context replaces
  the site's notes. Write only when the user asks to note, set or save something.

Dates:
${DATE_RULES}

Metrics:
${METRIC_RULES}

Dimensions: ${DIMENSION_RULES}

A failed call's error names the argument to change. A result cut to fit (truncated: true) says which rows it holds and how to narrow the \
question. Without a site_id the server's default site is used; when there is none, the error says so and the user knows which site they \
mean.`;
