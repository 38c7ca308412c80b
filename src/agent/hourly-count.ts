const HOUR_MS = 3_600_000;

export interface Hour {
  startMs: number;
  used: number;
  /** Closed for the rest of the hour (Plausible answered 429 to the shared key). */
  closed: boolean;
}

/**
 * Plausible requests counted per UTC hour in one SQLite row: the team's shared key in its guard,
 * and each member's share of it in the member's usage agent. The table is
 * `(id = 1, hour_start_ms, used, closed)`, made by that object's migrations.
 */
export class HourlyCount {
  constructor(
    private readonly sql: SqlStorage,
    private readonly table: "shared_key_hour" | "member_hour",
  ) {}

  current(now: number): Hour {
    const startMs = Math.floor(now / HOUR_MS) * HOUR_MS;
    const row = this.sql
      .exec<{ hour_start_ms: number; used: number; closed: number }>(`SELECT hour_start_ms, used, closed FROM ${this.table} WHERE id = 1`)
      .toArray()[0];
    if (!row || row.hour_start_ms !== startMs) return { startMs, used: 0, closed: false };
    return { startMs, used: row.used, closed: row.closed === 1 };
  }

  /** Seconds until the hour of `hour` turns, at least 1. */
  secondsLeft(hour: Hour, now: number): number {
    return Math.max(1, Math.ceil((hour.startMs + HOUR_MS - now) / 1000));
  }

  store(hour: Hour): void {
    this.sql.exec(
      `INSERT INTO ${this.table} (id, hour_start_ms, used, closed) VALUES (1, ?, ?, ?) ON CONFLICT ` +
        "(id) DO UPDATE SET hour_start_ms = excluded.hour_start_ms, used = excluded.used, closed = " +
        "excluded.closed",
      hour.startMs,
      hour.used,
      hour.closed ? 1 : 0,
    );
  }
}
