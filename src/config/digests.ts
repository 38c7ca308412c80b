import { positiveInteger, randomSecret, SettingError, settingText } from "./settings";

/** Settings of the weekly digests and change alerts (src/digest). */
export interface DigestConfig {
  /** The server secret webhook URLs and scheduled runs' keys are sealed under (COOKIE_SECRET); absent: no subscriptions. */
  secret?: string;
  /** DIGEST_ALLOW_INSECURE_WEBHOOKS: http and local webhook hosts, set only by the demo and the end-to-end stack. */
  allowInsecureWebhooks: boolean;
  /** Tries of one delivery before it counts as failed (DIGEST_DELIVERY_ATTEMPTS). */
  deliveryAttempts: number;
  /** Failed deliveries in a row after which a subscription is paused (DIGEST_PAUSE_AFTER_FAILURES). */
  pauseAfterFailures: number;
  /** Milliseconds before the first retry, doubled for each next one (DIGEST_RETRY_BASE_MS). */
  retryBaseMs: number;
}

export function readDigestConfig(env: Env): DigestConfig {
  const insecure = settingText(env, "DIGEST_ALLOW_INSECURE_WEBHOOKS");
  if (insecure !== undefined && insecure !== "true" && insecure !== "false")
    throw new SettingError("DIGEST_ALLOW_INSECURE_WEBHOOKS", `must be "true" or "false", got "${insecure}"`);
  const secret = randomSecret(env, "COOKIE_SECRET");
  return {
    ...(secret ? { secret } : {}),
    allowInsecureWebhooks: insecure === "true",
    deliveryAttempts: positiveInteger(env, "DIGEST_DELIVERY_ATTEMPTS", 3),
    pauseAfterFailures: positiveInteger(env, "DIGEST_PAUSE_AFTER_FAILURES", 3),
    retryBaseMs: positiveInteger(env, "DIGEST_RETRY_BASE_MS", 2000, 0),
  };
}
