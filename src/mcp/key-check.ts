import type { KeyCheck } from "../auth/connect";
import { parsePlausibleBaseUrl, PlausibleApiError, PlausibleClient, PlausibleConfigError, PlausibleUnavailableError } from "../plausible";
import { readPlausibleSettings } from "../config";
import { bearerKey } from "./bearer-key";

const KEY_CHECK_TIMEOUT_MS = 10_000;

/** One cheap request with the key (the first page of the Sites API, or the default site's realtime count on Community Edition). */
async function askPlausible(apiKey: string, env: Env): Promise<void> {
  const { baseUrl, defaultSiteId } = readPlausibleSettings(env);
  const client = new PlausibleClient({ baseUrl: parsePlausibleBaseUrl(baseUrl), apiKey, timeoutMs: KEY_CHECK_TIMEOUT_MS });
  await client.checkKey(defaultSiteId);
}

/** /connect's authorization page: a refusal carries Plausible's own text, shown on the page. */
export async function checkPlausibleKey(apiKey: string, env: Env): Promise<KeyCheck> {
  if (bearerKey({ authorization: `Bearer ${apiKey}` }) !== apiKey) {
    return {
      ok: false,
      message:
        "This does not look like a Plausible API key (letters, digits and - . _ ~ + / only). Copy it " +
        "again from Plausible: Account settings > API keys.",
    };
  }
  try {
    await askPlausible(apiKey, env);
    return { ok: true };
  } catch (error) {
    if (error instanceof PlausibleApiError) return { ok: false, message: error.plausibleMessage };
    if (error instanceof PlausibleUnavailableError)
      return { ok: false, message: `Plausible could not be reached to check the key (${error.message}). Try again in a minute.` };
    if (error instanceof PlausibleConfigError) return { ok: false, message: `This server cannot reach Plausible: ${error.message}` };
    throw error;
  }
}

/**
 * /sse, before a stream (and its session object) is opened: 401 when Plausible refuses the key (401).
 * Any other answer lets the stream open: an unreachable Plausible is reported by the tools that need it.
 */
export async function refusedKeyResponse(apiKey: string, env: Env): Promise<Response | undefined> {
  try {
    await askPlausible(apiKey, env);
    return undefined;
  } catch (error) {
    if (!(error instanceof PlausibleApiError && error.status === 401)) return undefined;
    return Response.json(
      {
        error: "invalid_token",
        error_description:
          `Plausible refused this API key (${error.plausibleMessage}), so no session was opened. Check the ` +
          "key in Plausible under Account settings > API keys, or create a new one, and connect again with " +
          "it.",
      },
      { status: 401, headers: { "WWW-Authenticate": 'Bearer realm="plausible-mcp", error="invalid_token"' } },
    );
  }
}
