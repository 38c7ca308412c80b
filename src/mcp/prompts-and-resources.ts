import { McpServer as McpServerV1, ResourceTemplate as ResourceTemplateV1 } from "@modelcontextprotocol/sdk/server/mcp.js";
import { CompleteRequestSchema, ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js";
import { ProtocolError, ProtocolErrorCode, ResourceTemplate as ResourceTemplateV2 } from "@modelcontextprotocol/server";
import { observeToolCall } from "../observability/tool-call";
import { PROMPTS } from "../prompts";
import {
  completeArgument,
  completionUsesPlausible,
  isCompletable,
  RESOURCES,
  type ContextSource,
  type ResourceDefinition,
} from "../resources";
import { CHART_RESOURCE, UI_EXTENSION_ID } from "../ui/chart-app";
import type { Declaration } from "./declaration";
import { describeToolError, isExpectedToolError } from "./tool-errors";

interface CompleteParams {
  ref: { type: "ref/prompt"; name: string } | { type: "ref/resource"; uri: string };
  argument: { name: string; value: string };
  context?: { arguments?: Record<string, string> };
}

/** The part of `McpServer` that SDK v1 and v2 share for prompts and resources (their argument types differ). */
interface Registry {
  registerPrompt(name: string, config: object, handler: (args: unknown, extra: unknown) => unknown): unknown;
  registerResource(name: string, target: unknown, metadata: object, read: (...args: never[]) => unknown): unknown;
}

const ALL_RESOURCES: readonly ResourceDefinition[] = [...RESOURCES, CHART_RESOURCE];
const PROMPT_NAMES = new Set(PROMPTS.map((prompt) => prompt.name));
const TEMPLATE_URIS = new Set(ALL_RESOURCES.filter((resource) => resource.template).map((resource) => resource.uri));

/**
 * Registers the prompts, the resources (with the chart app's UI resource) and
 * completions on an MCP server of either SDK generation, and advertises the MCP
 * Apps extension. Reads and completions that reach Plausible go through
 * `contextFor` (the caller's usage agent: cached, counted) and are logged and
 * audited like tool calls, under the method and what they name.
 */
export const registerPromptsAndResources: Declaration = (server, { caller, contextFor }) => {
  const v1 = server instanceof McpServerV1;
  const registry = server as unknown as Registry;
  // A failure reaches the client as a protocol error whose text says what went wrong and what to do, as a tool error would.
  const observed = <T>(label: string, usesPlausible: boolean, run: () => Promise<T>): Promise<T> =>
    !usesPlausible
      ? run()
      : observeToolCall(caller, label, async (call) => {
          try {
            return await run();
          } catch (error) {
            call.failed(error, isExpectedToolError(error));
            // eslint-disable-next-line preserve-caught-error -- the client is told what to do next; call.failed reported the original
            throw new Error(describeToolError(error));
          }
        });

  for (const prompt of PROMPTS) {
    const config = { title: prompt.title, description: prompt.description, argsSchema: v1 ? prompt.argsSchema.shape : prompt.argsSchema };
    // A prompt with notes reads the caller's team memory (never Plausible) and adds what it holds.
    const get = async (args: unknown, extra: unknown) => {
      const message = prompt.message(args as never);
      const notes = prompt.notes ? await prompt.notes(args as never, (await contextFor(extra)).memory) : undefined;
      return {
        description: prompt.description,
        messages: [{ role: "user" as const, content: { type: "text" as const, text: notes ? `${message}\n\n${notes}` : message } }],
      };
    };
    registry.registerPrompt(prompt.name, config, get);
  }

  for (const resource of ALL_RESOURCES) {
    const read = (uri: URL, variables: Record<string, string | string[]>, extra: unknown) => {
      const values = Object.fromEntries(Object.entries(variables).map(([name, value]) => [name, String(value)]));
      const context: ContextSource = async () => contextFor(extra);
      return observed(`resources/read ${resource.uri}`, resource.usesPlausible, async () => ({
        contents: [
          {
            uri: uri.href,
            mimeType: resource.mimeType,
            text: await resource.read(values, context),
            ...(resource.meta ? { _meta: resource.meta } : {}),
          },
        ],
      }));
    };
    const metadata = {
      title: resource.title,
      description: resource.description,
      mimeType: resource.mimeType,
      ...(resource.meta ? { _meta: resource.meta } : {}),
      // SDK v1 would list an unknown field as is; the cache hints exist only on 2026-07-28 (SDK v2).
      ...(v1 ? {} : { cacheHint: resource.cacheHint }),
    };
    if (!resource.template) {
      registry.registerResource(resource.name, resource.uri, metadata, (uri: URL, extra: unknown) => read(uri, {}, extra));
    } else {
      // Completions for the templates' variables are answered by the one completion handler below.
      const template = v1
        ? new ResourceTemplateV1(resource.uri, { list: undefined })
        : new ResourceTemplateV2(resource.uri, { list: undefined });
      registry.registerResource(resource.name, template, metadata, read);
    }
  }

  // The SDKs' own completion handlers call completers without the request, and an
  // /sse session needs each message's key: one handler of ours, with the request's extra.
  const complete = async (request: { params: CompleteParams }, extra: unknown) => {
    const { ref, argument, context: given } = request.params;
    const known = ref.type === "ref/prompt" ? PROMPT_NAMES.has(ref.name) : TEMPLATE_URIS.has(ref.uri);
    if (!known) {
      const message =
        `Unknown ${ref.type === "ref/prompt" ? `prompt ${ref.name}` : `resource template ${ref.uri}`}: ` +
        "prompts/list and resources/templates/list name the known ones.";
      throw v1 ? new McpError(ErrorCode.InvalidParams, message) : new ProtocolError(ProtocolErrorCode.InvalidParams, message);
    }
    if (!isCompletable(argument.name)) return { completion: { values: [] } };
    const context: ContextSource = async () => contextFor(extra);
    const completion = await observed(`completion/complete ${argument.name}`, completionUsesPlausible(argument.name), () =>
      completeArgument(argument.name as never, argument.value, given?.arguments?.site_id, context),
    );
    return { completion };
  };
  server.server.registerCapabilities({ completions: {}, extensions: { [UI_EXTENSION_ID]: {} } });
  if (v1) server.server.setRequestHandler(CompleteRequestSchema, complete);
  else server.server.setRequestHandler("completion/complete", complete as never);
};
