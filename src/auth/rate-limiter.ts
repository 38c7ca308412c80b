import { DurableObject } from "cloudflare:workers";
import { configurationErrorResponse } from "../shared/config";

const WINDOW_MS = 60_000;
// A token request's body is a few hundred bytes; a larger one is not read for its client_id.
const MAX_TOKEN_BODY_BYTES = 16 * 1024;

/** Requests per minute: per address on /authorize and /register; per client and per address on /token. */
export interface SignInRateLimits {
  signInPerAddress: number;
  tokenPerClient: number;
  tokenPerAddress: number;
}

/** The buckets one request is counted against, each with its limit per minute. */
type Charge = Record<string, number>;

interface Window {
  startedAt: number;
  counts: Record<string, number>;
}

type Decision = { allowed: true } | { allowed: false; bucket: string; retryAfterSeconds: number };

/**
 * One instance per client address (named by the address's hash), counting each bucket a request
 * is charged to in one fixed minute. A Durable Object handles one call at a time, so the counts are
 * exact: a request passes only while every bucket it is charged to has room, and then counts
 * against all of them.
 */
export class AuthRateLimiter extends DurableObject<Env> {
  take(charge: Charge): Decision {
    const now = Date.now();
    const stored = this.ctx.storage.kv.get<Window>("window");
    const window = stored?.counts && now - stored.startedAt < WINDOW_MS ? stored : { startedAt: now, counts: {} };
    for (const [bucket, limit] of Object.entries(charge)) {
      if ((window.counts[bucket] ?? 0) >= limit) {
        return { allowed: false, bucket, retryAfterSeconds: Math.max(1, Math.ceil((window.startedAt + WINDOW_MS - now) / 1000)) };
      }
    }
    for (const bucket of Object.keys(charge)) window.counts[bucket] = (window.counts[bucket] ?? 0) + 1;
    this.ctx.storage.kv.put("window", window);
    return { allowed: true };
  }
}

/**
 * Counts a sign-in request; a 429 when it is over a limit. Claude's connectors call /token from
 * Anthropic's servers, so one address carries a whole team's refreshes: /token is limited per
 * client, under a higher ceiling for the address. The client's bucket lives with the address, so
 * nobody elsewhere can use up a client whose client_id is public (a metadata document URL).
 */
export async function rateLimitSignIn(request: Request, env: Env, limits: SignInRateLimits): Promise<Response | undefined> {
  const address = request.headers.get("CF-Connecting-IP") ?? "unknown";
  // /token, and /connect/token of the bring-your-own-key connector.
  const isToken = new URL(request.url).pathname.endsWith("/token");
  const charge: Charge = isToken
    ? { token: limits.tokenPerAddress, [`token-client:${await digestHex(await clientIdOf(request))}`]: limits.tokenPerClient }
    : { "sign-in": limits.signInPerAddress };
  // The address is personal data: the object is named by its hash.
  const namespace = env.AUTH_RATE_LIMITER as DurableObjectNamespace<AuthRateLimiter>;
  const decision = await namespace.get(namespace.idFromName(await digestHex(`auth-rate-limit:${address}`))).take(charge);
  if (decision.allowed) return undefined;
  const what = decision.bucket.startsWith("token-client:")
    ? "Too many token requests from this client"
    : isToken
      ? "Too many token requests from this address"
      : "Too many sign-in requests from this address";
  return Response.json(
    { error: "temporarily_unavailable", error_description: `${what}; retry in ${decision.retryAfterSeconds} seconds.` },
    { status: 429, headers: { "Retry-After": String(decision.retryAfterSeconds), "Cache-Control": "no-store" } },
  );
}

/** The client_id of a token request: the form's, or HTTP Basic's user name; "" when there is none. */
async function clientIdOf(request: Request): Promise<string> {
  const basic = /^Basic\s+(\S+)$/i.exec(request.headers.get("Authorization") ?? "")?.[1];
  if (basic) {
    try {
      return decodeURIComponent(atob(basic).split(":")[0] ?? "");
    } catch {
      return "";
    }
  }
  const declared = Number(request.headers.get("Content-Length") ?? Number.NaN);
  if (!(declared <= MAX_TOKEN_BODY_BYTES) || !(request.headers.get("Content-Type") ?? "").includes("application/x-www-form-urlencoded"))
    return "";
  const clientId = (await request.clone().formData()).get("client_id");
  return typeof clientId === "string" ? clientId : "";
}

async function digestHex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

/**
 * What each connector (/internal, /connect) does first: its configuration, or a 503 naming the missing
 * setting so the rest of the worker keeps serving; then the sign-in rate limit on the paths that sign in.
 * Answers the configuration to go on with, or the response that ends the request.
 */
export async function admitConnectorRequest<Config extends { rateLimits: SignInRateLimits }>(
  request: Request,
  env: Env,
  connector: string,
  result: { ok: true; config: Config } | { ok: false; setting: string; reason: string },
  rateLimitedPaths: ReadonlySet<string>,
): Promise<Config | Response> {
  const { pathname } = new URL(request.url);
  if (!result.ok) {
    console.error(`[${connector}] ${pathname} is unavailable: ${result.setting} ${result.reason}`);
    return configurationErrorResponse(result.setting);
  }
  if (rateLimitedPaths.has(pathname)) {
    const limited = await rateLimitSignIn(request, env, result.config.rateLimits);
    if (limited) return limited;
  }
  return result.config;
}
