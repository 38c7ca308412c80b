import { sha256Hex } from "../shared/hash";
import { DAY_MS } from "../shared/time";
import { canonicalJson, type PlausibleRequest } from "../plausible";
import { toAuditRecord, type AuditRecord, type AuditRow } from "./audit-record";

/** A member's use of the shared key as their audit records show it (admin actions excluded). */
export interface MemberActivity {
  firstUseMs: number | null;
  lastUseMs: number | null;
  callsThisHour: number;
  callsToday: number;
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

  /** An administrator's action on this member (e.g. revoking their access), in the same trail. */
  recordAdminAction(adminEmail: string, action: string, now = Date.now()): void {
    this.sql.exec(
      "INSERT INTO audit_log (at_ms, user_email, tool, site_id, query_hash) VALUES (?, ?, ?, NULL, '')",
      now,
      adminEmail,
      action,
    );
  }

  /** A digest or alert sent to a webhook as this member (their subscription), with how it ended and after how many tries. */
  recordDelivery(email: string, kind: string, siteId: string, status: string, attempts: number, now = Date.now()): void {
    this.sql.exec(
      "INSERT INTO audit_log (at_ms, user_email, tool, site_id, query_hash, status, attempts) VALUES (?, ?, ?, ?, '', ?, ?)",
      now,
      email,
      `digest:${kind}`,
      siteId,
      status,
      attempts,
    );
  }

  /** The records from `fromMs` (inclusive) to `toMs` (exclusive), oldest first. */
  between(fromMs: number, toMs: number): AuditRecord[] {
    return this.sql
      .exec<AuditRow>(
        "SELECT at_ms, user_email, tool, site_id, query_hash, status, attempts FROM audit_log " +
          "WHERE at_ms >= ? AND at_ms < ? ORDER BY at_ms, id",
        fromMs,
        toMs,
      )
      .toArray()
      .map(toAuditRecord);
  }

  /** First and last recorded use and the requests recorded this UTC hour and today, from the member's own records. */
  activity(now = Date.now()): MemberActivity {
    const hourStart = Math.floor(now / 3_600_000) * 3_600_000;
    const dayStart = Math.floor(now / DAY_MS) * DAY_MS;
    const row = this.sql
      .exec<{ first_ms: number | null; last_ms: number | null; hour: number; today: number }>(
        "SELECT MIN(at_ms) AS first_ms, MAX(at_ms) AS last_ms, COUNT(CASE WHEN at_ms >= ? THEN 1 END) AS " +
          "hour, COUNT(CASE WHEN at_ms >= ? THEN 1 END) AS today FROM audit_log WHERE query_hash != ''",
        hourStart,
        dayStart,
      )
      .one();
    return { firstUseMs: row.first_ms, lastUseMs: row.last_ms, callsThisHour: row.hour, callsToday: row.today };
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
