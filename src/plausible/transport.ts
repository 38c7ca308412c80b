import { apiErrorFromResponse, snippet } from "./api-error";
import { PlausibleResponseError, PlausibleUnavailableError } from "./errors";
import { readBodyWithinLimit } from "./read-body";

const USER_AGENT = "plausible-mcp/0.1.0 (+Plausible Analytics MCP server)";

export interface TransportConfig {
  baseUrl: URL;
  apiKey: string;
  timeoutMs: number;
  maxResponseBytes: number;
  fetch: typeof fetch;
  retryDelayMs: (attempt: number) => number;
  /** Awaited before every HTTP request this client sends (first attempts, retries, further pages); throwing stops the call unsent. */
  beforeSend?: () => Promise<void>;
}

export interface ApiCall {
  method: "GET" | "POST";
  // Relative to the base URL, without a leading slash, e.g. "api/v2/query".
  path: string;
  params?: Record<string, string>;
  body?: unknown;
}

type Failure = { reason: "timeout" | "network" | "server_error"; status?: number; detail?: string };

// One JSON call to Plausible. Every call this client makes is a read, so a
// timeout, network failure or 5xx is retried once; a 4xx (including 429) is
// Plausible's considered answer and is not.
export async function callPlausible(config: TransportConfig, call: ApiCall): Promise<unknown> {
  const url = new URL(call.path, config.baseUrl);
  for (const [name, value] of Object.entries(call.params ?? {})) url.searchParams.set(name, value);

  await config.beforeSend?.();
  const first = await attempt(config, call, url);
  if (!("failure" in first)) return first.value;
  await sleep(config.retryDelayMs(1));
  await config.beforeSend?.();
  const second = await attempt(config, call, url);
  if (!("failure" in second)) return second.value;
  throw unavailable(config, second.failure);
}

async function attempt(config: TransportConfig, call: ApiCall, url: URL): Promise<{ value: unknown } | { failure: Failure }> {
  const signal = AbortSignal.timeout(config.timeoutMs);
  const headers: Record<string, string> = {
    Authorization: `Bearer ${config.apiKey}`,
    Accept: "application/json",
    "User-Agent": USER_AGENT,
  };
  if (call.body !== undefined) headers["Content-Type"] = "application/json";

  let response: Response;
  try {
    response = await config.fetch(url.href, {
      method: call.method,
      headers,
      ...(call.body === undefined ? {} : { body: JSON.stringify(call.body) }),
      // Never follow: the Authorization header must not travel to another host.
      redirect: "manual",
      signal,
    });
  } catch (error) {
    return { failure: transportFailure(config, error, signal) };
  }

  if (response.status >= 500) {
    await response.body?.cancel();
    return { failure: { reason: "server_error", status: response.status } };
  }
  // workerd hands back the 3xx itself; Node and browsers an "opaqueredirect" with status 0.
  if ((response.type as string) === "opaqueredirect" || (response.status >= 300 && response.status < 400)) {
    await response.body?.cancel();
    throw redirectError(config, response);
  }

  let text: string;
  try {
    text = redact(await readBodyWithinLimit(response, config.maxResponseBytes), config.apiKey);
  } catch (error) {
    if (error instanceof PlausibleResponseError) throw error;
    return { failure: transportFailure(config, error, signal) };
  }

  if (response.status >= 400) throw apiErrorFromResponse(response.status, text, response.headers);

  try {
    return { value: JSON.parse(text) };
  } catch {
    throw new PlausibleResponseError(
      `Plausible's answer to ${call.method} /${call.path} is not valid JSON (it starts: ` +
        `${snippet(text) || "(empty body)"}). Check that the Plausible base URL points at a Plausible ` +
        "server.",
    );
  }
}

function transportFailure(config: TransportConfig, error: unknown, signal: AbortSignal): Failure {
  if (signal.aborted) return { reason: "timeout" };
  const detail = error instanceof Error ? error.message : String(error);
  return { reason: "network", detail: redact(detail, config.apiKey) };
}

function unavailable(config: TransportConfig, failure: Failure): PlausibleUnavailableError {
  const where = config.baseUrl.origin;
  switch (failure.reason) {
    case "timeout":
      return new PlausibleUnavailableError(
        `Plausible at ${where} did not answer within ${config.timeoutMs} ms, twice. It may be ` +
          "overloaded: try again shortly, or ask for less data (shorter date range, fewer dimensions).",
        { reason: "timeout" },
      );
    case "network":
      return new PlausibleUnavailableError(
        `Could not reach Plausible at ${where}, twice (${failure.detail}). Check the Plausible base URL ` +
          "and that the server is up, then try again.",
        { reason: "network" },
      );
    case "server_error":
      return new PlausibleUnavailableError(
        `Plausible at ${where} answered ${failure.status}, twice: it is having trouble. Try again in a few minutes.`,
        { reason: "server_error", ...(failure.status === undefined ? {} : { status: failure.status }) },
      );
  }
}

function redirectError(config: TransportConfig, response: Response): PlausibleResponseError {
  const location = response.headers.get("location");
  const target = location === null ? "" : ` to ${snippet(redact(location, config.apiKey))}`;
  const status = response.status === 0 ? "" : ` (status ${response.status})`;
  return new PlausibleResponseError(
    `Plausible answered with a redirect${target}${status}. Redirects are not followed, so the API ` +
      `key only goes to ${config.baseUrl.origin}; set the Plausible base URL to the final address ` +
      "(check https and www).",
  );
}

function redact(text: string, secret: string): string {
  return secret === "" ? text : text.replaceAll(secret, "[redacted]");
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
