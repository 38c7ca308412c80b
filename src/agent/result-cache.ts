/** SQLite rows are capped at 2 MB; larger answers are served but not kept. */
const MAX_ENTRY_BYTES = 1_500_000;

export interface CacheLimits {
  maxEntries: number;
  maxBytes: number;
}

/**
 * Plausible answers by request, in the agent's SQLite. Bounded by entry count
 * and total bytes; the oldest entries go first. Synchronous, like the bucket,
 * so a lookup and the decision that follows it see the same state.
 */
export class ResultCache {
  constructor(
    private readonly sql: SqlStorage,
    private readonly limits: CacheLimits,
  ) {}

  get(key: string, now = Date.now()): unknown {
    const row = this.sql.exec<{ body: string; expires_ms: number }>("SELECT body, expires_ms FROM result_cache WHERE cache_key = ?", key).toArray()[0];
    if (!row) return undefined;
    if (row.expires_ms <= now) {
      this.sql.exec("DELETE FROM result_cache WHERE cache_key = ?", key);
      return undefined;
    }
    return JSON.parse(row.body);
  }

  set(key: string, value: unknown, ttlSeconds: number, now = Date.now()): void {
    if (ttlSeconds <= 0) return;
    const body = JSON.stringify(value);
    const bytes = new TextEncoder().encode(body).byteLength;
    if (bytes > MAX_ENTRY_BYTES || bytes > this.limits.maxBytes) return;
    this.sql.exec(
      "INSERT OR REPLACE INTO result_cache (cache_key, body, bytes, stored_ms, expires_ms) VALUES (?, ?, ?, ?, ?)",
      key,
      body,
      bytes,
      now,
      now + ttlSeconds * 1000,
    );
    this.evict(now);
  }

  size(): { entries: number; bytes: number } {
    return this.sql.exec<{ entries: number; bytes: number }>("SELECT COUNT(*) AS entries, COALESCE(SUM(bytes), 0) AS bytes FROM result_cache").one();
  }

  private evict(now: number): void {
    this.sql.exec("DELETE FROM result_cache WHERE expires_ms <= ?", now);
    let { entries, bytes } = this.size();
    while (entries > this.limits.maxEntries || bytes > this.limits.maxBytes) {
      const oldest = this.sql.exec<{ cache_key: string; bytes: number }>("SELECT cache_key, bytes FROM result_cache ORDER BY stored_ms, rowid LIMIT 1").one();
      this.sql.exec("DELETE FROM result_cache WHERE cache_key = ?", oldest.cache_key);
      entries -= 1;
      bytes -= oldest.bytes;
    }
  }
}
