import { DurableObject } from "cloudflare:workers";
import { configurationErrorResponse, type AddressLimits, type SignInRateLimits } from "../config";
import { clientAddressGroup } from "../shared/client-address";
import { endpointFor } from "../shared/endpoints";
import { sha256Hex } from "../shared/hash";

// A token request's body is a few hundred bytes; a larger one is not read for its client_id.
const MAX_TOKEN_BODY_BYTES = 16 * 1024;

/** One bucket a request is counted against: at most `limit` requests in a fixed window of `windowSeconds`. */
export interface Charge {
  bucket: string;
  limit: number;
  windowSeconds: number;
}

/** A bucket's count in its current window. */
interface Count {
  startedAt: number;
  endsAt: number;
  count: number;
}

/**
 * Requests counted in advance, for the worker's isolate to admit without asking again: `requests` more
 * until `until` (the first of the charged windows to end); and, when the request brought a key, until
 * when that key stays known from this address.
 */
export interface Lease {
  requests: number;
  until: number;
  keyKnownUntil?: number;
}

type Decision = { allowed: true; lease?: Lease } | { allowed: false; bucket: string; retryAfterSeconds: number };

/**
 * One instance per purpose and client address group (named by their hash), counting each bucket a
 * request is charged to in a fixed window of its own. A Durable Object handles one call at a time,
 * so the counts are exact: a request passes only while every bucket it is charged to has room, and
 * then counts against all of them. Once every window has passed, the object deletes its storage.
 */
export class AuthRateLimiter extends DurableObject<Env> {
  /**
   * Counts the request against `charges` and, when `firstUse.seen` has no live window here (a key
   * not used from this address within the hour), also against `firstUse.cost`, opening that window.
   * With `reserve`, an admitted request also counts up to that many more against `charges`, as far as
   * every one of them has room, and answers them as a lease: what is leased is already counted, so
   * leases never let more through than the limits. A lease also says how long a key of `firstUse` stays known.
   */
  async take(charges: Charge[], firstUse?: { seen: Charge; cost: Charge }, reserve = 0): Promise<Decision> {
    const now = Date.now();
    const counts = this.liveCounts(now);
    const charged = firstUse && !counts[firstUse.seen.bucket] ? [...charges, firstUse.cost, firstUse.seen] : charges;
    for (const { bucket, limit } of charged) {
      const current = counts[bucket];
      if (current && current.count >= limit) {
        return { allowed: false, bucket, retryAfterSeconds: Math.max(1, Math.ceil((current.endsAt - now) / 1000)) };
      }
    }
    for (const { bucket, windowSeconds } of charged) {
      const current = (counts[bucket] ??= { startedAt: now, endsAt: now + windowSeconds * 1000, count: 0 });
      current.count += 1;
    }
    const lease = reserve > 0 || firstUse ? this.lease(counts, charges, reserve, firstUse?.seen) : undefined;
    this.ctx.storage.kv.put("counts", counts);
    const lastEnd = Math.max(...Object.values(counts).map((count) => count.endsAt));
    if ((await this.ctx.storage.getAlarm()) !== lastEnd) await this.ctx.storage.setAlarm(lastEnd);
    return { allowed: true, lease };
  }

  /** When the last window has passed, nothing of this address is kept; otherwise it runs again then. */
  override async alarm(): Promise<void> {
    const counts = this.liveCounts(Date.now());
    const ends = Object.values(counts).map((count) => count.endsAt);
    if (ends.length === 0) await this.ctx.storage.deleteAll();
    else await this.ctx.storage.setAlarm(Math.max(...ends));
  }

  private lease(counts: Record<string, Count>, charges: Charge[], reserve: number, seen?: Charge): Lease {
    const charged = charges.map(({ bucket, limit }) => ({ count: counts[bucket]!, limit }));
    const requests = Math.max(0, Math.min(reserve, ...charged.map(({ count, limit }) => limit - count.count)));
    for (const { count } of charged) count.count += requests;
    const until = Math.min(...charged.map(({ count }) => count.endsAt));
    return { requests, until, ...(seen ? { keyKnownUntil: counts[seen.bucket]!.endsAt } : {}) };
  }

  private liveCounts(now: number): Record<string, Count> {
    const stored = this.ctx.storage.kv.get<Record<string, Count>>("counts") ?? {};
    return Object.fromEntries(Object.entries(stored).filter(([, count]) => count.endsAt > now));
  }
}

/** The name of the limiter object of one purpose (a connector's sign-in, MCP traffic) for the address group of `request`. */
async function limiterName(request: Request, purpose: string): Promise<string> {
  // The address is personal data: the object is named by a hash.
  return sha256Hex(`rate-limit:${purpose}:${clientAddressGroup(request)}`);
}

function limiterNamed(env: Env, name: string): DurableObjectStub<AuthRateLimiter> {
  return env.AUTH_RATE_LIMITER.get(env.AUTH_RATE_LIMITER.idFromName(name));
}

/**
 * Counts a sign-in request of `connector`; a 429 when it is over a limit. Each connector has its
 * own objects, so /connect's traffic (anyone with a key) cannot use up /internal members' budget.
 * Claude's connectors call /token from Anthropic's servers, so one address carries a whole team's
 * refreshes: /token is limited per client, under a higher ceiling for the address. The client's
 * bucket lives with the address, so nobody elsewhere can use up a client whose client_id is public
 * (a metadata document URL).
 */
export async function rateLimitSignIn(
  request: Request,
  env: Env,
  connector: string,
  limits: SignInRateLimits,
): Promise<Response | undefined> {
  // /token, and /connect/token of the bring-your-own-key connector.
  const isToken = new URL(request.url).pathname.endsWith("/token");
  const charges: Charge[] = isToken
    ? [
        { bucket: "token", limit: limits.tokenPerAddress, windowSeconds: 60 },
        { bucket: `token-client:${await sha256Hex(await clientIdOf(request))}`, limit: limits.tokenPerClient, windowSeconds: 60 },
      ]
    : [{ bucket: "sign-in", limit: limits.signInPerAddress, windowSeconds: 60 }];
  const decision = await limiterNamed(env, await limiterName(request, `sign-in:${connector}`)).take(charges);
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

/**
 * What this isolate may admit for one address group without asking its limiter object: requests the
 * object counted in advance (under the `limit` they were leased for), and the keys the object saw
 * from the group, each with the end of its hour.
 */
interface AddressLease {
  limit: number;
  requests: number;
  until: number;
  keys: Map<string, number>;
}

// Per isolate, by limiter name, and within a lease the keys: the oldest is dropped past its bound, which only
// costs a call to the object. The bounds keep an attacker with many addresses and keys to a few MiB of the isolate.
const addressLeases = new Map<string, AddressLease>();
const MAX_ADDRESS_LEASES = 5_000;
const MAX_KEYS_PER_LEASE = 16;

/**
 * How many requests one call to the limiter object counts in advance. A lease's unused part is lost
 * when its minute ends, and each isolate that serves the address holds one, so it is a small share of
 * the limit: a limit under 40 a minute is counted request by request.
 */
function leaseSize(requestsPerMinute: number): number {
  return Math.min(15, Math.floor(requestsPerMinute / 40));
}

/** The requests this isolate holds for the address under this limit, in a minute that has not ended. */
function heldRequests(lease: AddressLease | undefined, limits: AddressLimits, now: number): number {
  return lease && lease.limit === limits.requestsPerMinute && lease.until > now ? lease.requests : 0;
}

/** Admits the request from the isolate's lease, when it holds a request and knows the key; false when the object must be asked. */
function admitFromLease(lease: AddressLease | undefined, limits: AddressLimits, keyHash: string | undefined, now: number): boolean {
  if (!lease || heldRequests(lease, limits, now) < 1) return false;
  if (keyHash && !((lease.keys.get(keyHash) ?? 0) > now)) return false;
  lease.requests -= 1;
  return true;
}

/** Adds what the object granted to what the isolate still holds (a key new to the address asks the object while requests are held). */
function keepLease(name: string, limits: AddressLimits, granted: Lease, keyHash: string | undefined, now: number): void {
  const previous = addressLeases.get(name);
  const keys = new Map([...(previous?.keys ?? [])].filter(([, knownUntil]) => knownUntil > now));
  if (keyHash && granted.keyKnownUntil) {
    keys.delete(keyHash);
    keys.set(keyHash, granted.keyKnownUntil);
    if (keys.size > MAX_KEYS_PER_LEASE) keys.delete(keys.keys().next().value!);
  }
  const requests = heldRequests(previous, limits, now) + granted.requests;
  addressLeases.delete(name);
  addressLeases.set(name, { limit: limits.requestsPerMinute, requests, until: granted.until, keys });
  if (addressLeases.size > MAX_ADDRESS_LEASES) addressLeases.delete(addressLeases.keys().next().value!);
}

/**
 * The ceiling on MCP traffic from one address group on the endpoints anyone with a key can call:
 * every request counts against `requestsPerMinute`, and a key this address has not used within the
 * hour (`keyHash`, when the request brings one) also against `newKeysPerHour`, since each new key
 * costs the server a usage agent and a request to Plausible. A 429 with Retry-After when over either.
 * The object counts a few requests in advance (`leaseSize`) so that a busy address costs one call to
 * it per lease rather than per request; leased requests are counted, so the limits hold exactly in one
 * isolate and are never exceeded across many (docs/security.md).
 */
export async function limitAddress(request: Request, env: Env, limits: AddressLimits, keyHash?: string): Promise<Response | undefined> {
  if (!env.AUTH_RATE_LIMITER) {
    console.error(
      `[rate-limit] ${new URL(request.url).pathname} is unavailable: AUTH_RATE_LIMITER the Durable Object binding is not configured`,
    );
    return configurationErrorResponse("AUTH_RATE_LIMITER");
  }
  const name = await limiterName(request, "mcp");
  const lease = addressLeases.get(name);
  if (admitFromLease(lease, limits, keyHash, Date.now())) return undefined;
  const requests: Charge = { bucket: "requests", limit: limits.requestsPerMinute, windowSeconds: 60 };
  const firstUse = keyHash && {
    seen: { bucket: `key:${keyHash}`, limit: 1, windowSeconds: 3600 },
    cost: { bucket: "new-keys", limit: limits.newKeysPerHour, windowSeconds: 3600 },
  };
  const reserve = Math.max(0, leaseSize(limits.requestsPerMinute) - heldRequests(lease, limits, Date.now()));
  const decision = await limiterNamed(env, name).take([requests], firstUse || undefined, reserve);
  if (decision.allowed) {
    if (decision.lease) keepLease(name, limits, decision.lease, keyHash, Date.now());
    return undefined;
  }
  const retry = decision.retryAfterSeconds;
  const message =
    decision.bucket === "requests"
      ? `Too many requests from this network address: more than ${limits.requestsPerMinute} a minute ` +
        `(ADDRESS_RATE_LIMIT_PER_MINUTE). Retry in ${retry} seconds; if many people share this address, ` +
        "ask the server's operator to raise ADDRESS_RATE_LIMIT_PER_MINUTE."
      : `Too many different API keys from this network address: more than ${limits.newKeysPerHour} new ` +
        "keys within an hour (NEW_KEYS_PER_ADDRESS_PER_HOUR). Keys already used from here keep working; a " +
        `new key can be used in ${retry} seconds. If many people share this address, ask the server's ` +
        "operator to raise NEW_KEYS_PER_ADDRESS_PER_HOUR.";
  return Response.json(
    { jsonrpc: "2.0", error: { code: -32000, message }, id: null },
    { status: 429, headers: { "Retry-After": String(retry), "Cache-Control": "no-store" } },
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

/**
 * What each connector (/internal, /connect) does first: its configuration, or a 503 naming the missing
 * setting so the rest of the worker keeps serving; then the sign-in rate limit on the endpoints the
 * catalogue marks `signInLimited` (src/shared/endpoints.ts).
 * Answers the configuration to go on with, or the response that ends the request.
 */
export async function admitConnectorRequest<Config extends { rateLimits: SignInRateLimits }>(
  request: Request,
  env: Env,
  connector: string,
  result: { ok: true; config: Config } | { ok: false; setting: string; reason: string },
): Promise<Config | Response> {
  const { pathname } = new URL(request.url);
  if (!result.ok) {
    console.error(`[${connector}] ${pathname} is unavailable: ${result.setting} ${result.reason}`);
    return configurationErrorResponse(result.setting);
  }
  if (endpointFor(pathname)?.signInLimited) {
    const limited = await rateLimitSignIn(request, env, connector, result.config.rateLimits);
    if (limited) return limited;
  }
  return result.config;
}
