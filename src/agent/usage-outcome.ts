import { PlausibleApiError, PlausibleConfigError, PlausibleResponseError, PlausibleUnavailableError } from "../plausible";

/** The bucket is empty: the call was refused before Plausible was asked. */
export class RateLimitedError extends Error {
  override name = "RateLimitedError";
  constructor(
    readonly retryAfterSeconds: number,
    readonly scope: "key" | "user",
  ) {
    super(`Rate limit reached for this ${scope === "key" ? "API key" : "user"}; the next request is allowed in ${retryAfterSeconds} s.`);
  }
}

/**
 * Errors cross the Durable Object RPC boundary as plain data (RPC keeps only an
 * error's message), and are rebuilt on the other side as the same classes.
 */
export type UsageFailure =
  | { kind: "rate_limited"; retryAfterSeconds: number; scope: "key" | "user" }
  | { kind: "plausible_api"; message: string; status: number; plausibleMessage: string; retryAfterSeconds?: number }
  | { kind: "unavailable"; message: string; reason: "timeout" | "network" | "server_error"; status?: number }
  | { kind: "response"; message: string }
  | { kind: "config"; message: string };

export type UsageOutcome = { ok: true; answers: unknown[]; cacheHits: number } | { ok: false; failure: UsageFailure };

export function toFailure(error: unknown): UsageFailure {
  if (error instanceof RateLimitedError) return { kind: "rate_limited", retryAfterSeconds: error.retryAfterSeconds, scope: error.scope };
  if (error instanceof PlausibleApiError) {
    const { message, status, plausibleMessage, retryAfterSeconds } = error;
    return { kind: "plausible_api", message, status, plausibleMessage, ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }) };
  }
  if (error instanceof PlausibleUnavailableError) {
    return { kind: "unavailable", message: error.message, reason: error.reason, ...(error.status === undefined ? {} : { status: error.status }) };
  }
  if (error instanceof PlausibleResponseError) return { kind: "response", message: error.message };
  if (error instanceof PlausibleConfigError) return { kind: "config", message: error.message };
  throw error;
}

export function fromFailure(failure: UsageFailure): Error {
  switch (failure.kind) {
    case "rate_limited":
      return new RateLimitedError(failure.retryAfterSeconds, failure.scope);
    case "plausible_api":
      return new PlausibleApiError(failure.message, failure);
    case "unavailable":
      return new PlausibleUnavailableError(failure.message, failure);
    case "response":
      return new PlausibleResponseError(failure.message);
    case "config":
      return new PlausibleConfigError(failure.message);
  }
}
