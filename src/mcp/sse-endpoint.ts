import { bearerKey, missingKeyResponse } from "./bearer-key";
import { refusedKeyResponse } from "./key-check";
import { sha256Hex } from "../shared/hash";
import { PlausibleKeySession, type KeySessionProps } from "./session";
import { serveOwnedSessions } from "./owned-sessions";

const SSE_PATH = "/sse";

/**
 * /sse: the legacy HTTP+SSE transport (GET /sse, POST /sse/message) for bearer-key clients; each session
 * belongs to its key. A stream is opened only for a key Plausible accepts: a session object kept for a
 * day, and an open stream, are too much to hand any string that looks like a key.
 */
export function createSseEndpoint() {
  const sessions = serveOwnedSessions(PlausibleKeySession, SSE_PATH, "KEY_SESSION", "sse");
  return async (request: Request, env: Env, ctx: ExecutionContext): Promise<Response> => {
    const apiKey = bearerKey(request.headers);
    if (!apiKey) return missingKeyResponse();
    const url = new URL(request.url);
    const opensSession = request.method === "GET" && url.pathname === SSE_PATH && !url.searchParams.get("sessionId");
    if (opensSession) {
      const refused = await refusedKeyResponse(apiKey, env);
      if (refused) return refused;
    }
    const props: KeySessionProps = { keyHash: await sha256Hex(apiKey) };
    return sessions.fetch(request, env, ctx, `key:${props.keyHash}`, props);
  };
}
