import { DurableObject } from "cloudflare:workers";

const WINDOW_MS = 60_000;

interface Window {
  startedAt: number;
  count: number;
}

/**
 * One instance per client address (named by the address's hash). A Durable Object handles one
 * call at a time, so the count is exact: the limit-th request in a minute passes, the next does not.
 */
export class AuthRateLimiter extends DurableObject<Env> {
  take(limitPerMinute: number): { allowed: boolean; retryAfterSeconds: number } {
    const now = Date.now();
    const stored = this.ctx.storage.kv.get<Window>("window");
    const window = stored && now - stored.startedAt < WINDOW_MS ? stored : { startedAt: now, count: 0 };
    const retryAfterSeconds = Math.max(1, Math.ceil((window.startedAt + WINDOW_MS - now) / 1000));
    if (window.count >= limitPerMinute) return { allowed: false, retryAfterSeconds };
    this.ctx.storage.kv.put("window", { startedAt: window.startedAt, count: window.count + 1 });
    return { allowed: true, retryAfterSeconds: 0 };
  }
}

/** Counts the request against its client address; a 429 response when the address is over the limit. */
export async function rateLimitByAddress(request: Request, env: Env, limitPerMinute: number): Promise<Response | undefined> {
  const address = request.headers.get("CF-Connecting-IP") ?? "unknown";
  // The address is personal data: the object is named by its hash.
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`auth-rate-limit:${address}`));
  const name = [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
  const namespace = env.AUTH_RATE_LIMITER as DurableObjectNamespace<AuthRateLimiter>;
  const { allowed, retryAfterSeconds } = await namespace.get(namespace.idFromName(name)).take(limitPerMinute);
  if (allowed) return undefined;
  return Response.json(
    {
      error: "temporarily_unavailable",
      error_description: `Too many sign-in requests from this address; retry in ${retryAfterSeconds} seconds.`,
    },
    { status: 429, headers: { "Retry-After": String(retryAfterSeconds), "Cache-Control": "no-store" } },
  );
}
