import type { ConnectProps, ConnectServices, KeyCheck } from "../auth/connect";
import { parsePlausibleBaseUrl, PlausibleApiError, PlausibleClient, PlausibleConfigError, PlausibleUnavailableError } from "../plausible";
import { bearerKey } from "./bearer-key";
import { sha256Hex } from "./hash";
import { PlausibleMcpSession, type KeySessionProps } from "./mcp-session";
import { serveOwnedSessions } from "./owned-sessions";

/**
 * The sessions of /connect (a bring-your-own-key OAuth grant): a class and binding of their own, so
 * they never share a namespace with /sse's or /internal's. They run like /sse key sessions: the
 * session keeps only the key's digest, and each message carries the key (put there by the worker
 * from the grant's decrypted props, in place of the OAuth token), so tool calls go through the key's
 * usage agent exactly as on /mcp: one bucket and one cache per key, whatever the endpoint.
 */
export class PlausibleConnectSession extends PlausibleMcpSession {
  protected override get keyEndpoint(): "connect" {
    return "connect";
  }
}

const KEY_CHECK_TIMEOUT_MS = 10_000;

/** The services /connect needs: its MCP endpoint behind the OAuth resource server, and the key check of its authorization page. */
export function createConnectServices(): ConnectServices {
  const sessions = serveOwnedSessions(PlausibleConnectSession, "/connect", "CONNECT_SESSION", "auto");
  return {
    mcp: {
      async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
        const { apiKey } = (ctx.props ?? {}) as Partial<ConnectProps>;
        if (!apiKey) throw new Error("/connect was reached without a validated grant");
        const props: KeySessionProps = { keyHash: await sha256Hex(apiKey) };
        const headers = new Headers(request.headers);
        headers.set("Authorization", `Bearer ${apiKey}`);
        const sessionCtx = { waitUntil: (promise: Promise<unknown>) => ctx.waitUntil(promise), passThroughOnException: () => ctx.passThroughOnException(), props } as ExecutionContext;
        return sessions.fetch(new Request(request, { headers }), env, sessionCtx, `connect:${props.keyHash}`);
      },
    },
    checkKey: checkPlausibleKey,
  };
}

/** One cheap request with the pasted key; a refusal carries Plausible's own text, shown on the page. */
export async function checkPlausibleKey(apiKey: string, env: Env): Promise<KeyCheck> {
  if (bearerKey({ authorization: `Bearer ${apiKey}` }) !== apiKey) {
    return { ok: false, message: "This does not look like a Plausible API key (letters, digits and - . _ ~ + / only). Copy it again from Plausible: Account settings > API keys." };
  }
  try {
    const client = new PlausibleClient({ baseUrl: parsePlausibleBaseUrl(env.PLAUSIBLE_BASE_URL), apiKey, timeoutMs: KEY_CHECK_TIMEOUT_MS });
    await client.checkKey(env.PLAUSIBLE_DEFAULT_SITE_ID || undefined);
    return { ok: true };
  } catch (error) {
    if (error instanceof PlausibleApiError) return { ok: false, message: error.plausibleMessage };
    if (error instanceof PlausibleUnavailableError) return { ok: false, message: `Plausible could not be reached to check the key (${error.message}). Try again in a minute.` };
    if (error instanceof PlausibleConfigError) return { ok: false, message: `This server cannot reach Plausible: ${error.message}` };
    throw error;
  }
}
