import { DurableObject } from "cloudflare:workers";
import { readDigestConfig } from "../config";
import { sealerFor, type Sealer } from "../shared/sealed-text";
import { checkWebhookUrl, maskWebhookUrl } from "../shared/webhook-url";
import type { DigestFormat, DigestKind, NewSubscription, Subscription } from "../tools/digest-subscriptions";
import { applyMigrations, DIGEST_STORE_MIGRATIONS } from "./migrations";

/** Whose subscriptions a store holds: the team's (on /internal) or one API key's, named by the key's digest. */
export type DigestScope = { kind: "team" } | { kind: "key"; keyDigest: string };

/** The store of a scope. The key itself never names anything: its SHA-256 digest does. */
export function digestStoreName(scope: DigestScope): string {
  return scope.kind === "team" ? "team" : `key-${scope.keyDigest}`;
}

/** The one store that lists which scopes have subscriptions, so a scheduled run finds them all. */
export const DIGEST_INDEX_NAME = "index";

/** Who subscribes: a member on /internal (their deliveries stop while they are blocked) or a key's holder. */
export type Subscriber = { kind: "member"; sub: string; email: string } | { kind: "key"; apiKey: string };

/** A subscription as a scheduled run needs it: its webhook opened, and whose Plausible access to use. */
export interface DueSubscription extends Subscription {
  webhookUrl: string;
  runAs: Subscriber;
  lastDigestWeek?: string;
  lastAlertDate?: string;
}

export type DeliveryStatus = "delivered" | "failed" | "skipped";

export interface DeliveryRecord {
  kind: DigestKind;
  status: DeliveryStatus;
  attempts: number;
  /** Why it failed or was skipped, in words safe to show (never the URL or a key). */
  detail?: string;
  /** What the delivery settles: the week of a digest, the day and anomalies of an alert. */
  digestWeek?: string;
  alertDate?: string;
  anomalies?: string[];
  /** Stop sending until someone subscribes again (Plausible refused the key). */
  pause?: boolean;
}

export interface StoredDelivery {
  at: string;
  subscriptionId: string;
  kind: string;
  status: DeliveryStatus;
  attempts: number;
  detail?: string;
}

/** The delivery records a store keeps (the newest), enough to see why a destination was paused. */
const DELIVERIES_KEPT = 500;

/** More than a team sends to; a cap keeps one scope from filling its store or the hourly run. */
const MAX_SUBSCRIPTIONS_PER_SCOPE = 25;

type SubscriptionRow = {
  id: string;
  site_id: string;
  kinds: string;
  format: string;
  webhook_sealed: string;
  destination: string;
  created_ms: number;
  created_by_email: string | null;
  created_by_sub: string | null;
  failures_in_a_row: number;
  paused_ms: number | null;
  last_digest_week: string | null;
  last_alert_date: string | null;
};

/**
 * The digest subscriptions of one scope, in SQLite: webhook URLs and the key a scheduled run uses are
 * sealed (src/shared/sealed-text.ts) under COOKIE_SECRET, bound to this store's name and the row.
 * The store named DIGEST_INDEX_NAME only lists the scopes that have subscriptions.
 */
export class DigestStore extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    void ctx.blockConcurrencyWhile(async () => {
      applyMigrations(ctx.storage, DIGEST_STORE_MIGRATIONS);
    });
  }

  get #name(): string {
    const name = this.ctx.id.name;
    if (!name) throw new Error("A digest store is reached by name (digestStoreName).");
    return name;
  }

  #sealer(): Sealer {
    const { secret } = readDigestConfig(this.env);
    if (!secret) throw new Error("Digest subscriptions need the COOKIE_SECRET secret (wrangler secret put COOKIE_SECRET).");
    return sealerFor(secret, "digest subscriptions");
  }

  async subscribe(
    input: NewSubscription,
    subscriber: Subscriber,
  ): Promise<{ ok: true; subscription: Subscription } | { ok: false; reason: string }> {
    const config = readDigestConfig(this.env);
    const check = checkWebhookUrl(input.webhookUrl, { allowInsecure: config.allowInsecureWebhooks });
    if (!check.ok) return { ok: false, reason: `the webhook URL is refused: ${check.reason}` };
    const count = this.ctx.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM subscriptions").one().n;
    if (count >= MAX_SUBSCRIPTIONS_PER_SCOPE)
      return { ok: false, reason: `this scope has ${count} subscriptions, the most it may keep; unsubscribe one first` };
    const sealer = this.#sealer();
    const id = `sub_${[...crypto.getRandomValues(new Uint8Array(8))].map((byte) => byte.toString(16).padStart(2, "0")).join("")}`;
    const sealedUrl = await sealer.seal(check.url.href, `${this.#name} ${id} webhook`);
    const sealedKey = subscriber.kind === "key" ? await sealer.seal(subscriber.apiKey, `${this.#name} key`) : undefined;
    const member = subscriber.kind === "member" ? subscriber : undefined;
    const { sql } = this.ctx.storage;
    this.ctx.storage.transactionSync(() => {
      sql.exec(
        `INSERT INTO subscriptions (id, site_id, kinds, format, webhook_sealed, destination, created_ms, created_by_email, created_by_sub)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        id,
        input.siteId,
        JSON.stringify(input.kinds),
        input.format,
        sealedUrl,
        maskWebhookUrl(check.url),
        Date.now(),
        member?.email ?? null,
        member?.sub ?? null,
      );
      if (sealedKey) sql.exec("INSERT OR REPLACE INTO scope_key (id, sealed) VALUES (1, ?)", sealedKey);
    });
    await this.env.DIGESTS.getByName(DIGEST_INDEX_NAME).addScope(this.#name);
    return { ok: true, subscription: toSubscription(this.#row(id)!) };
  }

  list(): Subscription[] {
    return this.#rows().map(toSubscription);
  }

  /** Removes a subscription with what it sent; returns what was removed, or undefined when there was none. */
  async unsubscribe(id: string): Promise<Subscription | undefined> {
    const { sql } = this.ctx.storage;
    const removed = sql.exec<SubscriptionRow>("DELETE FROM subscriptions WHERE id = ? RETURNING *", id).toArray()[0];
    sql.exec("DELETE FROM sent_alerts WHERE subscription_id = ?", id);
    sql.exec("DELETE FROM deliveries WHERE subscription_id = ?", id);
    if (sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM subscriptions").one().n === 0) {
      sql.exec("DELETE FROM scope_key");
      await this.env.DIGESTS.getByName(DIGEST_INDEX_NAME).removeScope(this.#name);
    }
    return removed && toSubscription(removed);
  }

  /** The active subscriptions with their webhooks opened and whose access they run with: for the scheduled run only. */
  async dueSubscriptions(): Promise<DueSubscription[]> {
    const sealer = this.#sealer();
    const keyRow = this.ctx.storage.sql.exec<{ sealed: string }>("SELECT sealed FROM scope_key WHERE id = 1").toArray()[0];
    const apiKey = keyRow ? await sealer.open(keyRow.sealed, `${this.#name} key`) : undefined;
    const due: DueSubscription[] = [];
    for (const row of this.#rows()) {
      if (row.paused_ms !== null) continue;
      const runAs: Subscriber | undefined =
        row.created_by_sub && row.created_by_email
          ? { kind: "member", sub: row.created_by_sub, email: row.created_by_email }
          : apiKey
            ? { kind: "key", apiKey }
            : undefined;
      if (!runAs) continue;
      due.push({
        ...toSubscription(row),
        webhookUrl: await sealer.open(row.webhook_sealed, `${this.#name} ${row.id} webhook`),
        runAs,
        ...(row.last_digest_week ? { lastDigestWeek: row.last_digest_week } : {}),
        ...(row.last_alert_date ? { lastAlertDate: row.last_alert_date } : {}),
      });
    }
    return due;
  }

  /** Of these anomaly keys, the ones an earlier alert of this subscription already reported. */
  alreadyReported(id: string, anomalies: string[]): string[] {
    const { sql } = this.ctx.storage;
    return anomalies.filter(
      (anomaly) => sql.exec("SELECT 1 FROM sent_alerts WHERE subscription_id = ? AND anomaly = ?", id, anomaly).toArray().length > 0,
    );
  }

  /**
   * Records a delivery and what it settles. A failed one adds to the failures in a row, and the
   * subscription is paused once they reach DIGEST_PAUSE_AFTER_FAILURES; a delivered one resets them.
   */
  recordDelivery(id: string, delivery: DeliveryRecord): { paused: boolean } {
    const { pauseAfterFailures } = readDigestConfig(this.env);
    const { sql } = this.ctx.storage;
    const now = Date.now();
    let paused = false;
    this.ctx.storage.transactionSync(() => {
      sql.exec(
        "INSERT INTO deliveries (at_ms, subscription_id, kind, status, attempts, detail) VALUES (?, ?, ?, ?, ?, ?)",
        now,
        id,
        delivery.kind,
        delivery.status,
        delivery.attempts,
        delivery.detail ?? null,
      );
      sql.exec("DELETE FROM deliveries WHERE id <= (SELECT MAX(id) FROM deliveries) - ?", DELIVERIES_KEPT);
      if (delivery.status === "failed") {
        sql.exec("UPDATE subscriptions SET failures_in_a_row = failures_in_a_row + 1 WHERE id = ?", id);
        sql.exec(
          "UPDATE subscriptions SET paused_ms = ? WHERE id = ? AND failures_in_a_row >= ? AND paused_ms IS NULL",
          now,
          id,
          pauseAfterFailures,
        );
        paused = this.#row(id)?.paused_ms !== null;
        return;
      }
      if (delivery.pause) {
        sql.exec("UPDATE subscriptions SET paused_ms = ? WHERE id = ? AND paused_ms IS NULL", now, id);
        paused = true;
      }
      if (delivery.status === "delivered") sql.exec("UPDATE subscriptions SET failures_in_a_row = 0 WHERE id = ?", id);
      if (delivery.digestWeek) sql.exec("UPDATE subscriptions SET last_digest_week = ? WHERE id = ?", delivery.digestWeek, id);
      if (delivery.alertDate) sql.exec("UPDATE subscriptions SET last_alert_date = ? WHERE id = ?", delivery.alertDate, id);
      for (const anomaly of delivery.anomalies ?? [])
        sql.exec("INSERT OR IGNORE INTO sent_alerts (subscription_id, anomaly, sent_ms) VALUES (?, ?, ?)", id, anomaly, now);
    });
    return { paused };
  }

  /** The newest deliveries first, for /admin and tests. */
  deliveries(limit = 50): StoredDelivery[] {
    return this.ctx.storage.sql
      .exec<{ at_ms: number; subscription_id: string; kind: string; status: DeliveryStatus; attempts: number; detail: string | null }>(
        "SELECT at_ms, subscription_id, kind, status, attempts, detail FROM deliveries ORDER BY id DESC LIMIT ?",
        limit,
      )
      .toArray()
      .map((row) => ({
        at: new Date(row.at_ms).toISOString(),
        subscriptionId: row.subscription_id,
        kind: row.kind,
        status: row.status,
        attempts: row.attempts,
        ...(row.detail ? { detail: row.detail } : {}),
      }));
  }

  addScope(name: string): void {
    this.ctx.storage.sql.exec("INSERT OR IGNORE INTO scopes (name) VALUES (?)", name);
  }

  removeScope(name: string): void {
    this.ctx.storage.sql.exec("DELETE FROM scopes WHERE name = ?", name);
  }

  scopes(): string[] {
    return this.ctx.storage.sql
      .exec<{ name: string }>("SELECT name FROM scopes ORDER BY name")
      .toArray()
      .map((row) => row.name);
  }

  #rows(): SubscriptionRow[] {
    return this.ctx.storage.sql.exec<SubscriptionRow>("SELECT * FROM subscriptions ORDER BY created_ms, id").toArray();
  }

  #row(id: string): SubscriptionRow | undefined {
    return this.ctx.storage.sql.exec<SubscriptionRow>("SELECT * FROM subscriptions WHERE id = ?", id).toArray()[0];
  }
}

function toSubscription(row: SubscriptionRow): Subscription {
  return {
    id: row.id,
    siteId: row.site_id,
    kinds: JSON.parse(row.kinds) as DigestKind[],
    format: row.format as DigestFormat,
    destination: row.destination,
    createdAt: new Date(row.created_ms).toISOString(),
    ...(row.created_by_email ? { createdBy: row.created_by_email } : {}),
    ...(row.paused_ms !== null ? { pausedAt: new Date(row.paused_ms).toISOString() } : {}),
    failuresInARow: row.failures_in_a_row,
  };
}
