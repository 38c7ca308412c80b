import { DIGEST_INDEX_NAME, type DigestStore, type DueSubscription } from "../agent/digest-store";
import { RateLimitedError, SharedQuotaError, CircuitOpenError } from "../agent/usage-outcome";
import { grantUserId, isBlocked } from "../auth";
import { checkPlausibleKey } from "../mcp/key-check";
import { toolContextFor, type Caller } from "../mcp/tool-context";
import { logLine } from "../observability/structured-log";
import { observeToolCall } from "../observability/tool-call";
import { PlausibleApiError } from "../plausible";
import { readAgentPlacement, readDigestConfig } from "../config";
import { usageAgentName } from "../agent/usage-agent";
import { sha256Hex } from "../shared/hash";
import type { ToolContext } from "../tools";
import { siteClock } from "../tools/dates";
import { buildWeeklyDigest, FALSE_ALARM_STATEMENT, findChanges } from "./content";
import { deliver } from "./delivery";
import { localTime } from "./local-time";
import { alertBody, digestBody, type WebhookBody } from "./messages";

/**
 * Sends every weekly digest, and every change alert not sent before, at once, whatever the day and hour:
 * `npm run demo -- --digest-now` and the end-to-end tests ask for it through wrangler dev's
 * /__scheduled?cron=digest-now (which runs as of now: it takes no time). Cloudflare only ever runs the
 * crons of wrangler.toml, so a deployment never sees it.
 */
const DIGEST_NOW_CRON = "digest-now";

/** The local hour from which a site's digest (on Mondays) and its daily alert are sent. */
const SEND_FROM_LOCAL_HOUR = 8;

type Store = DurableObjectStub<DigestStore>;

/** Runs one scheduled invocation: every scope in the index, every active subscription in it. */
export async function runDigests(env: Env, cron: string, scheduledTime: Date): Promise<void> {
  const scopes = await env.DIGESTS.getByName(DIGEST_INDEX_NAME).scopes();
  // One scope or subscription failing never stops the others; names only in the log: a message could quote a URL.
  for (const scope of scopes) {
    const store = env.DIGESTS.getByName(scope) as unknown as Store;
    const due = await store.dueSubscriptions().catch((error: unknown) => {
      console.error(`[digest] a scope's subscriptions could not be read: ${(error as Error).name}`);
      return [];
    });
    for (const subscription of due) {
      await serve(env, store, subscription, scheduledTime, cron === DIGEST_NOW_CRON).catch((error: unknown) => {
        console.error(`[digest] ${subscription.id} failed: ${(error as Error).name}`);
      });
    }
  }
}

/** A Plausible refusal that passes with time: the digest waits for the next hourly run, counted against nobody. */
function waitsForNextHour(error: unknown): boolean {
  if (error instanceof PlausibleApiError) return error.status === 429;
  return error instanceof RateLimitedError || error instanceof SharedQuotaError || error instanceof CircuitOpenError;
}

function callerOf(subscription: DueSubscription): Caller {
  const runAs = subscription.runAs;
  return runAs.kind === "member" ? { scope: "user", sub: runAs.sub, email: runAs.email } : { scope: "key", apiKey: runAs.apiKey };
}

async function serve(env: Env, store: Store, subscription: DueSubscription, now: Date, digestNow: boolean): Promise<void> {
  const { runAs } = subscription;
  if (runAs.kind === "member" && (await isBlocked(env.OAUTH_KV, { userId: grantUserId(runAs.sub), email: runAs.email }))) {
    await store.recordDelivery(subscription.id, {
      kind: "weekly_digest",
      status: "skipped",
      attempts: 0,
      detail: "the member who subscribed is blocked; nothing is sent while they are",
    });
    return;
  }
  const context = await toolContextFor(env, callerOf(subscription));
  // On /internal the digest's Plausible calls go to the member's audit trail, like their chat's.
  const run = <T>(tool: string, work: () => Promise<T>) =>
    runAs.kind === "member" ? observeToolCall({ endpoint: "internal", email: runAs.email }, tool, () => work()) : work();
  try {
    const clock = await run("digest_schedule", () => siteClock(context, subscription.siteId, now));
    const local = localTime(clock.timezone ?? "UTC", now);
    const sendingHours = local.hour >= SEND_FROM_LOCAL_HOUR;
    const digestDue =
      subscription.kinds.includes("weekly_digest") &&
      (digestNow || (local.isoWeekday === 1 && sendingHours && subscription.lastDigestWeek !== local.week));
    const alerts = subscription.kinds.includes("change_alerts") || subscription.kinds.includes("pacing_alerts");
    const alertDue = alerts && (digestNow || (sendingHours && subscription.lastAlertDate !== local.date));
    if (!digestDue && !alertDue) return;
    // Answers cached from before a key was revoked must not be sent: ask Plausible with the key itself first.
    if (runAs.kind === "key") {
      const check = await checkPlausibleKey(runAs.apiKey, env);
      if (!check.ok) return await pauseForRefusedKey(store, subscription);
    }
    if (digestDue) {
      const digest = await run("weekly_digest", () => buildWeeklyDigest(context, subscription.siteId));
      await send(env, store, subscription, "weekly_digest", digestBody(digest, subscription.format), { digestWeek: local.week });
    }
    if (alertDue) await alert(env, store, subscription, context, local.date, run);
  } catch (error) {
    if (waitsForNextHour(error)) return;
    if (error instanceof PlausibleApiError && (error.status === 401 || error.status === 402))
      return await pauseForRefusedKey(store, subscription);
    throw error;
  }
}

async function pauseForRefusedKey(store: Store, subscription: DueSubscription): Promise<void> {
  await store.recordDelivery(subscription.id, {
    kind: "weekly_digest",
    status: "skipped",
    attempts: 0,
    detail: "Plausible refused the key (revoked, or without Stats API access); paused: subscribe again with a valid key",
    pause: true,
  });
}

async function alert(
  env: Env,
  store: Store,
  subscription: DueSubscription,
  context: ToolContext,
  date: string,
  run: <T>(tool: string, work: () => Promise<T>) => Promise<T>,
): Promise<void> {
  const withChanges = subscription.kinds.includes("change_alerts");
  const found = await run("change_alert", () => findChanges(context, subscription.siteId, subscription.kinds.includes("pacing_alerts")));
  const wanted = found.filter((anomaly) => withChanges || anomaly.key.startsWith("pacing "));
  const reported = new Set(
    await store.alreadyReported(
      subscription.id,
      wanted.map((anomaly) => anomaly.key),
    ),
  );
  const fresh = wanted.filter((anomaly) => !reported.has(anomaly.key));
  if (fresh.length === 0) {
    await store.recordDelivery(subscription.id, {
      kind: "change_alerts",
      status: "skipped",
      attempts: 0,
      detail: "nothing new",
      alertDate: date,
    });
    return;
  }
  const body = alertBody({ siteId: subscription.siteId, anomalies: fresh, falseAlarmRate: FALSE_ALARM_STATEMENT }, subscription.format);
  await send(env, store, subscription, "change_alerts", body, { alertDate: date, anomalies: fresh.map((anomaly) => anomaly.key) });
}

async function send(
  env: Env,
  store: Store,
  subscription: DueSubscription,
  kind: "weekly_digest" | "change_alerts",
  body: WebhookBody,
  settles: { digestWeek?: string; alertDate?: string; anomalies?: string[] },
): Promise<void> {
  const config = readDigestConfig(env);
  const outcome = await deliver(subscription.webhookUrl, body, { attempts: config.deliveryAttempts, retryBaseMs: config.retryBaseMs });
  const status = outcome.delivered ? "delivered" : "failed";
  await store.recordDelivery(subscription.id, {
    kind,
    status,
    attempts: outcome.attempts,
    ...(outcome.detail ? { detail: outcome.detail } : {}),
    ...(outcome.delivered ? settles : {}),
  });
  // Sent as a member: in their audit trail too, next to the Plausible calls that built it.
  const { runAs } = subscription;
  if (runAs.kind === "member") {
    const agent = env.USAGE.getByName(usageAgentName("user", await sha256Hex(runAs.sub)), readAgentPlacement(env));
    await agent.recordDelivery(runAs.email, kind, subscription.siteId, status, outcome.attempts);
  }
  logLine({ event: "digest_delivery", subscription: subscription.id, kind, delivered: outcome.delivered, attempts: outcome.attempts });
}
