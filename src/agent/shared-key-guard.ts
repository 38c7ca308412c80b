import { DurableObject } from "cloudflare:workers";
import { CircuitBreaker } from "./circuit-breaker";
import { sha256Hex } from "../shared/hash";
import { HourlyCount } from "./hourly-count";
import { applyMigrations, SHARED_KEY_GUARD_MIGRATIONS } from "./migrations";
import { readUsageConfig, type UsageConfig } from "../config";
import type { UsageFailure } from "./usage-outcome";

/** What became of one Plausible call made with the shared key. */
export type UpstreamReport = "answered" | "unavailable" | "rate_limited";

/**
 * `circuitClean`: the circuit had nothing on record when the call was admitted, so the call's success
 * need not be reported (a report costs every uncached call on the shared key a second round trip here).
 */
export type GuardAdmission =
  | { admitted: true; circuitClean: boolean }
  | { admitted: false; failure: Extract<UsageFailure, { kind: "circuit_open" | "shared_quota" }> };

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
  readonly #hours: HourlyCount;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#config = readUsageConfig(env);
    this.#circuit = new CircuitBreaker(this.#config.circuit);
    void ctx.blockConcurrencyWhile(async () => {
      applyMigrations(ctx.storage, SHARED_KEY_GUARD_MIGRATIONS);
    });
    this.#hours = new HourlyCount(ctx.storage.sql, "shared_key_hour");
  }

  /** Takes `count` requests from this hour's quota, all or none; refuses without taking any while the circuit is open. */
  admit(count: number): GuardAdmission {
    const now = Date.now();
    const circuit = this.#circuit.check(now);
    if (!circuit.admitted) return { admitted: false, failure: { kind: "circuit_open", retryAfterSeconds: circuit.retryAfterSeconds } };
    const taken = this.#take(count, now);
    if (taken.admitted) this.#circuit.admit(now);
    return taken;
  }

  /**
   * A further request of a call already admitted (its retry, the next page of a list): taken from
   * the hour's quota like any other, without asking the circuit again, since the call holds its admission.
   */
  admitFollowUp(): GuardAdmission {
    return this.#take(1, Date.now());
  }

  #take(count: number, now: number): GuardAdmission {
    const hour = this.#hours.current(now);
    const untilNextHour = this.#hours.secondsLeft(hour, now);
    const limit = this.#config.hourlyLimit;
    if (hour.closed)
      return {
        admitted: false,
        failure: { kind: "shared_quota", reason: "plausible_limit", retryAfterSeconds: untilNextHour, hourlyLimit: limit },
      };
    if (hour.used + count > limit)
      return {
        admitted: false,
        failure: { kind: "shared_quota", reason: "hourly_limit", retryAfterSeconds: untilNextHour, hourlyLimit: limit },
      };
    this.#hours.store({ ...hour, used: hour.used + count });
    return { admitted: true, circuitClean: this.#circuit.clean };
  }

  /**
   * Feeds an admitted call's outcome back: every failure, and a success when the call's admission said the
   * circuit was not clean (a success admitted before a failure says nothing of Plausible after it). Returns
   * the seconds until calls go through again after an unavailable answer (0 if they still do).
   */
  report(outcome: UpstreamReport): number {
    const now = Date.now();
    if (outcome === "unavailable") return this.#circuit.recordFailure(now);
    this.#circuit.recordSuccess();
    if (outcome === "rate_limited") {
      this.#hours.store({ ...this.#hours.current(now), closed: true });
    }
    return 0;
  }

  /** Calls taken this hour, the limit, and whether the circuit lets calls through now, for operators (/admin) and tests. */
  usage(): { used: number; limit: number; closed: boolean; circuit: { open: boolean; retryAfterSeconds: number } } {
    const now = Date.now();
    const hour = this.#hours.current(now);
    const circuit = this.#circuit.check(now);
    return {
      used: hour.used,
      limit: this.#config.hourlyLimit,
      closed: hour.closed,
      circuit: circuit.admitted ? { open: false, retryAfterSeconds: 0 } : { open: true, retryAfterSeconds: circuit.retryAfterSeconds },
    };
  }
}
