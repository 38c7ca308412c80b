import { z } from "zod";
import { dateOrDatetime } from "./schemas";
import { ANNOTATION_KINDS, TARGET_METRICS, TARGET_PERIOD, type Annotation } from "./team-memory";
import type { ToolHints } from "./types";

/** Team memory tools write to this server's own store and never reach Plausible. */
export const MEMORY_WRITE_HINTS: ToolHints = { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false };
export const MEMORY_READ_HINTS: ToolHints = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false };

/** When something happened: a date in the site's timezone, or a datetime with its offset. */
export const annotationDate = dateOrDatetime.describe(
  'When it happened: a date "2026-05-14" (site\'s timezone) or a datetime with offset "2026-05-14T15:30:00+02:00"',
);

export const annotationKind = z.enum(ANNOTATION_KINDS);
export const targetMetric = z.enum(TARGET_METRICS);
export const targetPeriod = z
  .string()
  .regex(TARGET_PERIOD, 'give a month "2026-05" or a quarter "2026-Q2"')
  .describe('A month "YYYY-MM" or a quarter "YYYY-Qn"');

export const annotationOutput = z.object({
  id: z.string(),
  site_id: z.string(),
  date: z.string().describe("The day it falls on"),
  at: z.string().describe("The date or datetime as given"),
  kind: annotationKind,
  text: z.string(),
  author: z.string().optional().describe("On /internal: the member who added it"),
});

export function annotationRecord(annotation: Annotation): z.output<typeof annotationOutput> {
  return {
    id: annotation.id,
    site_id: annotation.siteId,
    date: annotation.date,
    at: annotation.at,
    kind: annotation.kind,
    text: annotation.text,
    ...(annotation.author ? { author: annotation.author } : {}),
  };
}
