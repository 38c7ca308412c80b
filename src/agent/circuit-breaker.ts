/** When to stop calling a failing Plausible, and for how long. */
export interface CircuitSettings {
  /** Unavailable answers (each already retried once by the client) within `windowSeconds` that open the circuit. */
  failureThreshold: number;
  windowSeconds: number;
  /** How long calls fail fast once it is open, before one probe call is let through. */
  coolingOffSeconds: number;
}

/** How long a probe may stay unreported before another caller may probe: more than two client attempts with their backoff. */
const PROBE_LEASE_MS = 45_000;
/** What a caller turned away while a probe is under way is told: the probe usually settles within a few seconds. */
const PROBE_PENDING_RETRY_SECONDS = 5;

export type Admission = { admitted: true } | { admitted: false; retryAfterSeconds: number };

/**
 * A circuit breaker over Plausible calls, kept in memory (a restart closes it,
 * which only costs one more failed call). Every method is synchronous, so
 * inside a Durable Object an admission and its bookkeeping can't interleave.
 *
 * Closed: calls pass; unavailable answers are counted in a sliding window.
 * Open: calls fail fast until the cooling-off period ends. Then one call is
 * admitted as a probe (half-open); its success closes the circuit, its
 * failure opens it for another cooling-off period.
 */
export class CircuitBreaker {
  #failuresMs: number[] = [];
  #openUntilMs = 0;
  #probeStartedMs: number | undefined;

  constructor(private readonly settings: CircuitSettings) {}

  /** Whether a call may go to Plausible now, without claiming anything. */
  check(now = Date.now()): Admission {
    if (now < this.#openUntilMs) return { admitted: false, retryAfterSeconds: Math.max(1, Math.ceil((this.#openUntilMs - now) / 1000)) };
    if (this.#probeStartedMs !== undefined && now - this.#probeStartedMs < PROBE_LEASE_MS) {
      return { admitted: false, retryAfterSeconds: PROBE_PENDING_RETRY_SECONDS };
    }
    return { admitted: true };
  }

  /** Like `check`, and when the call is admitted after cooling off, it becomes the probe. */
  admit(now = Date.now()): Admission {
    const admission = this.check(now);
    if (admission.admitted && this.#openUntilMs > 0) this.#probeStartedMs = now;
    return admission;
  }

  /**
   * Nothing on record for a success to clear: no unavailable answer kept (one past the window counts until
   * a success or the next failure drops it), not open, no probe under way.
   */
  get clean(): boolean {
    return this.#failuresMs.length === 0 && this.#openUntilMs === 0 && this.#probeStartedMs === undefined;
  }

  /** Plausible answered (any status it chose to send): it is up. */
  recordSuccess(): void {
    this.#failuresMs = [];
    this.#openUntilMs = 0;
    this.#probeStartedMs = undefined;
  }

  /** Plausible was unavailable. Returns the seconds until calls go through again (0 while the circuit stays closed). */
  recordFailure(now = Date.now()): number {
    const probing = this.#probeStartedMs !== undefined;
    const windowStart = now - this.settings.windowSeconds * 1000;
    this.#failuresMs = this.#failuresMs.filter((at) => at > windowStart);
    this.#failuresMs.push(now);
    if (probing || this.#failuresMs.length >= this.settings.failureThreshold) {
      this.#openUntilMs = now + this.settings.coolingOffSeconds * 1000;
      this.#probeStartedMs = undefined;
      this.#failuresMs = [];
    }
    return now < this.#openUntilMs ? Math.ceil((this.#openUntilMs - now) / 1000) : 0;
  }
}
