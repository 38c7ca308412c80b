import { isLegacyRequest } from "@modelcontextprotocol/server";
import { getMcpAuthContext } from "agents/mcp/server";
import { CONNECT_PATH, type ConnectProps, type ConnectServices } from "../auth/connect";
import { sha256Hex } from "../shared/hash";
import { checkPlausibleKey } from "./key-check";
import { serveOwnedSessions } from "./owned-sessions";
import { statelessEndpoint } from "./server";
import { PlausibleConnectSession, type KeySessionProps } from "./session";
import { toolContextFor } from "./tool-context";

/** The key in this request's grant, as the OAuth resource server validated and decrypted it. */
function keyOf(props: unknown): string {
  const { apiKey } = (props ?? {}) as Partial<ConnectProps>;
  if (!apiKey) throw new Error("/connect was reached without a validated grant");
  return apiKey;
}

/**
 * What /connect needs from the MCP side: its endpoint behind the OAuth resource server, and the key
 * check of its authorization page. Tool calls run with the grant's key through the key's usage agent,
 * exactly as on /mcp with the same key (one bucket and one cache per key). Like /internal, 2026-07-28
 * requests get a server built for the request; 2025-era traffic (initialize, `mcp-session-id`, the SSE
 * stream and POST /connect/message) goes to a session of its own class, owned by the key. The session
 * keeps only the key's digest; each request to it carries the key in place of the OAuth token, as /sse's do.
 */
export function createConnectServices(): ConnectServices {
  const sessions = serveOwnedSessions(PlausibleConnectSession, CONNECT_PATH, "CONNECT_SESSION", "auto");
  const stateless = statelessEndpoint(CONNECT_PATH, "reject", (env) => {
    const apiKey = keyOf(getMcpAuthContext()?.props);
    return { caller: { endpoint: "connect" }, contextFor: () => toolContextFor(env, { scope: "key", apiKey }) };
  });
  return {
    mcp: {
      async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
        const apiKey = keyOf(ctx.props);
        if (new URL(request.url).pathname === CONNECT_PATH && !(await isLegacyRequest(request))) return stateless(request, env, ctx);
        const props: KeySessionProps = { keyHash: await sha256Hex(apiKey) };
        const headers = new Headers(request.headers);
        headers.set("Authorization", `Bearer ${apiKey}`);
        return sessions.fetch(new Request(request, { headers }), env, ctx, `connect:${props.keyHash}`, props);
      },
    },
    checkKey: checkPlausibleKey,
  };
}
