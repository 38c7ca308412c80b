import { McpServer as McpServerV1 } from "@modelcontextprotocol/sdk/server/mcp.js";
import { ListToolsRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { McpServer as McpServerV2, type CacheHint, type McpServerFactory } from "@modelcontextprotocol/server";
import { createMcpHandler } from "agents/mcp/server";
import { instrumentMcpServer } from "../observability/mcp-telemetry";
import { sentryOptions } from "../observability/sentry-options";
import { observeToolCall } from "../observability/tool-call";
import { fitResult, listedJsonSchema, SERVER_INSTRUCTIONS, TOOLS, type ToolDefinition } from "../tools";
import { SERVER_INFO } from "../shared/server-identity";
import { chartToolMeta } from "../ui/chart-app";
import type { Declaration, ServerScope } from "./declaration";
import { registerPromptsAndResources } from "./prompts-and-resources";
import { describeToolError, isExpectedToolError } from "./tool-errors";

/**
 * The one MCP server factory. Every endpoint (/mcp, /sse, both /internal paths) builds its server
 * here, for either SDK generation: v1 for the McpAgent sessions, v2 for the stateless handlers.
 * What a server offers is the list of DECLARATIONS below; adding a prompt, a resource or a UI
 * resource is one more entry there, and every endpoint and protocol revision then serves it.
 */

/** The part of `McpServer.registerTool` that SDK v1 and v2 share. */
interface ToolRegistry {
  registerTool(name: string, config: Record<string, unknown>, handler: (input: never, extra: never) => unknown): unknown;
}

const READ_ONLY_HINTS = { readOnlyHint: true, openWorldHint: true, destructiveHint: false, idempotentHint: true } as const;

/** What a client is told about a tool, apart from its schemas. */
function toolMetadata(tool: ToolDefinition) {
  return {
    title: tool.title,
    description: tool.description,
    annotations: { title: tool.title, ...(tool.hints ?? READ_ONLY_HINTS) },
    _meta: chartToolMeta(tool.name),
  };
}

/** Every tool, answering with a result that fits the budget clients accept; a failure is a tool error saying what to do next. */
const registerTools: Declaration = (server, scope) => {
  for (const tool of TOOLS) registerTool(server, scope, tool);
  listToolsWithOutputSchemas(server);
};

// Registered without their output schemas: both SDKs would re-parse every result with them (on a 1,000-row
// series the largest part of a call's own CPU) and use them for nothing else here, since tools/list is ours
// (listToolsWithOutputSchemas), which lists them. The tools' tests parse every result with the schema, strictly.
function registerTool(registry: ToolRegistry, { caller, contextFor }: ServerScope, tool: ToolDefinition): void {
  registry.registerTool(tool.name, { ...toolMetadata(tool), inputSchema: tool.inputSchema }, (input: unknown, extra: unknown) =>
    observeToolCall(caller, tool.name, async (call) => {
      try {
        const context = await contextFor(extra);
        const { structured, text } = fitResult(await tool.run(input as never, context), context.maxResultChars);
        return { structuredContent: structured, content: [{ type: "text", text }] };
      } catch (error) {
        call.failed(error, isExpectedToolError(error));
        return { isError: true, content: [{ type: "text", text: describeToolError(error) }] };
      }
    }),
  );
}

/** What every server offers, in registration order. */
const DECLARATIONS: readonly Declaration[] = [registerTools, registerPromptsAndResources];

const ONE_HOUR_PUBLIC: CacheHint = { ttlMs: 3_600_000, cacheScope: "public" };

/**
 * Cache hints of 2026-07-28 list results. Discovery and the tool list are the same for every caller;
 * any list that depends on the caller (sites, goals) keeps the SDK's default, `ttlMs: 0` and private.
 */
const CACHE_HINTS = { "server/discover": ONE_HOUR_PUBLIC, "tools/list": ONE_HOUR_PUBLIC } as const;

const SERVER_OPTIONS = { instructions: SERVER_INSTRUCTIONS } as const;

export type SdkGeneration = "v1" | "v2";
type ServerOf<G extends SdkGeneration> = G extends "v1" ? McpServerV1 : McpServerV2;

/** A server of SDK `generation` for `scope`, with every declaration registered; Sentry spans when SENTRY_DSN is set. */
export function buildMcpServer<G extends SdkGeneration>(generation: G, env: Env, scope: ServerScope): ServerOf<G> {
  const server = (
    generation === "v1"
      ? new McpServerV1(SERVER_INFO, SERVER_OPTIONS)
      : new McpServerV2(SERVER_INFO, { ...SERVER_OPTIONS, cacheHints: CACHE_HINTS })
  ) as ServerOf<G>;
  // Without SENTRY_DSN Sentry records nothing, and wrapping would still cost CPU on every request.
  const instrumented = sentryOptions(env).enabled ? instrumentMcpServer(server, scope.caller.endpoint) : server;
  for (const declare of DECLARATIONS) declare(instrumented, scope);
  return instrumented;
}

type ListedTool = ReturnType<typeof listedTool>;
let listedTools: ListedTool[] | undefined;

/** A tool as tools/list shows it, in SDK v2's order of fields, so /mcp lists exactly what SDK v2 would. */
function listedTool(tool: ToolDefinition) {
  const { title, description, annotations, _meta } = toolMetadata(tool);
  return {
    name: tool.name,
    title,
    description,
    inputSchema: { type: "object" as const, ...listedJsonSchema(tool.inputSchema, "input") },
    annotations,
    _meta,
    outputSchema: listedJsonSchema(tool.outputSchema, "output"),
  };
}

/**
 * tools/list with every tool's input and output schemas in JSON Schema 2020-12 (MCP's default dialect,
 * which SDK v1 would not list), built once per isolate, on the first tools/list.
 */
function listToolsWithOutputSchemas(server: McpServerV1 | McpServerV2): void {
  const list = () => ({ tools: (listedTools ??= TOOLS.map(listedTool)) });
  if (server instanceof McpServerV1) server.server.setRequestHandler(ListToolsRequestSchema, list);
  else server.server.setRequestHandler("tools/list", list);
}

/**
 * A stateless SDK v2 endpoint on `route`: each request gets a server built for the scope `scopeFor`
 * gives it. `legacy: "reject"` where 2025-era traffic is routed elsewhere (to sessions).
 */
export function statelessEndpoint(
  route: string,
  legacy: "stateless" | "reject",
  scopeFor: (env: Env, request: Parameters<McpServerFactory>[0]) => ServerScope,
) {
  let handler: ReturnType<typeof createMcpHandler> | undefined;
  return (request: Request, env: Env, ctx: ExecutionContext): Promise<Response> => {
    // Host and Origin are checked for every MCP path before routing (src/http/origin-host-guard.ts).
    handler ??= createMcpHandler((served) => buildMcpServer("v2", env, scopeFor(env, served)), {
      route,
      legacy,
      allowedOriginHostnames: "*",
    });
    return handler(request, env, ctx);
  };
}
