/**
 * Where a scope (the team on /internal, a key's holder elsewhere) has digests and alerts sent.
 * Tools manage subscriptions through this port; whoever runs the server decides where they are
 * stored, how webhook URLs are kept secret, and which scope a call belongs to.
 */
export interface DigestSubscriptions {
  /** Stores a subscription, or says why the webhook URL is refused. */
  subscribe(subscription: NewSubscription): Promise<{ ok: true; subscription: Subscription } | { ok: false; reason: string }>;
  list(): Promise<Subscription[]>;
  /** Whether a subscription with this id existed in the scope (and is now gone). */
  unsubscribe(id: string): Promise<boolean>;
}

export const DIGEST_KINDS = ["weekly_digest", "change_alerts", "pacing_alerts"] as const;
export type DigestKind = (typeof DIGEST_KINDS)[number];

export const DIGEST_FORMATS = ["slack", "google_chat", "json"] as const;
export type DigestFormat = (typeof DIGEST_FORMATS)[number];

export interface NewSubscription {
  siteId: string;
  /** The full webhook URL; it is stored encrypted and never shown back. */
  webhookUrl: string;
  kinds: DigestKind[];
  format: DigestFormat;
}

export interface Subscription {
  id: string;
  siteId: string;
  kinds: DigestKind[];
  format: DigestFormat;
  /** The webhook's scheme and host only, e.g. "https://hooks.slack.com/…". */
  destination: string;
  createdAt: string;
  /** The member who subscribed, on /internal. */
  createdBy?: string;
  /** Set when deliveries kept failing and sending stopped; subscribe again to resume. */
  pausedAt?: string;
  /** Deliveries that failed in a row (reset by one that succeeds). */
  failuresInARow: number;
}
