/**
 * The shared key's audit trail as it leaves storage: one record per Plausible
 * call made for a member on /internal. No imports, so the Node export script
 * (scripts/audit-export.ts) reads the same rows the usage agent writes.
 */
export interface AuditRecord {
  /** ISO 8601 time the call was sent to Plausible. */
  at: string;
  email: string;
  tool: string;
  /** The site asked about; absent for the sites listing. */
  site_id: string | null;
  /** SHA-256 of the request as sent (canonical JSON): equal queries have equal hashes, and the query itself is not kept. */
  query_hash: string;
  /** Only on a webhook delivery (tool "digest:<kind>"): how it ended ("delivered", "failed" or "skipped") and after how many tries. */
  status?: string;
  attempts?: number;
}

export type AuditRow = {
  at_ms: number;
  user_email: string;
  tool: string;
  site_id: string | null;
  query_hash: string;
  status: string | null;
  attempts: number | null;
};

/**
 * Oldest first; with a parameter, only the records of that email (compared case-insensitively).
 * `withDeliveries`: the table has migration 0004's columns (an agent not started since has not).
 */
export function auditSelectSql(byEmail: boolean, withDeliveries = true): string {
  const delivery = withDeliveries ? "status, attempts" : "NULL AS status, NULL AS attempts";
  return (
    `SELECT at_ms, user_email, tool, site_id, query_hash, ${delivery} FROM ` +
    `audit_log${byEmail ? " WHERE lower(user_email) = lower(?)" : ""} ORDER BY at_ms, id`
  );
}

export function toAuditRecord(row: AuditRow): AuditRecord {
  return {
    at: new Date(row.at_ms).toISOString(),
    email: row.user_email,
    tool: row.tool,
    site_id: row.site_id,
    query_hash: row.query_hash,
    ...(row.status === null ? {} : { status: row.status }),
    ...(row.attempts === null ? {} : { attempts: row.attempts }),
  };
}
