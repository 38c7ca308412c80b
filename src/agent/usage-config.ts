import { DEFAULT_MAX_RESULT_CHARS } from "../tools/types";
import type { CircuitSettings } from "./circuit-breaker";

/** Limits and cache settings, read from the environment with the documented defaults. */
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
  circuit: CircuitSettings;
}

function positiveInteger(raw: string | undefined, fallback: number, name: string): number {
  if (raw === undefined || raw.trim() === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) {
    throw new Error(`${name} must be a positive whole number, got "${raw}"`);
  }
  return value;
}

/** How long an MCP session (/internal, /sse) is kept without traffic before its storage is deleted (`SESSION_IDLE_SECONDS`). */
export function readSessionIdleSeconds(env: Partial<Record<string, unknown>>): number {
  const raw = env.SESSION_IDLE_SECONDS;
  return positiveInteger(typeof raw === "string" ? raw : undefined, 86_400, "SESSION_IDLE_SECONDS");
}

export function readUsageConfig(env: Partial<Record<string, unknown>>): UsageConfig {
  const text = (name: string) => (typeof env[name] === "string" ? (env[name] as string) : undefined);
  return {
    burst: positiveInteger(text("RATE_LIMIT_BURST"), 30, "RATE_LIMIT_BURST"),
    refillPerMinute: positiveInteger(text("RATE_LIMIT_PER_MINUTE"), 60, "RATE_LIMIT_PER_MINUTE"),
    cacheTtlSeconds: positiveInteger(text("CACHE_TTL_SECONDS"), 3600, "CACHE_TTL_SECONDS"),
    cacheMaxEntries: positiveInteger(text("CACHE_MAX_ENTRIES"), 500, "CACHE_MAX_ENTRIES"),
    cacheMaxBytes: positiveInteger(text("CACHE_MAX_BYTES"), 8 * 1024 * 1024, "CACHE_MAX_BYTES"),
    idleSeconds: positiveInteger(text("AGENT_IDLE_SECONDS"), 900, "AGENT_IDLE_SECONDS"),
    maxResponseBytes: positiveInteger(text("MAX_RESPONSE_BYTES"), 5_000_000, "MAX_RESPONSE_BYTES"),
    // Plausible's default per key.
    hourlyLimit: positiveInteger(text("PLAUSIBLE_HOURLY_LIMIT"), 600, "PLAUSIBLE_HOURLY_LIMIT"),
    memberHourlyLimit: positiveInteger(text("PLAUSIBLE_USER_HOURLY_LIMIT"), 120, "PLAUSIBLE_USER_HOURLY_LIMIT"),
    circuit: {
      failureThreshold: positiveInteger(text("CIRCUIT_FAILURE_THRESHOLD"), 5, "CIRCUIT_FAILURE_THRESHOLD"),
      windowSeconds: positiveInteger(text("CIRCUIT_WINDOW_SECONDS"), 60, "CIRCUIT_WINDOW_SECONDS"),
      coolingOffSeconds: positiveInteger(text("CIRCUIT_COOLING_OFF_SECONDS"), 30, "CIRCUIT_COOLING_OFF_SECONDS"),
    },
  };
}

/** The most characters one tool result may take (`MAX_RESULT_CHARS`). */
export function readMaxResultChars(env: Partial<Record<string, unknown>>): number {
  const raw = env.MAX_RESULT_CHARS;
  return positiveInteger(typeof raw === "string" ? raw : undefined, DEFAULT_MAX_RESULT_CHARS, "MAX_RESULT_CHARS");
}
