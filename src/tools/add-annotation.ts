import { z } from "zod";
import { annotationDate, annotationKind, annotationOutput, annotationRecord, MEMORY_WRITE_HINTS } from "./memory-schemas";
import { resolveSiteId } from "./query-parts";
import { siteId } from "./schemas";
import { MAX_ANNOTATION_CHARS } from "./team-memory";
import { defineTool } from "./types";

export const addAnnotationTool = defineTool({
  name: "add_annotation",
  title: "Add annotation",
  description: [
    "Notes what happened on a day (a deploy, a campaign, a release, an outage) so later analyses read the numbers against it.",
    "explain_change names annotations next to the days they fall on; measure_impact takes an annotation_id as its event.",
    "Adding the same annotation again returns the one already stored.",
  ],
  hints: MEMORY_WRITE_HINTS,
  inputSchema: z.object({
    site_id: siteId,
    date: annotationDate,
    text: z.string().trim().min(1).max(MAX_ANNOTATION_CHARS).describe(`What happened, up to ${MAX_ANNOTATION_CHARS} characters`),
    kind: annotationKind.default("other").describe("deploy, campaign, release, outage or other"),
  }),
  outputSchema: z.object({
    annotation: annotationOutput,
    created: z.boolean().describe("false when the same annotation was already stored"),
  }),
  async run(input, context) {
    const site = resolveSiteId(input.site_id, context);
    const { annotation, created } = await context.memory.addAnnotation({
      siteId: site,
      at: input.date,
      text: input.text,
      kind: input.kind,
    });
    const noted = `${annotation.id} on ${site}, ${annotation.date} (${annotation.kind}): ${annotation.text}`;
    return {
      structured: { annotation: annotationRecord(annotation), created },
      text: `${created ? "Added" : "Already noted"}: ${noted}`,
    };
  },
});
