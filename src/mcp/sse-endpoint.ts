import { bearerKey, missingKeyResponse } from "./bearer-key";
import { sha256Hex } from "../shared/hash";
import { PlausibleKeySession, type KeySessionProps } from "./session";
import { serveOwnedSessions } from "./owned-sessions";

/** /sse: the legacy HTTP+SSE transport (GET /sse, POST /sse/message) for bearer-key clients; each session belongs to its key. */
export function createSseEndpoint() {
  const sessions = serveOwnedSessions(PlausibleKeySession, "/sse", "KEY_SESSION", "sse");
  return async (request: Request, env: Env, ctx: ExecutionContext): Promise<Response> => {
    const apiKey = bearerKey(request.headers);
    if (!apiKey) return missingKeyResponse();
    const props: KeySessionProps = { keyHash: await sha256Hex(apiKey) };
    return sessions.fetch(request, env, ctx, `key:${props.keyHash}`, props);
  };
}
