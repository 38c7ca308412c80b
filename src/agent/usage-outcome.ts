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

/** Plausible failed repeatedly just now: the circuit is open and the call was refused without asking Plausible. */
export class CircuitOpenError extends Error {
  override name = "CircuitOpenError";
  constructor(readonly retryAfterSeconds: number) {
    super(`Plausible failed repeatedly just now, so this server is not calling it for the next ${retryAfterSeconds} s, to let it recover.`);
  }
}

/**
 * The shared Plausible key (/internal) has no calls left this hour for this caller: the member's
 * own share (PLAUSIBLE_USER_HOURLY_LIMIT) is used, this server's count for the team reached
 * PLAUSIBLE_HOURLY_LIMIT, or Plausible itself answered 429.
 */
export type SharedQuotaReason = "member_limit" | "hourly_limit" | "plausible_limit";

export class SharedQuotaError extends Error {
  override name = "SharedQuotaError";
  constructor(
    readonly retryAfterSeconds: number,
    readonly reason: SharedQuotaReason,
    readonly hourlyLimit: number,
  ) {
    super(
      {
        member_limit:
          `You have used your ${hourlyLimit} Plausible requests on the team's shared key for this hour; ` +
          "the limit is per member, so your colleagues are not affected. Your capacity returns in " +
          `${retryAfterSeconds} s, when the hour turns (UTC).`,
        hourly_limit:
          `The team's shared Plausible key has used its ${hourlyLimit} calls for this hour; capacity ` +
          `returns in ${retryAfterSeconds} s, when the hour turns (UTC).`,
        plausible_limit:
          "Plausible refused the team's shared key for too many requests; this server stops using it until " +
          `the hour turns (UTC), in ${retryAfterSeconds} s.`,
      }[reason],
    );
  }
}

/**
 * Plausible was unavailable after the client's retry; `retryAfterSeconds` is how long the server now waits before
 * calling it again (0: it tries on the next call).
 */
export class UpstreamUnavailableError extends PlausibleUnavailableError {
  override name = "UpstreamUnavailableError";
  readonly retryAfterSeconds: number;
  constructor(message: string, details: { reason: "timeout" | "network" | "server_error"; status?: number; retryAfterSeconds: number }) {
    super(message, details);
    this.retryAfterSeconds = details.retryAfterSeconds;
  }
}

/**
 * Errors cross the Durable Object RPC boundary as plain data (RPC keeps only an
 * error's message), and are rebuilt on the other side as the same classes.
 */
export type UsageFailure =
  | { kind: "rate_limited"; retryAfterSeconds: number; scope: "key" | "user" }
  | { kind: "plausible_api"; message: string; status: number; plausibleMessage: string; retryAfterSeconds?: number }
  | { kind: "unavailable"; message: string; reason: "timeout" | "network" | "server_error"; status?: number; retryAfterSeconds: number }
  | { kind: "circuit_open"; retryAfterSeconds: number }
  | { kind: "shared_quota"; retryAfterSeconds: number; reason: SharedQuotaReason; hourlyLimit: number }
  | { kind: "response"; message: string }
  | { kind: "config"; message: string };

/**
 * `upstreamMs`: how long the call waited on Plausible (0 when all answers were cached, absent when it was
 * refused before asking). `Answer`: parsed answers, or their JSON text.
 */
export type UsageOutcome<Answer = unknown> =
  { ok: true; answers: Answer[]; cacheHits: number; upstreamMs: number } | { ok: false; failure: UsageFailure; upstreamMs?: number };

/** An outcome with its answers parsed from the JSON text the agent sends. */
export function parseAnswers(outcome: UsageOutcome<string>): UsageOutcome {
  return outcome.ok ? { ...outcome, answers: outcome.answers.map((answer) => JSON.parse(answer) as unknown) } : outcome;
}

export function toFailure(error: unknown): UsageFailure {
  if (error instanceof RateLimitedError) return { kind: "rate_limited", retryAfterSeconds: error.retryAfterSeconds, scope: error.scope };
  if (error instanceof PlausibleApiError) {
    const { message, status, plausibleMessage, retryAfterSeconds } = error;
    return { kind: "plausible_api", message, status, plausibleMessage, ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }) };
  }
  if (error instanceof CircuitOpenError) return { kind: "circuit_open", retryAfterSeconds: error.retryAfterSeconds };
  if (error instanceof SharedQuotaError) {
    return { kind: "shared_quota", retryAfterSeconds: error.retryAfterSeconds, reason: error.reason, hourlyLimit: error.hourlyLimit };
  }
  if (error instanceof PlausibleUnavailableError) {
    const retryAfterSeconds = error instanceof UpstreamUnavailableError ? error.retryAfterSeconds : 0;
    return {
      kind: "unavailable",
      message: error.message,
      reason: error.reason,
      retryAfterSeconds,
      ...(error.status === undefined ? {} : { status: error.status }),
    };
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
      return new UpstreamUnavailableError(failure.message, failure);
    case "circuit_open":
      return new CircuitOpenError(failure.retryAfterSeconds);
    case "shared_quota":
      return new SharedQuotaError(failure.retryAfterSeconds, failure.reason, failure.hourlyLimit);
    case "response":
      return new PlausibleResponseError(failure.message);
    case "config":
      return new PlausibleConfigError(failure.message);
  }
}
