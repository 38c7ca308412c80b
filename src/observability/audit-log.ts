import { sha256Hex } from "../agent/hash";
import { canonicalJson, type PlausibleRequest } from "../plausible";

const DAY_MS = 86_400_000;

/** How many days audit records are kept (`AUDIT_RETENTION_DAYS`, default 90). */
export function auditRetentionDays(env: Partial<Record<string, unknown>>): number {
  const raw = typeof env.AUDIT_RETENTION_DAYS === "string" ? env.AUDIT_RETENTION_DAYS.trim() : "";
  if (raw === "") return 90;
  const days = Number(raw);
  if (!Number.isInteger(days) || days <= 0) throw new Error(`AUDIT_RETENTION_DAYS must be a positive whole number of days, got "${raw}"`);
  return days;
}

/**
 * Who used the shared Plausible key, kept in the member's usage agent
 * (`audit_log`, migrations/0002_audit.sql). Each write also drops records older
 * than the retention period, so the table never outgrows it.
 */
export class AuditLog {
  constructor(
    private readonly sql: SqlStorage,
    private readonly retentionDays: number,
  ) {}

  async record(email: string, tool: string, request: PlausibleRequest, now = Date.now()): Promise<void> {
    const queryHash = await sha256Hex(canonicalJson(request));
    this.sql.exec(
      "INSERT INTO audit_log (at_ms, user_email, tool, site_id, query_hash) VALUES (?, ?, ?, ?, ?)",
      now,
      email,
      tool,
      siteOf(request),
      queryHash,
    );
    this.sql.exec("DELETE FROM audit_log WHERE at_ms < ?", now - this.retentionDays * DAY_MS);
  }
}

function siteOf(request: PlausibleRequest): string | null {
  if (request.kind === "query") return request.body.site_id;
  return "siteId" in request ? request.siteId : null;
}
