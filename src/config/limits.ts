import { positiveInteger } from "./settings";

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

export function readUsageConfig(env: Env): UsageConfig {
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
export function readSessionIdleSeconds(env: Env): number {
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

export function readAddressLimits(env: Env): AddressLimits {
  return {
    requestsPerMinute: positiveInteger(env, "ADDRESS_RATE_LIMIT_PER_MINUTE", 600),
    newKeysPerHour: positiveInteger(env, "NEW_KEYS_PER_ADDRESS_PER_HOUR", 60),
  };
}

/** Clients refuse or cut larger tool results (Claude's apps near 150,000 characters, Claude Code about 25,000 tokens). */
export const DEFAULT_MAX_RESULT_CHARS = 100_000;

/** The most characters one tool result may take, text and structured content together (`MAX_RESULT_CHARS`). */
export function readMaxResultChars(env: Env): number {
  return positiveInteger(env, "MAX_RESULT_CHARS", DEFAULT_MAX_RESULT_CHARS);
}
