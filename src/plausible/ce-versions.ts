// What an older Plausible Community Edition does not know yet. Such a server
// answers 400 with a schema error naming the unknown part (e.g.
// `#/date_range: Invalid date range "24h"`, `#/metrics/0: Invalid metric
// "time_on_page"`, `#/include/trim_relative_date_range: Schema does not allow
// additional properties.`); `rejected` recognises that text, so the error can
// say which version is needed and what to use instead. Plausible Cloud knows
// every feature here. README.md shows this table (a test keeps the two equal).

export interface VersionedFeature {
  /** A stable name for code that reacts to one refusal. */
  key: string;
  /** As a person names it. */
  feature: string;
  /** The first Community Edition release that accepts it; null while it exists only on Plausible Cloud. */
  since: string | null;
  /** What to ask instead on an older Community Edition. */
  instead: string;
  /** Matches the 400 text of a server that does not know the feature. */
  rejected: RegExp;
}

export const COMMUNITY_EDITION_FEATURES: readonly VersionedFeature[] = [
  {
    key: "24h",
    feature: 'date range "24h"',
    since: null,
    instead: '"day" (today so far), or a pair of datetimes with offsets covering the last 24 hours',
    rejected: /Invalid date range "24h"/,
  },
  {
    key: "trim_relative_date_range",
    feature: "include.trim_relative_date_range",
    since: "3.1",
    instead: "leave it out; get_timeseries drops buckets after today itself",
    rejected: /trim_relative_date_range/,
  },
  {
    key: "28d_91d",
    feature: 'date ranges "28d" and "91d"',
    since: "3.0",
    instead: '"30d", or a date pair',
    rejected: /Invalid date range "(28|91)d"/,
  },
  {
    key: "nd_nmo",
    feature: 'any "Nd" or "Nmo" date range',
    since: "3.0",
    instead: '"7d", "30d", "6mo", "12mo", or a date pair',
    rejected: /Invalid date range "(?!(?:7d|30d|6mo|12mo)")\d+(?:d|mo)"/,
  },
  {
    key: "time_on_page",
    feature: "metric time_on_page",
    since: "3.0",
    instead: "visit_duration (per visit, not per page)",
    rejected: /Invalid metric "time_on_page"/,
  },
  {
    key: "scroll_depth",
    feature: "metric scroll_depth",
    since: "3.0",
    instead: "no equivalent: leave it out",
    rejected: /Invalid metric "scroll_depth"/,
  },
  {
    key: "has_done",
    feature: "has_done / has_not_done filters",
    since: "3.0",
    instead: "a plain event filter (it counts the matching events, not the visitors who did them)",
    rejected: /Invalid filter .*"has_(?:not_)?done"/,
  },
  {
    key: "segments",
    feature: "saved segments in filters",
    since: "3.0",
    instead: "the segment's own filters, spelled out",
    rejected: /Invalid filter .*"segment"/,
  },
  {
    key: "case_sensitive",
    feature: "the case_sensitive filter modifier",
    since: "3.0",
    instead: "leave it out (matching is case-sensitive)",
    rejected: /case_sensitive/,
  },
];

/** The feature an older Community Edition refused, when Plausible's 400 text shows one. */
export function featureRefusedIn(plausibleMessage: string): VersionedFeature | undefined {
  return COMMUNITY_EDITION_FEATURES.find((entry) => entry.rejected.test(plausibleMessage));
}

/** The error hint for a refused feature: which version it needs and what to use instead. */
export function versionHint(feature: VersionedFeature): string {
  const needs =
    feature.since === null
      ? `Plausible Cloud has ${feature.feature}; Community Edition does not yet (3.2 refuses it).`
      : `${feature.feature} needs Plausible Community Edition ${feature.since} or newer; this server looks older.`;
  return `${needs} Use instead: ${feature.instead}.`;
}

/** The README's table of what needs which Community Edition version. */
export function versionTableMarkdown(): string {
  const rows = COMMUNITY_EDITION_FEATURES.map(
    (entry) =>
      `| ${entry.feature} | ${entry.since === null ? "Cloud only (CE 3.2 refuses it)" : `${entry.since} or newer`} | ${entry.instead} |`,
  );
  return ["| Feature | Community Edition | On an older CE, use instead |", "|---|---|---|", ...rows].join("\n");
}
