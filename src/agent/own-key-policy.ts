import type { Agent } from "agents";
import { PlausibleConfigError, type PlausibleClientOptions } from "../plausible";
import { sha256Hex } from "../shared/hash";
import type { UsageConfig } from "../config";
import { usageAgentName, type Admission, type AdmissionPolicy } from "./admission-policy";
import { CircuitBreaker } from "./circuit-breaker";
import { IdleExpiry } from "./idle-expiry";
import type { UpstreamReport } from "./shared-key-guard";
import type { TokenBucket } from "./token-bucket";
import { CircuitOpenError, RateLimitedError, toFailure } from "./usage-outcome";

/**
 * A caller's own API key (/mcp, /sse, /connect): the key's bucket and its own circuit admit a call,
 * and the agent removes itself after `AGENT_IDLE_SECONDS` without calls, so no state outlives a key's use.
 */
export class OwnKeyPolicy implements AdmissionPolicy {
  readonly scope = "key";
  readonly #circuit: CircuitBreaker;
  readonly #expiry: IdleExpiry;

  constructor(
    private readonly agent: Agent<Env>,
    private readonly bucket: TokenBucket,
    config: UsageConfig,
  ) {
    this.#circuit = new CircuitBreaker(config.circuit);
    this.#expiry = new IdleExpiry(agent, config.idleSeconds, {
      read: () => agent.sql<{ last_call_ms: number }>`SELECT last_call_ms FROM agent_activity WHERE id = 1`[0]?.last_call_ms,
      write: (ms) =>
        void agent.sql`INSERT INTO agent_activity (id, last_call_ms) VALUES (1, ${ms})
          ON CONFLICT (id) DO UPDATE SET last_call_ms = excluded.last_call_ms`,
    });
  }

  async apiKey(callerKey: string | undefined): Promise<string> {
    // The name is the key's digest: a caller can't use another key's bucket or cache.
    if (!callerKey || usageAgentName("key", await sha256Hex(callerKey)) !== this.agent.name) {
      throw new PlausibleConfigError("This usage agent belongs to a different API key.");
    }
    return callerKey;
  }

  admit(count: number, now: number): Admission {
    // The circuit is asked first, so failing fast costs no token.
    const circuit = this.#circuit.check(now);
    if (!circuit.admitted) return { refused: toFailure(new CircuitOpenError(circuit.retryAfterSeconds)) };
    const waitSeconds = this.bucket.take(count, now);
    if (waitSeconds > 0) return { refused: toFailure(new RateLimitedError(waitSeconds, "key")) };
    this.#circuit.admit(now);
    return { admission: Promise.resolve() };
  }

  async beforeSend(): Promise<void> {}

  clientOptions(options: PlausibleClientOptions): PlausibleClientOptions {
    return options;
  }

  async report(outcome: UpstreamReport): Promise<number> {
    if (outcome !== "unavailable") {
      this.#circuit.recordSuccess();
      return 0;
    }
    return this.#circuit.recordFailure();
  }

  // A key agent's cache goes with the agent when it is idle.
  async cached(): Promise<void> {}

  called(now: number): void {
    this.#expiry.touch(now);
  }

  /** The idle check's schedule callback. */
  async expireIfIdle(): Promise<void> {
    await this.#expiry.check();
  }
}
