import { observeToolCall, type ToolCaller } from "../observability/tool-call";
import { DEFAULT_MAX_RESULT_CHARS, fitResult, TOOLS, type ToolContext } from "../tools";
import { chartToolMeta } from "../ui/chart-app";
import { describeToolError, isExpectedToolError } from "./tool-errors";

/** The part of `McpServer.registerTool` that SDK v1 and v2 share. */
interface ToolRegistry {
  registerTool(name: string, config: Record<string, unknown>, handler: (input: never, extra: never) => unknown): unknown;
}

const ANNOTATIONS = { readOnlyHint: true, openWorldHint: true, destructiveHint: false, idempotentHint: true } as const;

/**
 * Registers every tool on an MCP server of either SDK generation. `contextFor`
 * gives the tools their view of Plausible for the request being served;
 * `caller` says which endpoint (and on /internal which member) each call is logged and reported for.
 */
export function registerTools(server: ToolRegistry, contextFor: (extra: unknown) => ToolContext | Promise<ToolContext>, caller: ToolCaller): void {
  for (const tool of TOOLS) {
    server.registerTool(
      tool.name,
      {
        title: tool.title,
        description: tool.description,
        inputSchema: tool.inputSchema,
        outputSchema: tool.outputSchema,
        annotations: { title: tool.title, ...ANNOTATIONS },
        _meta: chartToolMeta(tool.name),
      },
      ((input: unknown, extra: unknown) =>
        observeToolCall(caller, tool.name, async (call) => {
          try {
            const context = await contextFor(extra);
            // Every result fits the budget clients accept; long listings are cut and say so.
            const { structured, text } = fitResult(await tool.run(input as never, context), context.maxResultChars ?? DEFAULT_MAX_RESULT_CHARS);
            return { structuredContent: structured, content: [{ type: "text", text }] };
          } catch (error) {
            call.failed(error, isExpectedToolError(error));
            return { isError: true, content: [{ type: "text", text: describeToolError(error) }] };
          }
        })) as never,
    );
  }
}
