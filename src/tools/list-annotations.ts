import { z } from "zod";
import { resolveRange, siteClock } from "./dates";
import { annotationOutput, annotationRecord, MEMORY_READ_HINTS } from "./memory-schemas";
import { resolveSiteId } from "./query-parts";
import { dateRange, siteId } from "./schemas";
import type { ToolContext } from "./types";
import { defineTool } from "./types";

const ALL_DAYS: [string, string] = ["0000-01-01", "9999-12-31"];

/** The days a range covers; a relative range needs the site's today (one Plausible request), a pair of dates does not. */
async function annotationDays(range: string | readonly string[], site: string, context: ToolContext): Promise<[string, string]> {
  if (Array.isArray(range)) return [String(range[0]).slice(0, 10), String(range[1]).slice(0, 10)];
  if (range === "all") return ALL_DAYS;
  const clock = await siteClock(context, site);
  return resolveRange(range, clock) ?? [clock.today, clock.today];
}

export const listAnnotationsTool = defineTool({
  name: "list_annotations",
  title: "List annotations",
  description: [
    "The annotations of a site in a period, oldest first: what the team noted happened (deploys, campaigns, releases, outages).",
    "Read them before explaining a change in that period.",
  ],
  hints: MEMORY_READ_HINTS,
  inputSchema: z.object({ site_id: siteId, date_range: dateRange }),
  outputSchema: z.object({
    site_id: z.string(),
    from: z.string(),
    to: z.string(),
    annotations: z.array(annotationOutput),
  }),
  async run(input, context) {
    const site = resolveSiteId(input.site_id, context);
    const [from, to] = await annotationDays(input.date_range, site, context);
    const annotations = (await context.memory.listAnnotations(site, from, to)).map(annotationRecord);
    const period = input.date_range === "all" ? "all time" : `${from} to ${to}`;
    return {
      structured: { site_id: site, from, to, annotations },
      text: annotations.length === 0 ? `${site}: no annotations, ${period}.` : `${site}: ${annotations.length} annotation(s), ${period}`,
      ...(annotations.length === 0
        ? {}
        : {
            listing: {
              key: "annotations" as const,
              headers: ["date", "kind", "text", "id"],
              cells: annotations.map((annotation) => [annotation.at, annotation.kind, annotation.text, annotation.id]),
              narrow: "a shorter date_range",
            },
          }),
    };
  },
});
