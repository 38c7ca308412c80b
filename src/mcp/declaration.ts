import type { McpServer as McpServerV1 } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { McpServer as McpServerV2 } from "@modelcontextprotocol/server";
import type { ToolCaller } from "../observability/tool-call";
import type { ToolContext } from "../tools";

/** Whom one server answers: the caller it logs and reports for, and the tools' view of Plausible per message. */
export interface ServerScope {
  caller: ToolCaller;
  /** `extra` is the SDK's per-message context (request headers among it). */
  contextFor: (extra: unknown) => ToolContext | Promise<ToolContext>;
}

/** Registers one kind of offering (tools, prompts and resources) on a server of either generation. */
export type Declaration = (server: McpServerV1 | McpServerV2, scope: ServerScope) => void;
