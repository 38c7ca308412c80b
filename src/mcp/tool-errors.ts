import {
  featureRefusedIn,
  PlausibleApiError,
  PlausibleConfigError,
  PlausibleResponseError,
  PlausibleUnavailableError,
  versionHint,
} from "../plausible";
import { ResultBudgetError, TeamMemoryRefusal, ToolInputError } from "../tools";
import { CircuitOpenError, RateLimitedError, SharedQuotaError, UpstreamUnavailableError } from "../agent/usage-outcome";

const HINTS: Record<number, string> = {
  400: "Change the query as Plausible's message says, then call again.",
  401:
    "The API key is invalid or cannot read this site: check `site_id` (list_sites shows the readable " +
    "sites) or ask the user for a key with access.",
  402: "The Plausible plan has no Stats API access, or the site is locked. The site owner has to resolve this in Plausible.",
  404: "Plausible has no such resource for this site: check `site_id`.",
  429: "Plausible's own rate limit for this key is reached; wait before asking again.",
};

/** Turns a failed tool call into the text a model and a person read: what went wrong and what to do next. */
export function describeToolError(error: unknown): string {
  if (error instanceof ToolInputError || error instanceof ResultBudgetError || error instanceof TeamMemoryRefusal) return error.message;
  if (error instanceof RateLimitedError) {
    return `${error.message} Wait ${error.retryAfterSeconds} s before the next call; answers already fetched are cached and free.`;
  }
  if (error instanceof PlausibleApiError) {
    const window = error.status === 429 && error.retryAfterSeconds ? ` Capacity returns within ${error.retryAfterSeconds} s.` : "";
    // An older Community Edition refuses what it does not know yet with an ordinary 400.
    const refused = error.status === 400 ? featureRefusedIn(error.plausibleMessage) : undefined;
    const hint = refused ? versionHint(refused) : (HINTS[error.status] ?? "Check the arguments and try again.");
    return `Plausible answered ${error.status}: ${error.plausibleMessage}\n${hint}${window}`;
  }
  if (error instanceof SharedQuotaError) {
    return `${error.message} Wait until then; answers already fetched are cached and free, so repeat earlier questions meanwhile.`;
  }
  if (error instanceof CircuitOpenError) {
    return `Plausible is unavailable: ${error.message} Ask again in ${error.retryAfterSeconds} s; this is not a problem with the question.`;
  }
  if (error instanceof PlausibleUnavailableError) {
    const wait = error instanceof UpstreamUnavailableError ? error.retryAfterSeconds : 0;
    const next =
      wait > 0
        ? `After repeated failures the server will wait ${wait} s before calling Plausible again; ask again after that.`
        : "The server will try Plausible again on the next call; if it keeps failing, the server pauses its calls for a short while.";
    return (
      `Plausible is unavailable (${error.reason}${error.status ? ` ${error.status}` : ""}) after a ` +
      `retry. ${next} This is not a problem with the question.`
    );
  }
  if (error instanceof PlausibleResponseError)
    return `Plausible's answer could not be used: ${error.message}. Try a narrower query (a shorter period or a smaller limit).`;
  if (error instanceof PlausibleConfigError) return `The server is misconfigured: ${error.message}`;
  return "The server failed unexpectedly while running this tool. Try again; if it keeps failing, report it to the server's operator.";
}

/** Expected outcomes of a call (bad input, limits, Plausible's answers) rather than faults of this server. */
export function isExpectedToolError(error: unknown): boolean {
  return (
    !(error instanceof Error) ||
    error instanceof ToolInputError ||
    error instanceof ResultBudgetError ||
    error instanceof TeamMemoryRefusal ||
    error instanceof RateLimitedError ||
    error instanceof SharedQuotaError ||
    error instanceof CircuitOpenError ||
    error instanceof PlausibleApiError
  );
}
