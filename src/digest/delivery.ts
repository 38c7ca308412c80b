import type { WebhookBody } from "./messages";

export interface DeliveryOutcome {
  delivered: boolean;
  attempts: number;
  /** The last failure in words safe to record: an HTTP status or the kind of network error, never the URL. */
  detail?: string;
}

export interface RetryPolicy {
  attempts: number;
  /** Before the second try; doubled before each next one. */
  retryBaseMs: number;
}

/**
 * Posts a body to a webhook, retrying with exponential backoff on network errors, 429 and 5xx. Redirects
 * are not followed (`redirect: "manual"`): a webhook that answers 3xx could point anywhere, so it fails.
 */
export async function deliver(
  url: string,
  body: WebhookBody,
  policy: RetryPolicy,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
): Promise<DeliveryOutcome> {
  let detail = "";
  for (let attempt = 1; attempt <= policy.attempts; attempt += 1) {
    if (attempt > 1) await sleep(policy.retryBaseMs * 2 ** (attempt - 2));
    try {
      const response = await fetch(url, {
        method: "POST",
        redirect: "manual",
        headers: { "content-type": "application/json; charset=utf-8" },
        body: JSON.stringify(body),
      });
      await response.body?.cancel();
      if (response.ok) return { delivered: true, attempts: attempt };
      detail =
        response.status >= 300 && response.status < 400
          ? `HTTP ${response.status} (redirects are not followed)`
          : `HTTP ${response.status}`;
      if (response.status < 500 && response.status !== 429) return { delivered: false, attempts: attempt, detail };
    } catch (error) {
      detail = `network error (${(error as Error).name})`;
    }
  }
  return { delivered: false, attempts: policy.attempts, detail };
}
