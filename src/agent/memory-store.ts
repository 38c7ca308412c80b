import { DurableObject } from "cloudflare:workers";
import { applyMigrations, MEMORY_STORE_MIGRATIONS } from "./migrations";
import {
  ANNOTATION_KINDS,
  MAX_ANNOTATION_CHARS,
  MAX_SITE_CONTEXT_CHARS,
  TARGET_METRICS,
  TARGET_PERIOD,
  type Annotation,
  type AnnotationKind,
  type NewAnnotation,
  type Target,
} from "../tools/team-memory";

/** Whose memory an object holds: the team behind the shared key (/internal), or one API key (by its digest). */
export type MemoryScope = { kind: "team" } | { kind: "key"; keyDigest: string };

/** The object's name: never the key itself, only its digest. */
export function memoryStoreName(scope: MemoryScope): string {
  return scope.kind === "team" ? "team" : `key-${scope.keyDigest}`;
}

/**
 * Who writes: on /internal a member (email) who may be an administrator; elsewhere the key's holder,
 * who may do everything in the key's own memory.
 */
export type MemoryActor = { kind: "member"; email: string; admin: boolean } | { kind: "holder" };

/** A write refused, with what to do instead: the argument at fault, or why this caller may not write it now. */
export type MemoryProblem = { argument: string; reason: string } | { refused: string };
export type Stored<T> = { ok: true; value: T } | { ok: false; problem: MemoryProblem };

/** Everything one scope holds about one site, for /admin. */
export interface SiteMemory {
  siteId: string;
  annotations: Annotation[];
  targets: (Target & { setBy?: string })[];
  context: string | null;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DATETIME_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const MAX_SITE_ID_CHARS = 253;
/**
 * Most rows one scope keeps per table. Team memory calls never reach Plausible, so no usage agent
 * limits them; these caps bound what any key (a made-up one included) can make the server store.
 */
export const MEMORY_LIMITS = { annotations: 5000, targets: 2000, site_context: 500 } as const;

interface AnnotationRow extends Record<string, SqlStorageValue> {
  id: string;
  site_id: string;
  at: string;
  day: string;
  text: string;
  kind: string;
  author: string | null;
  created_ms: number;
}

function annotationOf(row: AnnotationRow): Annotation {
  return {
    id: row.id,
    siteId: row.site_id,
    at: row.at,
    date: row.day,
    text: row.text,
    kind: row.kind as AnnotationKind,
    ...(row.author === null ? {} : { author: row.author }),
    createdAt: new Date(row.created_ms).toISOString(),
  };
}

const refuse = (argument: string, reason: string): { ok: false; problem: MemoryProblem } => ({ ok: false, problem: { argument, reason } });

function siteIdProblem(siteId: string) {
  return siteId.trim().length === 0 || siteId.length > MAX_SITE_ID_CHARS
    ? refuse("site_id", "give the site's domain as registered in Plausible, e.g. example.com (list_sites names them)")
    : undefined;
}

/** Checks an annotation before it is stored; the tools' schemas check the same, so a model rarely meets these. */
function annotationProblem(annotation: NewAnnotation) {
  if (!DATE.test(annotation.at) && !DATETIME_WITH_OFFSET.test(annotation.at))
    return refuse("date", `"${annotation.at}" is neither a date "2026-05-14" nor a datetime with offset "2026-05-14T15:30:00+02:00"`);
  if (Number.isNaN(Date.parse(annotation.at))) return refuse("date", `"${annotation.at}" is not a real day or time`);
  const text = annotation.text.trim();
  if (text.length === 0) return refuse("text", 'say what happened, e.g. "Deployed the new pricing page"');
  if (text.length > MAX_ANNOTATION_CHARS)
    return refuse("text", `${text.length} characters; shorten it to ${MAX_ANNOTATION_CHARS} or fewer (put the details in site context)`);
  if (!(ANNOTATION_KINDS as readonly string[]).includes(annotation.kind))
    return refuse("kind", `"${annotation.kind}" is not a kind: use one of ${ANNOTATION_KINDS.join(", ")}`);
  return siteIdProblem(annotation.siteId);
}

function targetProblem(target: Target) {
  if (!(TARGET_METRICS as readonly string[]).includes(target.metric))
    return refuse("metric", `targets are set for ${TARGET_METRICS.join(", ")}; "${target.metric}" is not one of them`);
  if (!TARGET_PERIOD.test(target.period)) return refuse("period", `"${target.period}": give a month "2026-05" or a quarter "2026-Q2"`);
  if (!Number.isFinite(target.value) || target.value <= 0) return refuse("value", "give the period's total as a positive number");
  return siteIdProblem(target.siteId);
}

/** The calendar day an annotation falls on: the date as written (a datetime's own offset is taken as the site's). */
function annotationDay(at: string): string {
  return at.slice(0, 10);
}

const authorOf = (actor: MemoryActor) => (actor.kind === "member" ? actor.email : null);

/**
 * One scope's team memory (see `memoryStoreName`): annotations, targets and site context in SQLite.
 * Each method runs synchronously inside the object, so "is it there yet" and "store it" cannot interleave.
 * Permissions are decided here, from the actor the caller's endpoint vouches for.
 */
export class MemoryStore extends DurableObject<Env> {
  readonly #sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#sql = ctx.storage.sql;
    void ctx.blockConcurrencyWhile(async () => {
      applyMigrations(ctx.storage, MEMORY_STORE_MIGRATIONS);
    });
  }

  addAnnotation(annotation: NewAnnotation, actor: MemoryActor): Stored<{ annotation: Annotation; created: boolean }> {
    const given = { ...annotation, text: annotation.text.trim() };
    const problem = annotationProblem(given);
    if (problem) return problem;
    const existing = this.#sql
      .exec<AnnotationRow>(
        "SELECT * FROM annotations WHERE site_id = ? AND at = ? AND text = ? AND kind = ?",
        given.siteId,
        given.at,
        given.text,
        given.kind,
      )
      .toArray()[0];
    if (existing) return { ok: true, value: { annotation: annotationOf(existing), created: false } };
    const full = this.#full("annotations", "delete old ones (list_annotations, delete_annotation) first");
    if (full) return full;
    const id = `ann_${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;
    this.#sql.exec(
      "INSERT INTO annotations (id, site_id, at, day, text, kind, author, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      id,
      given.siteId,
      given.at,
      annotationDay(given.at),
      given.text,
      given.kind,
      authorOf(actor),
      Date.now(),
    );
    return { ok: true, value: { annotation: this.getAnnotation(id)!, created: true } };
  }

  listAnnotations(siteId: string, from: string, to: string): Annotation[] {
    return this.#sql
      .exec<AnnotationRow>("SELECT * FROM annotations WHERE site_id = ? AND day BETWEEN ? AND ? ORDER BY at, created_ms", siteId, from, to)
      .toArray()
      .map(annotationOf);
  }

  getAnnotation(id: string): Annotation | null {
    const row = this.#sql.exec<AnnotationRow>("SELECT * FROM annotations WHERE id = ?", id).toArray()[0];
    return row ? annotationOf(row) : null;
  }

  /** On /internal only the member who added an annotation, or an administrator, deletes it. */
  deleteAnnotation(id: string, actor: MemoryActor): { deleted: boolean; refused?: "not_author" | "not_found" } {
    const annotation = this.getAnnotation(id);
    if (!annotation) return { deleted: false, refused: "not_found" };
    if (actor.kind === "member" && !actor.admin && annotation.author !== actor.email) return { deleted: false, refused: "not_author" };
    this.#sql.exec("DELETE FROM annotations WHERE id = ?", id);
    return { deleted: true };
  }

  /** On /internal only administrators set targets: a target is the team's, not one member's. */
  setTarget(target: Target, actor: MemoryActor): Stored<Target> {
    if (actor.kind === "member" && !actor.admin)
      return {
        ok: false,
        problem: {
          refused:
            "Only an administrator (ADMIN_EMAILS) sets the team's targets; " +
            `ask one to set ${target.metric} for ${target.period} (on /admin or here)`,
        },
      };
    const problem = targetProblem(target);
    if (problem) return problem;
    if (!this.getTarget(target.siteId, target.metric, target.period)) {
      const full = this.#full("targets", "change an existing target instead");
      if (full) return full;
    }
    this.#sql.exec(
      `INSERT INTO targets (site_id, metric, period, value, set_by, updated_ms) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (site_id, metric, period)
       DO UPDATE SET value = excluded.value, set_by = excluded.set_by, updated_ms = excluded.updated_ms`,
      target.siteId,
      target.metric,
      target.period,
      target.value,
      authorOf(actor),
      Date.now(),
    );
    return { ok: true, value: { siteId: target.siteId, metric: target.metric, period: target.period, value: target.value } };
  }

  getTarget(siteId: string, metric: string, period: string): Target | null {
    const row = this.#sql
      .exec<{ value: number }>("SELECT value FROM targets WHERE site_id = ? AND metric = ? AND period = ?", siteId, metric, period)
      .toArray()[0];
    return row ? { siteId, metric, period, value: row.value } : null;
  }

  deleteTarget(siteId: string, metric: string, period: string, actor: MemoryActor): boolean {
    if (actor.kind === "member" && !actor.admin) return false;
    return this.#sql.exec("DELETE FROM targets WHERE site_id = ? AND metric = ? AND period = ?", siteId, metric, period).rowsWritten > 0;
  }

  setSiteContext(siteId: string, text: string, actor: MemoryActor): Stored<null> {
    const notes = text.trim();
    if (notes.length > MAX_SITE_CONTEXT_CHARS)
      return refuse("text", `${notes.length} characters; keep site context to ${MAX_SITE_CONTEXT_CHARS} (the model reads it whole)`);
    const problem = siteIdProblem(siteId);
    if (problem) return problem;
    if (notes.length > 0 && this.getSiteContext(siteId) === null) {
      const full = this.#full("site_context", "clear the context of a site no longer analysed first");
      if (full) return full;
    }
    if (notes.length === 0) this.#sql.exec("DELETE FROM site_context WHERE site_id = ?", siteId);
    else
      this.#sql.exec(
        `INSERT INTO site_context (site_id, text, set_by, updated_ms) VALUES (?, ?, ?, ?)
         ON CONFLICT (site_id) DO UPDATE SET text = excluded.text, set_by = excluded.set_by, updated_ms = excluded.updated_ms`,
        siteId,
        notes,
        authorOf(actor),
        Date.now(),
      );
    return { ok: true, value: null };
  }

  /** A refusal when `table` holds its most rows, saying what to do instead. */
  #full(table: keyof typeof MEMORY_LIMITS, instead: string) {
    const { rows } = this.#sql.exec<{ rows: number }>(`SELECT COUNT(*) AS rows FROM ${table}`).one();
    const kept = table === "site_context" ? "site contexts" : table;
    if (rows < MEMORY_LIMITS[table]) return undefined;
    return { ok: false as const, problem: { refused: `This memory already keeps ${MEMORY_LIMITS[table]} ${kept}; ${instead}.` } };
  }

  getSiteContext(siteId: string): string | null {
    return this.#sql.exec<{ text: string }>("SELECT text FROM site_context WHERE site_id = ?", siteId).toArray()[0]?.text ?? null;
  }

  /** Every site this scope holds anything about, with all of it (newest annotations first, at most `limit` per site): /admin's view. */
  overview(limit = 100): SiteMemory[] {
    const sites = this.#sql
      .exec<{ site_id: string }>(
        "SELECT site_id FROM annotations UNION SELECT site_id FROM targets UNION SELECT site_id FROM site_context ORDER BY site_id",
      )
      .toArray();
    return sites.map(({ site_id: siteId }) => ({
      siteId,
      annotations: this.#sql
        .exec<AnnotationRow>("SELECT * FROM annotations WHERE site_id = ? ORDER BY at DESC LIMIT ?", siteId, limit)
        .toArray()
        .map(annotationOf),
      targets: this.#sql
        .exec<{ metric: string; period: string; value: number; set_by: string | null }>(
          "SELECT metric, period, value, set_by FROM targets WHERE site_id = ? ORDER BY period DESC, metric",
          siteId,
        )
        .toArray()
        .map((row) => ({ siteId, metric: row.metric, period: row.period, value: row.value, ...(row.set_by ? { setBy: row.set_by } : {}) })),
      context: this.getSiteContext(siteId),
    }));
  }
}
