import { createMcpHandler } from "agents/mcp/server";
import { bearerKey, missingKeyResponse } from "./bearer-key";
import { buildMcpServer } from "./server";
import { toolContextFor } from "./tool-context";

/**
 * /mcp: stateless Streamable HTTP (SDK v2), serving 2026-07-28 clients and
 * 2025-era ones on the same URL. Each request brings its own key; the key's
 * usage agent holds its rate limit and cache.
 */
export function createMcpEndpoint() {
  let stateless: ReturnType<typeof createMcpHandler> | undefined;
  const statelessFor = (env: Env) =>
    (stateless ??= createMcpHandler(
    ({ requestInfo }) => {
      const apiKey = bearerKey(requestInfo?.headers) ?? "";
      return buildMcpServer("v2", env, { caller: { endpoint: "mcp" }, contextFor: () => toolContextFor(env, { scope: "key", apiKey }) });
    },
    // Host and Origin are checked for every MCP path before routing (src/http/origin-host-guard.ts).
    { route: "/mcp", allowedOriginHostnames: "*" },
  ));
  return async (request: Request, env: Env, ctx: ExecutionContext): Promise<Response> => {
    if (!bearerKey(request.headers)) return missingKeyResponse();
    return statelessFor(env)(request, env, ctx);
  };
}
