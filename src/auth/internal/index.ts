import { admitConnectorRequest } from "..";
import { readAuthConfig } from "../../config";
import type { InternalMcpHandler } from "./member-checks";
import { providerFor } from "./provider";

export type { InternalMcpHandler } from "./member-checks";
export { INTERNAL_PATH, oauthHelpers } from "./provider";

/**
 * The /internal connector: OAuth discovery, registration, consent and sign-in, tokens, and the
 * MCP endpoint behind them. An incomplete configuration is a 503 naming the missing setting,
 * so the rest of the worker (/mcp, /sse) keeps serving.
 */
export async function handleInternal(
  request: Request,
  env: Env,
  ctx: ExecutionContext,
  internalMcp: InternalMcpHandler,
): Promise<Response> {
  const config = await admitConnectorRequest(request, env, "auth", readAuthConfig(env));
  if (config instanceof Response) return config;
  return providerFor(config, internalMcp).fetch(request, env, ctx);
}
