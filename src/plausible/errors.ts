// What can go wrong when talking to Plausible, as distinct classes so callers
// can tell "Plausible said no" (fix the request) from "Plausible is away"
// (try later) from "that was not Plausible" (fix the configuration).
// No message ever carries the API key: the client redacts it before building one.

// Plausible answered with a 4xx. `plausibleMessage` is Plausible's own
// {"error": "..."} text, verbatim, or the start of the body when it sent no
// such text. Community Edition's answer to the Sites API (406, an HTML page)
// lands here too, so callers can check the status and fall back.
export class PlausibleApiError extends Error {
  override name = "PlausibleApiError";
  readonly status: number;
  readonly plausibleMessage: string;
  // For 429: how long the limit window Plausible named lasts. Plausible sends
  // no Retry-After, so "per hour" gives 3600 (the time left in the window is unknown).
  readonly retryAfterSeconds?: number;

  constructor(message: string, details: { status: number; plausibleMessage: string; retryAfterSeconds?: number }) {
    super(message);
    this.status = details.status;
    this.plausibleMessage = details.plausibleMessage;
    if (details.retryAfterSeconds !== undefined) this.retryAfterSeconds = details.retryAfterSeconds;
  }
}

// Plausible could not be reached, timed out or answered 5xx, after one retry.
export class PlausibleUnavailableError extends Error {
  override name = "PlausibleUnavailableError";
  readonly reason: "timeout" | "network" | "server_error";
  readonly status?: number;

  constructor(message: string, details: { reason: "timeout" | "network" | "server_error"; status?: number }) {
    super(message);
    this.reason = details.reason;
    if (details.status !== undefined) this.status = details.status;
  }
}

/**
 * The Sites API exists only on Plausible Cloud. Community Edition has no such
 * routes: the request falls through to an HTML catch-all page that answers 406
 * to `Accept: application/json`; other setups answer 404. Callers that use it
 * fall back and say so.
 */
export function isSitesApiMissing(error: unknown): boolean {
  return error instanceof PlausibleApiError && (error.status === 404 || error.status === 406);
}

// The answer was not what Plausible sends: a redirect, a body over the byte
// cap, malformed JSON or JSON of the wrong shape.
export class PlausibleResponseError extends Error {
  override name = "PlausibleResponseError";
}

// The Plausible base URL is not one this client will send an API key to.
export class PlausibleConfigError extends Error {
  override name = "PlausibleConfigError";
}
