import { McpServer } from "@modelcontextprotocol/server";
import { createMcpHandler } from "agents/mcp/server";
import { instrumentMcpServer } from "../observability/mcp-telemetry";
import { sentryOptions } from "../observability/sentry-options";
import { bearerKey, missingKeyResponse } from "./bearer-key";
import { registerPromptsAndResources } from "./register-prompts-and-resources";
import { registerTools } from "./register-tools";
import { SERVER_INFO, SERVER_OPTIONS } from "./server-info";
import { toolContextFor } from "./tool-context";

/**
 * /mcp: stateless Streamable HTTP (SDK v2), serving 2026-07-28 clients and
 * 2025-era ones on the same URL. Each request brings its own key; the key's
 * usage agent holds its rate limit and cache.
 */
export function createBearerMcpHandler(env: Env) {
  // Without SENTRY_DSN, Sentry records nothing; wrapping each request's server would still cost CPU.
  const instrument = sentryOptions(env).enabled;
  const handler = createMcpHandler(
    ({ requestInfo }) => {
      const fresh = new McpServer(SERVER_INFO, SERVER_OPTIONS);
      const server = instrument ? instrumentMcpServer(fresh, "mcp") : fresh;
      const apiKey = bearerKey(requestInfo?.headers) ?? "";
      const contextFor = () => toolContextFor(env, { scope: "key", apiKey });
      registerTools(server, contextFor, { endpoint: "mcp" });
      registerPromptsAndResources(server, contextFor, { endpoint: "mcp" });
      return server;
    },
    // Host and Origin are checked for every MCP path before routing (src/http/origin-host-guard.ts).
    { route: "/mcp", allowedOriginHostnames: "*" },
  );
  return (request: Request, ctx: ExecutionContext): Promise<Response> => {
    if (!bearerKey(request.headers)) return Promise.resolve(missingKeyResponse());
    return handler(request, env, ctx);
  };
}
