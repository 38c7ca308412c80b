import { Agent } from "agents";
import {
  canonicalJson,
  parsePlausibleBaseUrl,
  PlausibleApiError,
  PlausibleClient,
  type PlausibleClientOptions,
  PlausibleUnavailableError,
  type PlausibleRequest,
} from "../plausible";
import type { MemberActivity } from "../observability/audit-log";
import type { AuditRecord } from "../observability/audit-record";
import type { CallAttribution } from "../observability/tool-call";
import type { AdmissionPolicy } from "./admission-policy";
import { cacheTtlSeconds } from "./cache-policy";
import { applyMigrations } from "./migrations";
import { OwnKeyPolicy } from "./own-key-policy";
import { ResultCache } from "./result-cache";
import { SharedKeyPolicy } from "./shared-key-policy";
import { TokenBucket } from "./token-bucket";
import { readPlausibleSettings, readUsageConfig, type UsageConfig } from "../config";
import { SharedQuotaError, toFailure, UpstreamUnavailableError, type UsageOutcome } from "./usage-outcome";

export { usageAgentName } from "./admission-policy";

/**
 * One per API key or signed-in user: the token bucket and the result cache
 * that all of that key's or user's MCP requests and sessions share, and the
 * only place that talks to Plausible. Everything that differs between a key's
 * own agent and a member's agent on the shared key is its admission policy,
 * chosen once from the agent's name.
 */
export class UsageAgent extends Agent<Env> {
  readonly #config: UsageConfig;
  readonly #bucket: TokenBucket;
  readonly #cache: ResultCache;
  /** Identical requests in flight share one Plausible call; its answer as JSON text. */
  readonly #inflight = new Map<string, Promise<string>>();
  /** Answers already sent and about to be cached (see `#fetchOnce`): served as cache hits until they are. */
  readonly #unwritten = new Map<string, string>();
  #chosenPolicy?: OwnKeyPolicy | SharedKeyPolicy;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#config = readUsageConfig(env);
    void ctx.blockConcurrencyWhile(async () => {
      applyMigrations(ctx.storage);
    });
    this.#bucket = new TokenBucket(ctx.storage.sql, this.#config.burst, this.#config.refillPerMinute);
    this.#cache = new ResultCache(ctx.storage.sql, { maxEntries: this.#config.cacheMaxEntries, maxBytes: this.#config.cacheMaxBytes });
  }

  /** The name (read on first use: an agent learns it with its first call) says whose agent this is. */
  get #policy(): OwnKeyPolicy | SharedKeyPolicy {
    this.#chosenPolicy ??= this.name.startsWith("key-")
      ? new OwnKeyPolicy(this, this.#bucket, this.#config)
      : new SharedKeyPolicy(this, this.env, this.ctx.storage.sql, this.#bucket, this.#cache, this.#config);
    return this.#chosenPolicy;
  }

  /**
   * Answers Plausible requests: from the cache when fresh, otherwise from Plausible once the policy has
   * admitted every request it has to send (all or none). `apiKey` is the caller's own key on a key agent;
   * a user agent uses the shared key. A refusal (bucket, member share, circuit, shared quota) costs no
   * Plausible call. Each answer comes as the JSON text the cache keeps (`parseAnswers` reads them): a string
   * crosses the RPC for a fraction of what cloning a parsed answer costs (a long series is thousands of objects).
   */
  async runAsJson(requests: PlausibleRequest[], apiKey?: string, call?: CallAttribution): Promise<UsageOutcome<string>> {
    const policy: AdmissionPolicy = this.#policy;
    let clientOptions: PlausibleClientOptions;
    let baseUrl: URL;
    try {
      baseUrl = parsePlausibleBaseUrl(readPlausibleSettings(this.env).baseUrl);
      clientOptions = { baseUrl, apiKey: await policy.apiKey(apiKey), maxResponseBytes: this.#config.maxResponseBytes };
    } catch (error) {
      return { ok: false, failure: toFailure(error) };
    }
    const keys = requests.map((request) => `${baseUrl.href} ${canonicalJson(request)}`);

    // From here to the admission decision nothing awaits, so concurrent calls can't race the bucket.
    const now = Date.now();
    const answers: Promise<string>[] = [];
    const toFetch: number[] = [];
    let cacheHits = 0;
    keys.forEach((key, index) => {
      const cached = this.#cache.getJson(key, now) ?? this.#unwritten.get(key);
      const inflight = this.#inflight.get(key);
      if (cached !== undefined) {
        cacheHits += 1;
        answers[index] = Promise.resolve(cached);
      } else if (inflight) {
        answers[index] = inflight;
      } else {
        toFetch.push(index);
      }
    });
    let admission = Promise.resolve();
    if (toFetch.length > 0) {
      const admitted = policy.admit(toFetch.length, now);
      if ("refused" in admitted) return { ok: false, failure: admitted.refused };
      admission = admitted.admission;
    }
    for (const index of toFetch) answers[index] = this.#fetchOnce(clientOptions, admission, requests[index]!, keys[index]!, call);
    policy.called(now);

    const settled = await Promise.allSettled(answers);
    const upstreamMs = cacheHits < requests.length ? Date.now() - now : 0;
    const failed = settled.find((result) => result.status === "rejected");
    if (failed) return { ok: false, failure: toFailure(failed.reason), upstreamMs };
    return { ok: true, answers: settled.map((result) => (result as PromiseFulfilledResult<string>).value), cacheHits, upstreamMs };
  }

  /** For /admin: this member's use of the shared key (user agents only). */
  memberActivity(): MemberActivity & { sharedKeyThisHour: number } {
    return this.#memberPolicy().memberActivity();
  }

  /** For /admin: this member's audit records in `[fromMs, toMs)`. */
  auditRecords(fromMs: number, toMs: number): AuditRecord[] {
    return this.#memberPolicy().auditRecords(fromMs, toMs);
  }

  /** For /admin: an administrator's action on this member, written to the member's audit trail. */
  async recordAdminAction(adminEmail: string, action: string): Promise<void> {
    await this.#memberPolicy().recordAdminAction(adminEmail, action);
  }

  /** A webhook delivery (digest or alert) of this member's subscription, written to the member's audit trail. */
  async recordDelivery(email: string, kind: string, siteId: string, status: string, attempts: number): Promise<void> {
    await this.#memberPolicy().recordDelivery(email, kind, siteId, status, attempts);
  }

  /** Scheduled after activity on a key agent: removes it once it has been idle long enough, else checks again later. */
  async expireIfIdle(): Promise<void> {
    const policy = this.#policy;
    if (policy instanceof OwnKeyPolicy) await policy.expireIfIdle();
  }

  /**
   * Scheduled for when the oldest audit record passes AUDIT_RETENTION_DAYS: removes what is due and
   * schedules itself for the next record, at most once an hour, until the trail is empty.
   */
  async pruneAudit(): Promise<void> {
    await this.#memberPolicy().pruneAudit();
  }

  /**
   * Scheduled on a user agent (which, keeping the member's audit trail, is never removed when idle) for
   * when its next cached answer expires: removes the expired answers and schedules itself for the next,
   * at most once every five minutes, until the cache is empty.
   */
  async pruneCache(): Promise<void> {
    await this.#memberPolicy().pruneCache();
  }

  #memberPolicy(): SharedKeyPolicy {
    const policy = this.#policy;
    if (!(policy instanceof SharedKeyPolicy))
      throw new Error("Only a member's usage agent (user-…) keeps an audit trail and prunes its cache on a schedule.");
    return policy;
  }

  /** Registered as in flight before `admission` settles, so identical requests arriving meanwhile share it. */
  #fetchOnce(
    options: PlausibleClientOptions,
    admission: Promise<void>,
    request: PlausibleRequest,
    key: string,
    call?: CallAttribution,
  ): Promise<string> {
    const policy = this.#policy;
    const answer = admission.then(async () => {
      await policy.beforeSend(request, call);
      const client = new PlausibleClient(policy.clientOptions(options));
      let answer: string;
      try {
        answer = JSON.stringify(await client.execute(request));
      } catch (error) {
        throw await this.#afterFailure(error);
      }
      await policy.report("answered");
      return answer;
    });
    this.#inflight.set(key, answer);
    // Only a successful answer is cached: a refusal or failure is asked again next time. The write comes after the
    // answer has gone, since a Durable Object holds back what it sends until its writes are confirmed; meanwhile
    // the answer is served from `#unwritten`.
    answer.then(
      (text) => {
        this.#inflight.delete(key);
        const ttlSeconds = cacheTtlSeconds(request, this.#config.cacheTtlSeconds);
        if (ttlSeconds <= 0) return;
        this.#unwritten.set(key, text);
        setTimeout(() => {
          // Gone when a revoked key emptied the cache in between: nothing it was shown may be kept.
          if (this.#unwritten.get(key) !== text) return;
          try {
            this.#cache.setJson(key, text, ttlSeconds);
          } finally {
            this.#unwritten.delete(key);
          }
          void policy.cached();
        }, 0);
      },
      () => this.#inflight.delete(key),
    );
    return answer;
  }

  /** Reports a failed call to the circuit (and the shared quota) and returns the error the caller sees. */
  async #afterFailure(error: unknown): Promise<unknown> {
    // A further request refused by the member's share or the team's quota was never sent.
    if (error instanceof SharedQuotaError) return error;
    if (error instanceof PlausibleUnavailableError) {
      // Only Plausible's failures (5xx, network) count towards the circuit: a query that times out
      // is the caller's own (too large or slow), and must not stop everyone else's calls.
      const retryAfterSeconds = error.reason === "timeout" ? 0 : await this.#policy.report("unavailable");
      return new UpstreamUnavailableError(error.message, {
        reason: error.reason,
        retryAfterSeconds,
        ...(error.status === undefined ? {} : { status: error.status }),
      });
    }
    // The key was revoked: what it was shown before must not be served from here any more.
    if (error instanceof PlausibleApiError && error.status === 401) {
      this.#cache.clear();
      this.#unwritten.clear();
    }
    // Any other answer means Plausible is up; a 429 also closes the shared key for the hour.
    await this.#policy.report(error instanceof PlausibleApiError && error.status === 429 ? "rate_limited" : "answered");
    return error;
  }
}
