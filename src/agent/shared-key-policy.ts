import type { Agent } from "agents";
import { PlausibleConfigError, type PlausibleClientOptions, type PlausibleRequest } from "../plausible";
import { AuditLog, type MemberActivity } from "../observability/audit-log";
import type { AuditRecord } from "../observability/audit-record";
import type { CallAttribution } from "../observability/tool-call";
import { readAgentPlacement, readPlausibleSettings, type UsageConfig } from "../config";
import type { Admission, AdmissionPolicy } from "./admission-policy";
import { HourlyCount } from "./hourly-count";
import type { ResultCache } from "./result-cache";
import { sharedKeyGuardName, type SharedKeyGuard, type UpstreamReport } from "./shared-key-guard";
import type { TokenBucket } from "./token-bucket";
import { fromFailure, RateLimitedError, toFailure, type UsageFailure } from "./usage-outcome";

// Audit records are removed within this long after they pass the retention period.
const AUDIT_PRUNE_SPACING_MS = 3_600_000;
// Expired answers are removed within this long after they expire.
const CACHE_PRUNE_SPACING_MS = 300_000;

/**
 * A signed-in member on the team's shared key (/internal): the member's bucket, then the member's
 * hourly share (PLAUSIBLE_USER_HOURLY_LIMIT), then the team's guard (hourly quota and the shared
 * key's circuit) admit a call. The agent keeps the member's audit trail, so it is never removed
 * when idle; expired answers are pruned on a schedule instead.
 */
export class SharedKeyPolicy implements AdmissionPolicy {
  readonly scope = "user";
  readonly #audit: AuditLog;
  readonly #memberHours: HourlyCount;
  #auditPruneScheduled = false;
  #cachePruneScheduled = false;
  #guard?: Promise<DurableObjectStub<SharedKeyGuard>>;
  /** What the guard said of its circuit when it last admitted a call of this agent's; see `GuardAdmission`. */
  #guardCircuitClean = false;

  constructor(
    private readonly agent: Agent<Env>,
    private readonly env: Env,
    sql: SqlStorage,
    private readonly bucket: TokenBucket,
    private readonly cache: ResultCache,
    private readonly config: UsageConfig,
  ) {
    this.#audit = new AuditLog(sql, config.auditRetentionDays);
    this.#memberHours = new HourlyCount(sql, "member_hour");
  }

  async apiKey(): Promise<string> {
    const { sharedApiKey } = readPlausibleSettings(this.env);
    if (!sharedApiKey)
      throw new PlausibleConfigError(
        "PLAUSIBLE_API_KEY is not set on this server, so /internal cannot query Plausible. Ask the operator to set it.",
      );
    return sharedApiKey;
  }

  admit(count: number, now: number): Admission {
    const waitSeconds = this.bucket.take(count, now);
    if (waitSeconds > 0) return { refused: toFailure(new RateLimitedError(waitSeconds, "user")) };
    // The member's own share of the shared key comes before the team's guard.
    const refusal = this.#takeMemberShare(count, now);
    if (refusal) {
      this.bucket.refund(count, now);
      return { refused: refusal };
    }
    return { admission: this.#admitByGuard(count) };
  }

  async beforeSend(request: PlausibleRequest, call: CallAttribution | undefined): Promise<void> {
    if (!call?.email) return;
    await this.#audit.record(call.email, call.tool, request);
    await this.#scheduleAuditPrune();
  }

  /**
   * A request's first send was admitted with the call; every further one (a retry, a further page)
   * is taken from the member's share and the team's quota before it goes out.
   */
  clientOptions(options: PlausibleClientOptions): PlausibleClientOptions {
    let admittedWithCall = true;
    const beforeSend = async () => {
      if (admittedWithCall) {
        admittedWithCall = false;
        return;
      }
      const refusal = this.#takeMemberShare(1, Date.now());
      if (refusal) throw fromFailure(refusal);
      const admission = await (await this.#sharedKeyGuard()).admitFollowUp();
      if (admission.admitted) return;
      this.#returnMemberShare(1);
      throw fromFailure(admission.failure);
    };
    return { ...options, beforeSend };
  }

  /**
   * The shared key's circuit is the guard's, so when Plausible is down every member fails fast together.
   * A success is not sent while the guard's last admission here found nothing for it to clear.
   */
  async report(outcome: UpstreamReport): Promise<number> {
    if (outcome === "answered" && this.#guardCircuitClean) return 0;
    return (await this.#sharedKeyGuard()).report(outcome);
  }

  async cached(): Promise<void> {
    if (this.#cachePruneScheduled) return;
    this.#cachePruneScheduled = true;
    const due = this.cache.prune();
    if (due !== undefined) await this.agent.schedule(new Date(due), "pruneCache" as never, undefined, { idempotent: true });
  }

  called(): void {}

  /** For /admin: this member's use of the shared key. */
  memberActivity(): MemberActivity & { sharedKeyThisHour: number } {
    const now = Date.now();
    return { ...this.#audit.activity(now), sharedKeyThisHour: this.#memberHours.current(now).used };
  }

  /** For /admin: this member's audit records in `[fromMs, toMs)`. */
  auditRecords(fromMs: number, toMs: number): AuditRecord[] {
    return this.#audit.between(fromMs, toMs);
  }

  /** For /admin: an administrator's action on this member, written to the member's audit trail. */
  async recordAdminAction(adminEmail: string, action: string): Promise<void> {
    this.#audit.recordAdminAction(adminEmail, action);
    await this.#scheduleAuditPrune();
  }

  /** A webhook delivery of this member's subscription, written to their audit trail. */
  async recordDelivery(email: string, kind: string, siteId: string, status: string, attempts: number): Promise<void> {
    this.#audit.recordDelivery(email, kind, siteId, status, attempts);
    await this.#scheduleAuditPrune();
  }

  /** The audit prune's schedule callback: see `UsageAgent.pruneAudit`. */
  async pruneAudit(): Promise<void> {
    const now = Date.now();
    const next = this.#audit.prune(now);
    this.#auditPruneScheduled = next !== undefined;
    if (next !== undefined) await this.agent.schedule(new Date(Math.max(next, now + AUDIT_PRUNE_SPACING_MS)), "pruneAudit" as never);
  }

  /** The cache prune's schedule callback: see `UsageAgent.pruneCache`. */
  async pruneCache(): Promise<void> {
    const now = Date.now();
    const next = this.cache.prune(now);
    // One pending prune at a time, whether this ran from its schedule or was called directly.
    for (const pending of this.agent.getSchedules()) if (pending.callback === "pruneCache") await this.agent.cancelSchedule(pending.id);
    this.#cachePruneScheduled = next !== undefined;
    if (next !== undefined) await this.agent.schedule(new Date(Math.max(next, now + CACHE_PRUNE_SPACING_MS)), "pruneCache" as never);
  }

  /** One pending prune per agent: a later record never falls due before the oldest. */
  async #scheduleAuditPrune(): Promise<void> {
    if (this.#auditPruneScheduled) return;
    this.#auditPruneScheduled = true;
    const due = this.#audit.dueAt();
    if (due !== undefined) await this.agent.schedule(new Date(due), "pruneAudit" as never, undefined, { idempotent: true });
  }

  async #admitByGuard(count: number): Promise<void> {
    const admission = await (await this.#sharedKeyGuard()).admit(count);
    if (admission.admitted) {
      this.#guardCircuitClean = admission.circuitClean;
      return;
    }
    // Nothing was sent, so the member's bucket and share get back what the call took.
    this.bucket.refund(count);
    this.#returnMemberShare(count);
    throw fromFailure(admission.failure);
  }

  /** Takes `count` requests from the member's hourly share of the shared key, all or none; the refusal says when it returns. */
  #takeMemberShare(count: number, now: number): UsageFailure | undefined {
    const hour = this.#memberHours.current(now);
    const limit = this.config.memberHourlyLimit;
    if (hour.used + count > limit) {
      return {
        kind: "shared_quota",
        reason: "member_limit",
        retryAfterSeconds: this.#memberHours.secondsLeft(hour, now),
        hourlyLimit: limit,
      };
    }
    this.#memberHours.store({ ...hour, used: hour.used + count });
    return undefined;
  }

  #returnMemberShare(count: number): void {
    const hour = this.#memberHours.current(Date.now());
    this.#memberHours.store({ ...hour, used: Math.max(0, hour.used - count) });
  }

  /** The guard of the shared key, named by its digest: resolved once per instance, as the key is fixed. */
  #sharedKeyGuard() {
    this.#guard ??= this.apiKey().then(async (key) =>
      this.env.SHARED_KEY_GUARD.getByName(await sharedKeyGuardName(key), readAgentPlacement(this.env)),
    );
    return this.#guard;
  }
}
