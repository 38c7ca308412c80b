import { bearerKey, missingKeyResponse } from "./bearer-key";
import { statelessEndpoint } from "./server";
import { toolContextFor } from "./tool-context";

/**
 * /mcp: stateless Streamable HTTP (SDK v2), serving 2026-07-28 clients and
 * 2025-era ones on the same URL. Each request brings its own key; the key's
 * usage agent holds its rate limit and cache.
 */
export function createMcpEndpoint() {
  const stateless = statelessEndpoint("/mcp", "stateless", (env, { requestInfo }) => {
    const apiKey = bearerKey(requestInfo?.headers) ?? "";
    return { caller: { endpoint: "mcp" }, contextFor: () => toolContextFor(env, { scope: "key", apiKey }) };
  });
  return async (request: Request, env: Env, ctx: ExecutionContext): Promise<Response> => {
    if (!bearerKey(request.headers)) return missingKeyResponse();
    return stateless(request, env, ctx);
  };
}
