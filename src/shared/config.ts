/**
 * Every setting the worker reads from its environment, with one policy: an empty or absent value
 * takes the documented default; a value that is set but invalid is an error naming the variable,
 * which the worker answers with a 503 before serving anything (`invalidSetting`), so a mistyped
 * setting is found at the first request, not when some Durable Object happens to read it.
 */

type Vars = Partial<Record<string, unknown>>;

/** A setting that is set but cannot be used; `setting` names the variable (or binding or secret) to fix. */
export class SettingError extends Error {
  constructor(
    readonly setting: string,
    readonly reason: string,
  ) {
    super(`${setting} ${reason}`);
    this.name = "SettingError";
  }
}

/** The trimmed value of `name`, or undefined when absent or empty. */
export function settingText(env: Vars, name: string): string | undefined {
  const raw = env[name];
  return typeof raw === "string" && raw.trim() !== "" ? raw.trim() : undefined;
}

/** A whole number of at least `min` (1 unless said), or `fallback` when unset. */
export function positiveInteger(env: Vars, name: string, fallback: number, min = 1): number {
  const raw = settingText(env, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < min) {
    throw new SettingError(name, `must be a whole number of at least ${min}, got "${raw}"`);
  }
  return value;
}

/** Limits and cache settings of the usage agents and the shared-key guard. */
export interface UsageConfig {
  burst: number;
  refillPerMinute: number;
  cacheTtlSeconds: number;
  cacheMaxEntries: number;
  cacheMaxBytes: number;
  idleSeconds: number;
  /** Largest Plausible answer read, in bytes (`MAX_RESPONSE_BYTES`). */
  maxResponseBytes: number;
  /** Calls per UTC hour the shared key (/internal) may make, across all users (`PLAUSIBLE_HOURLY_LIMIT`). */
  hourlyLimit: number;
  /** Each member's share of it per UTC hour (`PLAUSIBLE_USER_HOURLY_LIMIT`), so one member cannot use up the team's key. */
  memberHourlyLimit: number;
  circuit: { failureThreshold: number; windowSeconds: number; coolingOffSeconds: number };
  /** Days each member's audit trail of shared-key calls is kept (`AUDIT_RETENTION_DAYS`). */
  auditRetentionDays: number;
}

export function readUsageConfig(env: Vars): UsageConfig {
  return {
    burst: positiveInteger(env, "RATE_LIMIT_BURST", 30),
    refillPerMinute: positiveInteger(env, "RATE_LIMIT_PER_MINUTE", 60),
    cacheTtlSeconds: positiveInteger(env, "CACHE_TTL_SECONDS", 3600),
    cacheMaxEntries: positiveInteger(env, "CACHE_MAX_ENTRIES", 500),
    cacheMaxBytes: positiveInteger(env, "CACHE_MAX_BYTES", 8 * 1024 * 1024),
    idleSeconds: positiveInteger(env, "AGENT_IDLE_SECONDS", 900),
    maxResponseBytes: positiveInteger(env, "MAX_RESPONSE_BYTES", 5_000_000),
    // Plausible's default per key.
    hourlyLimit: positiveInteger(env, "PLAUSIBLE_HOURLY_LIMIT", 600),
    memberHourlyLimit: positiveInteger(env, "PLAUSIBLE_USER_HOURLY_LIMIT", 120),
    circuit: {
      failureThreshold: positiveInteger(env, "CIRCUIT_FAILURE_THRESHOLD", 5),
      windowSeconds: positiveInteger(env, "CIRCUIT_WINDOW_SECONDS", 60),
      coolingOffSeconds: positiveInteger(env, "CIRCUIT_COOLING_OFF_SECONDS", 30),
    },
    auditRetentionDays: positiveInteger(env, "AUDIT_RETENTION_DAYS", 90),
  };
}

/** How long an MCP session (/internal, /sse) is kept without traffic before its storage is deleted (`SESSION_IDLE_SECONDS`). */
export function readSessionIdleSeconds(env: Vars): number {
  return positiveInteger(env, "SESSION_IDLE_SECONDS", 86_400);
}

/**
 * The ceiling on MCP traffic from one client address (an IPv6 /64) on the endpoints anyone with a key can
 * call (/mcp, /sse, /connect): requests a minute, and keys this address has not used within the hour.
 * Generous enough for a team behind one NAT; they bound what a caller who invents keys can make the
 * server create and send to Plausible.
 */
export interface AddressLimits {
  requestsPerMinute: number;
  newKeysPerHour: number;
}

export function readAddressLimits(env: Vars): AddressLimits {
  return {
    requestsPerMinute: positiveInteger(env, "ADDRESS_RATE_LIMIT_PER_MINUTE", 600),
    newKeysPerHour: positiveInteger(env, "NEW_KEYS_PER_ADDRESS_PER_HOUR", 60),
  };
}

/** Clients refuse or cut larger tool results (Claude's apps near 150,000 characters, Claude Code about 25,000 tokens). */
export const DEFAULT_MAX_RESULT_CHARS = 100_000;

/** The most characters one tool result may take, text and structured content together (`MAX_RESULT_CHARS`). */
export function readMaxResultChars(env: Vars): number {
  return positiveInteger(env, "MAX_RESULT_CHARS", DEFAULT_MAX_RESULT_CHARS);
}

/** Cloudflare's location hints for a new Durable Object. */
export const AGENT_LOCATION_HINTS: readonly DurableObjectLocationHint[] = [
  "wnam",
  "enam",
  "sam",
  "weur",
  "eeur",
  "apac",
  "apac-ne",
  "apac-se",
  "oc",
  "afr",
  "me",
];

const PLAUSIBLE_CLOUD_HOST = "plausible.io";
// Plausible Cloud runs in Germany.
const PLAUSIBLE_CLOUD_HINT: DurableObjectLocationHint = "weur";

const placements = new WeakMap<Vars, DurableObjectNamespaceGetDurableObjectOptions>();

/**
 * Where a usage agent or the shared-key guard is created (`AGENT_LOCATION_HINT`). Every call it admits
 * goes from the worker to the object and from the object to Plausible, so the object belongs next to
 * Plausible, not next to whichever member happened to call first: western Europe for Plausible Cloud,
 * the operator's choice for a Community Edition server, else Cloudflare's default (near the first caller).
 * A hint only places an object when it is created; an existing one stays where it is.
 */
export function readAgentPlacement(env: Vars): DurableObjectNamespaceGetDurableObjectOptions {
  const known = placements.get(env);
  if (known) return known;
  const raw = settingText(env, "AGENT_LOCATION_HINT");
  if (raw !== undefined && !(AGENT_LOCATION_HINTS as readonly string[]).includes(raw)) {
    throw new SettingError("AGENT_LOCATION_HINT", `must be one of ${AGENT_LOCATION_HINTS.join(", ")}, got "${raw}"`);
  }
  const locationHint = (raw as DurableObjectLocationHint | undefined) ?? (isPlausibleCloud(env) ? PLAUSIBLE_CLOUD_HINT : undefined);
  const placement = locationHint ? { locationHint } : {};
  placements.set(env, placement);
  return placement;
}

/** Whether `PLAUSIBLE_BASE_URL` is Plausible Cloud (its default); a malformed URL is reported where it is used. */
function isPlausibleCloud(env: Vars): boolean {
  const raw = settingText(env, "PLAUSIBLE_BASE_URL");
  return raw === undefined || (URL.canParse(raw) && new URL(raw).hostname === PLAUSIBLE_CLOUD_HOST);
}

// An isolate keeps one env object, so each is checked once.
const checked = new WeakMap<Vars, SettingError | undefined>();

/** The first setting that is set but invalid, checked by the worker before it serves a request. */
export function invalidSetting(env: Vars): SettingError | undefined {
  if (checked.has(env)) return checked.get(env);
  let invalid: SettingError | undefined;
  try {
    readUsageConfig(env);
    readSessionIdleSeconds(env);
    readMaxResultChars(env);
    readAddressLimits(env);
    readAgentPlacement(env);
    readDigestConfig(env);
  } catch (error) {
    if (!(error instanceof SettingError)) throw error;
    invalid = error;
  }
  checked.set(env, invalid);
  return invalid;
}

/** The 503 every affected endpoint answers while a setting is missing or invalid: it names the setting, never its value. */
export function configurationErrorResponse(setting: string): Response {
  return Response.json({ error: "server_error", error_description: setting }, { status: 503, headers: { "Cache-Control": "no-store" } });
}

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

export function readDigestConfig(env: Vars): DigestConfig {
  const insecure = settingText(env, "DIGEST_ALLOW_INSECURE_WEBHOOKS");
  if (insecure !== undefined && insecure !== "true" && insecure !== "false")
    throw new SettingError("DIGEST_ALLOW_INSECURE_WEBHOOKS", `must be "true" or "false", got "${insecure}"`);
  return {
    secret: settingText(env, "COOKIE_SECRET"),
    allowInsecureWebhooks: insecure === "true",
    deliveryAttempts: positiveInteger(env, "DIGEST_DELIVERY_ATTEMPTS", 3),
    pauseAfterFailures: positiveInteger(env, "DIGEST_PAUSE_AFTER_FAILURES", 3),
    retryBaseMs: positiveInteger(env, "DIGEST_RETRY_BASE_MS", 2000, 0),
  };
}
