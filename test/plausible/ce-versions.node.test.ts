import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { COMMUNITY_EDITION_FEATURES, featureRefusedIn, versionHint, versionTableMarkdown } from "../../src/plausible";

// Schema errors as an older Community Edition words them (its JSON schema lacks the feature).
const refusals: [string, string][] = [
  ['#/date_range: Invalid date range "24h"', 'date range "24h"'],
  ["#/include/trim_relative_date_range: Schema does not allow additional properties.", "include.trim_relative_date_range"],
  ['#/date_range: Invalid date range "28d"', 'date ranges "28d" and "91d"'],
  ['#/date_range: Invalid date range "91d"', 'date ranges "28d" and "91d"'],
  ['#/date_range: Invalid date range "14d"', 'any "Nd" or "Nmo" date range'],
  ['#/date_range: Invalid date range "3mo"', 'any "Nd" or "Nmo" date range'],
  ['#/metrics/1: Invalid metric "time_on_page"', "metric time_on_page"],
  ['#/metrics/0: Invalid metric "scroll_depth"', "metric scroll_depth"],
  ['#/filters/0: Invalid filter ["has_done", ["is", "event:goal", ["Signup"]]]', "has_done / has_not_done filters"],
  ['#/filters/0: Invalid filter ["has_not_done", ["is", "event:name", ["Signup"]]]', "has_done / has_not_done filters"],
  ['#/filters/0: Invalid filter ["is", "segment", [12]]', "saved segments in filters"],
  ['#/filters/0: Invalid filter ["contains", "event:page", ["/Blog"], %{"case_sensitive" => false}]', "the case_sensitive filter modifier"],
];

describe("Community Edition versions", () => {
  it.each(refusals)("recognises %s", (message, feature) => {
    expect(featureRefusedIn(message)?.feature).toBe(feature);
  });

  it.each([
    '#/date_range: Invalid date range "bad_period"',
    '#/date_range: Invalid date range "7d"',
    "Metric `time_on_page` can only be queried with event:page filters or dimensions.",
    "Metric `scroll_depth` can only be queried with event:page filters or dimensions.",
    "Invalid filters. The goal `Signup` is not configured for this site. Find out how to configure " +
      "goals here: https://plausible.io/docs/stats-api#filtering-by-goals",
  ])("does not blame the version for %s", (message) => {
    expect(featureRefusedIn(message)).toBeUndefined();
  });

  it("names the version and the alternative", () => {
    expect(versionHint(featureRefusedIn('#/date_range: Invalid date range "24h"')!)).toBe(
      'Plausible Cloud has date range "24h"; Community Edition does not yet (3.2 refuses it). Use ' +
        'instead: "day" (today so far), or a pair of datetimes with offsets covering the last 24 hours.',
    );
    expect(versionHint(featureRefusedIn('#/metrics/1: Invalid metric "time_on_page"')!)).toContain(
      "needs Plausible Community Edition 3.0 or newer",
    );
  });

  it("every feature has a refusal example here", () => {
    expect(new Set(refusals.map(([, feature]) => feature))).toEqual(new Set(COMMUNITY_EDITION_FEATURES.map((entry) => entry.feature)));
  });

  it("docs/tools.md shows the same table as the code", () => {
    // Prettier pads the table's cells; compare the cells, not the padding.
    const cells = (markdown: string) =>
      markdown
        .split("\n")
        .map((line) => line.replace(/\s*\|\s*/g, "|").replace(/\|-+(?=\|)/g, "|-"))
        .join("\n");
    const tools = readFileSync(resolve(import.meta.dirname, "../../docs/tools.md"), "utf8");
    expect(cells(tools)).toContain(cells(versionTableMarkdown()));
  });
});
