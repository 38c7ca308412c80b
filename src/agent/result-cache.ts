/** SQLite rows are capped at 2 MB; larger answers are served but not kept. */
const MAX_ENTRY_BYTES = 1_500_000;

export interface CacheLimits {
  maxEntries: number;
  maxBytes: number;
}

type Totals = {
  entries: number;
  bytes: number;
};

/**
 * Plausible answers by request, in the agent's SQLite. Bounded by entry count
 * and total bytes; expired entries go first, then the oldest. Synchronous, like
 * the bucket, so a lookup and the decision that follows it see the same state.
 * The totals are counted once per instance and then kept in step with each write
 * (this class is the only writer), so an insert costs no scan of the table.
 */
export class ResultCache {
  #totals?: Totals;

  constructor(
    private readonly sql: SqlStorage,
    private readonly limits: CacheLimits,
  ) {}

  /** The answer as the JSON text it is kept as, or undefined when there is none or it expired. */
  getJson(key: string, now = Date.now()): string | undefined {
    const row = this.sql
      .exec<{ body: string; expires_ms: number }>("SELECT body, expires_ms FROM result_cache WHERE cache_key = ?", key)
      .toArray()[0];
    if (!row) return undefined;
    if (row.expires_ms <= now) {
      this.#forget(this.sql.exec<{ bytes: number }>("DELETE FROM result_cache WHERE cache_key = ? RETURNING bytes", key).toArray());
      return undefined;
    }
    return row.body;
  }

  /** Keeps an answer given as its JSON text. */
  setJson(key: string, body: string, ttlSeconds: number, now = Date.now()): void {
    if (ttlSeconds <= 0) return;
    const bytes = new TextEncoder().encode(body).byteLength;
    if (bytes > MAX_ENTRY_BYTES || bytes > this.limits.maxBytes) return;
    const totals = this.size();
    const replaced = this.sql.exec<{ bytes: number }>("SELECT bytes FROM result_cache WHERE cache_key = ?", key).toArray()[0];
    this.sql.exec(
      "INSERT OR REPLACE INTO result_cache (cache_key, body, bytes, stored_ms, expires_ms) VALUES (?, ?, ?, ?, ?)",
      key,
      body,
      bytes,
      now,
      now + ttlSeconds * 1000,
    );
    totals.entries += replaced ? 0 : 1;
    totals.bytes += bytes - (replaced?.bytes ?? 0);
    if (this.#overLimits()) this.#evict(now);
  }

  /** Removes every entry: the answers were given to a key Plausible no longer accepts. */
  clear(): void {
    this.sql.exec("DELETE FROM result_cache");
    this.#totals = { entries: 0, bytes: 0 };
  }

  /** Removes the expired entries; returns when the next one expires, or undefined when none is left. */
  prune(now = Date.now()): number | undefined {
    this.#forget(this.sql.exec<{ bytes: number }>("DELETE FROM result_cache WHERE expires_ms <= ? RETURNING bytes", now).toArray());
    return this.sql.exec<{ next: number | null }>("SELECT MIN(expires_ms) AS next FROM result_cache").one().next ?? undefined;
  }

  size(): Totals {
    this.#totals ??= this.sql.exec<Totals>("SELECT COUNT(*) AS entries, COALESCE(SUM(bytes), 0) AS bytes FROM result_cache").one();
    return this.#totals;
  }

  #overLimits(): boolean {
    const { entries, bytes } = this.size();
    return entries > this.limits.maxEntries || bytes > this.limits.maxBytes;
  }

  #forget(removed: Array<{ bytes: number }>): void {
    const totals = this.size();
    for (const row of removed) {
      totals.entries -= 1;
      totals.bytes -= row.bytes;
    }
  }

  #evict(now: number): void {
    this.prune(now);
    while (this.#overLimits()) {
      const oldest = this.sql.exec<{ cache_key: string }>("SELECT cache_key FROM result_cache ORDER BY stored_ms, rowid LIMIT 1").one();
      this.#forget(
        this.sql.exec<{ bytes: number }>("DELETE FROM result_cache WHERE cache_key = ? RETURNING bytes", oldest.cache_key).toArray(),
      );
    }
  }
}
