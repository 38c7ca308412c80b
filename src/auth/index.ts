import { configurationErrorResponse } from "../shared/config";
import { readAuthConfig } from "./config";
import { providerFor, type InternalMcpHandler } from "./provider";
import { rateLimitSignIn } from "./rate-limiter";

export { AuthRateLimiter } from "./rate-limiter";
export type { InternalMcpHandler } from "./provider";

const RATE_LIMITED_PATHS = new Set(["/authorize", "/token", "/register"]);

/**
 * The /internal connector: OAuth discovery, registration, consent and sign-in, tokens, and the
 * MCP endpoint behind them. An incomplete configuration is a 503 naming the missing setting,
 * so the rest of the worker (/mcp, /sse) keeps serving.
 */
export async function handleOAuth(request: Request, env: Env, ctx: ExecutionContext, internalMcp: InternalMcpHandler): Promise<Response> {
  const { pathname } = new URL(request.url);
  const result = readAuthConfig(env);
  if (!result.ok) {
    console.error(`[auth] ${pathname} is unavailable: ${result.setting} ${result.reason}`);
    return configurationErrorResponse(result.setting);
  }
  if (RATE_LIMITED_PATHS.has(pathname)) {
    const limited = await rateLimitSignIn(request, env, result.config.rateLimits);
    if (limited) return limited;
  }
  return providerFor(result.config, internalMcp).fetch(request, env, ctx);
}
