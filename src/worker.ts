import { createMcpHandler } from "agents/mcp/server";
import { McpServer } from "@modelcontextprotocol/server";
import { z } from "zod";
import { PlausibleMcpSession } from "./agent/mcp-session";

export { PlausibleMcpSession } from "./agent/mcp-session";
export { UsageAgent } from "./agent/usage-agent";

// TEMPORARY scaffold of /mcp (owner: lead).
const bearerMcp = createMcpHandler(() => {
  const server = new McpServer({ name: "plausible", version: "0.1.0" });
  server.registerTool("hello", { description: "hi", inputSchema: z.object({ name: z.string().optional() }) }, async ({ name }) => ({
    content: [{ type: "text", text: `Hello ${name ?? "x"}` }],
  }));
  return server;
}, { route: "/mcp" });
const bearerSse = PlausibleMcpSession.serveSSE("/sse", { binding: "MCP_SESSION" });

// The connector endpoint: the OAuth provider authenticates, then the session agent serves
// Streamable HTTP and legacy SSE (GET /internal, POST /internal/message) on the same path.
export const internalMcp = PlausibleMcpSession.serve("/internal", { binding: "MCP_SESSION", transport: "auto" });

export default {
  fetch(request: Request, env: Env, ctx: ExecutionContext) {
    const { pathname } = new URL(request.url);
    if (pathname === "/mcp") return bearerMcp(request, env, ctx);
    if (pathname === "/sse" || pathname.startsWith("/sse/")) return bearerSse.fetch(request, env, ctx);
    // AUTH SLOT (owner: auth helper): everything else — /internal, /authorize, /callback, /token, /register,
    // /.well-known/* — goes through the OAuth provider built in src/auth with `internalMcp` as its api handler.
    return new Response("Not found", { status: 404 });
  },
} satisfies ExportedHandler<Env>;
