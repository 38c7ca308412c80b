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
 * (`audit_log`, migrations/0002_audit.sql). `prune` removes records past the retention
 * period; the agent schedules it for when the oldest record falls due, so records are removed
 * on time even for a member who never calls again.
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
  }

  /** Deletes the records older than the retention period; returns `dueAt()` for what is left. */
  prune(now = Date.now()): number | undefined {
    this.sql.exec("DELETE FROM audit_log WHERE at_ms < ?", now - this.retentionDays * DAY_MS);
    return this.dueAt();
  }

  /** When the oldest record passes the retention period (epoch ms); undefined when there is none. */
  dueAt(): number | undefined {
    const oldest = this.sql.exec<{ at_ms: number | null }>("SELECT MIN(at_ms) AS at_ms FROM audit_log").one().at_ms;
    return oldest === null ? undefined : oldest + this.retentionDays * DAY_MS;
  }
}

function siteOf(request: PlausibleRequest): string | null {
  if (request.kind === "query") return request.body.site_id;
  return "siteId" in request ? request.siteId : null;
}
