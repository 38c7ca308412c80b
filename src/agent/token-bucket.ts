/**
 * A token bucket kept in the agent's SQLite. Every method is synchronous, so
 * inside a Durable Object a check and its take can't interleave with another
 * call: the bucket is exact under any concurrency.
 */
export class TokenBucket {
  constructor(
    private readonly sql: SqlStorage,
    private readonly capacity: number,
    private readonly refillPerMinute: number,
  ) {}

  /** Takes `count` tokens, all or none. Returns 0 on success, else the seconds until enough have refilled. */
  take(count: number, now = Date.now()): number {
    const tokens = this.available(now);
    if (tokens >= count) {
      this.store(tokens - count, now);
      return 0;
    }
    this.store(tokens, now);
    return Math.max(1, Math.ceil(((count - tokens) * 60) / this.refillPerMinute));
  }

  /** Gives back tokens taken for requests that were then not sent (up to the capacity). */
  refund(count: number, now = Date.now()): void {
    this.store(Math.min(this.capacity, this.available(now) + count), now);
  }

  available(now = Date.now()): number {
    const row = this.sql
      .exec<{ tokens: number; updated_ms: number }>("SELECT tokens, updated_ms FROM token_bucket WHERE id = 1")
      .toArray()[0];
    if (!row) return this.capacity;
    const refilled = row.tokens + ((now - row.updated_ms) * this.refillPerMinute) / 60_000;
    return Math.min(this.capacity, refilled);
  }

  private store(tokens: number, now: number): void {
    this.sql.exec(
      "INSERT INTO token_bucket (id, tokens, updated_ms) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE " +
        "SET tokens = excluded.tokens, updated_ms = excluded.updated_ms",
      tokens,
      now,
    );
  }
}
