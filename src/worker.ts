import { McpServer } from "@modelcontextprotocol/server";
import { McpServer as McpServerV1 } from "@modelcontextprotocol/sdk/server/mcp.js";
import { Agent } from "agents";
import { McpAgent } from "agents/mcp";
import { createMcpHandler } from "agents/mcp/server";
import { z } from "zod";

function createServer() {
  const server = new McpServer({ name: "plausible", version: "0.1.0" });
  server.registerTool("hello", { description: "hi", inputSchema: z.object({ name: z.string().optional() }) }, async ({ name }) => ({
    content: [{ type: "text", text: `Hello ${name ?? "x"}` }],
  }));
  return server;
}
const handler = createMcpHandler(createServer, { route: "/mcp" });

export class UsageAgent extends Agent<Env> {
  ping() { return "pong"; }
}
export class PlausibleMcpSession extends McpAgent<Env> {
  server = new McpServerV1({ name: "plausible", version: "0.1.0" });
  async init() {
    this.server.registerTool("hello", { description: "hi", inputSchema: { name: z.string().optional() } }, async ({ name }) => ({
      content: [{ type: "text", text: `Hello ${name ?? "x"}` }],
    }));
  }
}
const sse = PlausibleMcpSession.serveSSE("/sse", { binding: "MCP_SESSION" });

export default {
  fetch(request: Request, env: Env, ctx: ExecutionContext) {
    const url = new URL(request.url);
    if (url.pathname.startsWith("/sse")) return sse.fetch(request, env, ctx);
    return handler(request, env, ctx);
  },
} satisfies ExportedHandler<Env>;
