/**
 * What a team (on /internal) or a key's holder (on /mcp, /sse, /connect) has told the server about its sites:
 * annotations, targets and site context. Tools read and write it through this port; whoever runs the server decides
 * where it is stored and which scope a call belongs to, so one scope never sees another's.
 */
export interface TeamMemory {
  addAnnotation(annotation: NewAnnotation): Promise<{ annotation: Annotation; created: boolean }>;
  /** Annotations of a site whose `date` falls in [from, to] (ISO dates, inclusive), oldest first. */
  listAnnotations(siteId: string, from: string, to: string): Promise<Annotation[]>;
  /** Deletes an annotation; refused (`not_author`) on /internal when the caller is neither its author nor an admin. */
  deleteAnnotation(id: string): Promise<{ deleted: boolean; refused?: "not_author" | "not_found" }>;
  getAnnotation(id: string): Promise<Annotation | null>;
  setTarget(target: Target): Promise<Target>;
  /** The target of a site for a metric and a period ("YYYY-MM" or "YYYY-Qn"), or null when none was set. */
  getTarget(siteId: string, metric: string, period: string): Promise<Target | null>;
  setSiteContext(siteId: string, text: string): Promise<void>;
  getSiteContext(siteId: string): Promise<string | null>;
}

export type AnnotationKind = "deploy" | "campaign" | "release" | "outage" | "other";

export interface NewAnnotation {
  siteId: string;
  /** A date (YYYY-MM-DD) or a datetime with offset, as given. */
  at: string;
  text: string;
  kind: AnnotationKind;
}

export interface Annotation extends NewAnnotation {
  id: string;
  /** The site-local calendar day the annotation falls on (YYYY-MM-DD). */
  date: string;
  /** Who added it: a member's email on /internal, absent elsewhere. */
  author?: string;
  createdAt: string;
}

export interface Target {
  siteId: string;
  metric: string;
  /** "YYYY-MM" or "YYYY-Qn". */
  period: string;
  value: number;
}

export const ANNOTATION_KINDS = ["deploy", "campaign", "release", "outage", "other"] as const satisfies readonly AnnotationKind[];
export const MAX_ANNOTATION_CHARS = 280;
export const MAX_SITE_CONTEXT_CHARS = 4000;
/** The metrics a target can be set for: counts that add up over a period, so "so far" and "the period's end" mean something. */
export const TARGET_METRICS = ["visitors", "visits", "pageviews", "events"] as const;
/** "YYYY-MM" or "YYYY-Qn". */
export const TARGET_PERIOD = /^\d{4}-(0[1-9]|1[0-2]|Q[1-4])$/;

/**
 * A write the caller may not make in this scope (on /internal: a target set by a member who is not an
 * administrator). Its message says who may, and how to get it done.
 */
export class TeamMemoryRefusal extends Error {
  override name = "TeamMemoryRefusal";
}
