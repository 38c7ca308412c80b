// TEMPORARY scaffold, replaced by the real session agent (owner: lead). Kept only so routing can be wired.
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { McpAgent } from "agents/mcp";
import { z } from "zod";

export class PlausibleMcpSession extends McpAgent<Env> {
  server = new McpServer({ name: "plausible", version: "0.1.0" });
  async init() {
    this.server.registerTool("hello", { description: "hi", inputSchema: { name: z.string().optional() } }, async ({ name }) => ({
      content: [{ type: "text", text: `Hello ${name ?? "x"}` }],
    }));
  }
}
