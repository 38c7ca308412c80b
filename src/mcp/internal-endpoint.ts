import { isLegacyRequest } from "@modelcontextprotocol/server";
import { getMcpAuthContext } from "agents/mcp/server";
import type { IdentityProps } from "../auth";
import { INTERNAL_PATH } from "../auth/internal";
import { serveOwnedSessions } from "./owned-sessions";
import { statelessEndpoint } from "./server";
import { PlausibleMcpSession } from "./session";
import { toolContextFor } from "./tool-context";

/** Which server answers an /internal request: the stateless 2026-07-28 one, or the member's McpAgent session. */
export type InternalPath = "stateless" | "session";

/**
 * 2026-07-28 requests (server/discover and every request carrying the per-request `_meta` envelope)
 * go to a server built for the request; 2025-era traffic (initialize, `mcp-session-id`, the SSE
 * stream and POST /internal/message) to its session. The SDK's own classifier decides, so this
 * agrees with createMcpHandler's routing, including its error answers for malformed modern requests.
 */
export async function internalPathFor(request: Request): Promise<InternalPath> {
  if (new URL(request.url).pathname !== INTERNAL_PATH) return "session";
  return (await isLegacyRequest(request)) ? "session" : "stateless";
}

/** The member this request's token belongs to, as the OAuth provider validated it for this request. */
function memberOf(props: unknown): IdentityProps {
  const identity = (props ?? {}) as Partial<IdentityProps>;
  if (!identity.sub || !identity.email) throw new Error("/internal was reached without a validated grant");
  return identity as IdentityProps;
}

/**
 * /internal behind the OAuth provider, which has validated this request's token and passes its
 * grant's props. Stateless requests get an SDK v2 server for the member; sessions are checked against
 * the member who opened them (a revoked or expired token never gets here: the provider answers 401).
 */
export function createInternalEndpoint() {
  const sessions = serveOwnedSessions(PlausibleMcpSession, INTERNAL_PATH, "MCP_SESSION", "auto");
  // 2025-era traffic never reaches the stateless server; the agents handler puts the grant's props in the auth context.
  const stateless = statelessEndpoint(INTERNAL_PATH, "reject", (env) => {
    const { sub, email } = memberOf(getMcpAuthContext()?.props);
    return { caller: { endpoint: "internal", email }, contextFor: () => toolContextFor(env, { scope: "user", sub, email }) };
  });
  return async (request: Request, env: Env, ctx: ExecutionContext): Promise<Response> => {
    const member = memberOf(ctx.props);
    if ((await internalPathFor(request)) === "stateless") return stateless(request, env, ctx);
    return sessions.fetch(request, env, ctx, `user:${member.sub}`, member);
  };
}
