import { PlausibleApiError } from "./errors";
import { rateLimitWindowSeconds } from "./rate-limit-window";

const SNIPPET_CHARS = 200;

// Turns a 4xx answer into a PlausibleApiError. Plausible's own text
// ({"error": "..."}) is kept verbatim: it already says what to fix. Anything
// else (an HTML 404 page from a proxy, Phoenix's default error JSON) still
// names the status and shows the start of the body. `bodyText` arrives with
// the API key already redacted.
export function apiErrorFromResponse(status: number, bodyText: string, headers: Headers): PlausibleApiError {
  const plausibleText = errorTextOf(bodyText);
  const plausibleMessage = plausibleText ?? snippet(bodyText);
  const message =
    plausibleText !== undefined
      ? `Plausible answered ${status}: ${plausibleText}`
      : `Plausible answered ${status} without its usual {"error": "..."} body: ${plausibleMessage || "(empty body)"}`;
  const retryAfterSeconds = status === 429 ? rateLimitWindowSeconds(plausibleMessage, headers.get("retry-after")) : undefined;
  return new PlausibleApiError(message, { status, plausibleMessage, ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }) });
}

function errorTextOf(bodyText: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(bodyText);
    if (typeof parsed === "object" && parsed !== null && "error" in parsed && typeof parsed.error === "string") return parsed.error;
  } catch {
    // Not JSON: the caller falls back to a snippet of the body.
  }
  return undefined;
}

export function snippet(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > SNIPPET_CHARS ? `${flat.slice(0, SNIPPET_CHARS)}…` : flat;
}
