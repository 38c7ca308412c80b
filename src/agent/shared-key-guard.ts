import { DurableObject } from "cloudflare:workers";
import { CircuitBreaker } from "./circuit-breaker";
import { sha256Hex } from "./hash";
import { applyMigrations, SHARED_KEY_GUARD_MIGRATIONS } from "./migrations";
import { readUsageConfig, type UsageConfig } from "./usage-config";
import type { UsageFailure } from "./usage-outcome";

/** What became of one Plausible call made with the shared key. */
export type UpstreamReport = "answered" | "unavailable" | "rate_limited";

export type GuardAdmission = { admitted: true } | { admitted: false; failure: Extract<UsageFailure, { kind: "circuit_open" | "shared_quota" }> };

const HOUR_MS = 3_600_000;

/** The guard of a shared key is named after the key's digest: Plausible's limit is per key, and the key itself never names anything. */
export async function sharedKeyGuardName(sharedKey: string): Promise<string> {
  return `shared-${await sha256Hex(sharedKey)}`;
}

/**
 * One per shared Plausible key (/internal): every user's usage agent asks it
 * before calling Plausible. It counts the key's calls per UTC hour against
 * PLAUSIBLE_HOURLY_LIMIT and refuses before Plausible would; after a Plausible
 * 429 it stays closed until the hour turns. It also holds the shared key's
 * circuit, so when Plausible is down every user fails fast together.
 *
 * Each method is synchronous inside the object, so a check and its take can't
 * interleave: the count is exact under any concurrency. The count lives in
 * SQLite (it survives eviction); the circuit lives in memory (a restart only
 * costs one more failed call).
 */
export class SharedKeyGuard extends DurableObject<Env> {
  readonly #config: UsageConfig;
  readonly #circuit: CircuitBreaker;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#config = readUsageConfig(env as unknown as Record<string, unknown>);
    this.#circuit = new CircuitBreaker(this.#config.circuit);
    ctx.blockConcurrencyWhile(async () => {
      applyMigrations(ctx.storage, SHARED_KEY_GUARD_MIGRATIONS);
    });
  }

  /** Takes `count` calls from this hour's quota, all or none; refuses without taking any while the circuit is open. */
  admit(count: number): GuardAdmission {
    const now = Date.now();
    const circuit = this.#circuit.check(now);
    if (!circuit.admitted) return { admitted: false, failure: { kind: "circuit_open", retryAfterSeconds: circuit.retryAfterSeconds } };
    const hour = this.#currentHour(now);
    const untilNextHour = Math.max(1, Math.ceil((hour.startMs + HOUR_MS - now) / 1000));
    const limit = this.#config.hourlyLimit;
    if (hour.closed) return { admitted: false, failure: { kind: "shared_quota", reason: "plausible_limit", retryAfterSeconds: untilNextHour, hourlyLimit: limit } };
    if (hour.used + count > limit) return { admitted: false, failure: { kind: "shared_quota", reason: "hourly_limit", retryAfterSeconds: untilNextHour, hourlyLimit: limit } };
    this.#circuit.admit(now);
    this.#store(hour.startMs, hour.used + count, false);
    return { admitted: true };
  }

  /** Feeds an admitted call's outcome back. Returns the seconds until calls go through again after an unavailable answer (0 if they still do). */
  report(outcome: UpstreamReport): number {
    const now = Date.now();
    if (outcome === "unavailable") return this.#circuit.recordFailure(now);
    this.#circuit.recordSuccess();
    if (outcome === "rate_limited") {
      const hour = this.#currentHour(now);
      this.#store(hour.startMs, hour.used, true);
    }
    return 0;
  }

  /** Calls taken this hour and the limit, for operators and tests. */
  usage(): { used: number; limit: number; closed: boolean } {
    const hour = this.#currentHour(Date.now());
    return { used: hour.used, limit: this.#config.hourlyLimit, closed: hour.closed };
  }

  #currentHour(now: number): { startMs: number; used: number; closed: boolean } {
    const startMs = Math.floor(now / HOUR_MS) * HOUR_MS;
    const row = this.ctx.storage.sql
      .exec<{ hour_start_ms: number; used: number; closed: number }>("SELECT hour_start_ms, used, closed FROM shared_key_hour WHERE id = 1")
      .toArray()[0];
    if (!row || row.hour_start_ms !== startMs) return { startMs, used: 0, closed: false };
    return { startMs, used: row.used, closed: row.closed === 1 };
  }

  #store(startMs: number, used: number, closed: boolean): void {
    this.ctx.storage.sql.exec(
      "INSERT INTO shared_key_hour (id, hour_start_ms, used, closed) VALUES (1, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET hour_start_ms = excluded.hour_start_ms, used = excluded.used, closed = excluded.closed",
      startMs,
      used,
      closed ? 1 : 0,
    );
  }
}
