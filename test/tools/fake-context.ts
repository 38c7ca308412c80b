import type { PlausibleRequest, QueryBody, QueryResult } from "../../src/plausible";
import type { z } from "zod";
import { DEFAULT_MAX_RESULT_CHARS } from "../../src/config";
import { fitResult, type TeamMemory, type ToolContext, type ToolDefinition } from "../../src/tools";
import { inMemoryTeamMemory } from "../../dev/plausible-simulator/team-memory.ts";

/** A ToolContext that records every plausible([...]) call and answers each request with `answer`; its team memory is held in memory. */
export function fakeContext(
  answer: (request: PlausibleRequest) => unknown = () => queryResult([]),
  defaultSiteId?: string,
  memory: TeamMemory = inMemoryTeamMemory(),
) {
  const calls: PlausibleRequest[][] = [];
  const context: ToolContext = {
    maxResultChars: DEFAULT_MAX_RESULT_CHARS,
    memory,
    ...(defaultSiteId === undefined ? {} : { defaultSiteId }),
    async plausible(requests) {
      calls.push(requests);
      return requests.map(answer);
    },
  };
  return { context, calls };
}

/** A ToolContext whose every call fails with `error`, recording what was asked. */
export function failingContext(error: unknown, defaultSiteId?: string) {
  const calls: PlausibleRequest[][] = [];
  const context: ToolContext = {
    maxResultChars: DEFAULT_MAX_RESULT_CHARS,
    memory: inMemoryTeamMemory(),
    ...(defaultSiteId === undefined ? {} : { defaultSiteId }),
    async plausible(requests) {
      calls.push(requests);
      throw error;
    },
  };
  return { context, calls };
}

/** A Plausible v2 query answer: rows as [dimensions, metrics]. */
export function queryResult(rows: [string[], unknown[]][], meta: Record<string, unknown> = {}): QueryResult {
  return { results: rows.map(([dimensions, metrics]) => ({ dimensions, metrics })), meta, query: {} };
}

/** The query bodies in the recorded calls, in order. */
export function queryBodies(calls: PlausibleRequest[][]): QueryBody[] {
  return calls.flat().flatMap((request) => (request.kind === "query" ? [request.body] : []));
}

/**
 * Calls a tool the way the MCP layer does: arguments through its input schema,
 * then run, then fit to the result budget; the structured output must satisfy its output schema.
 */
export async function callTool<I extends z.ZodObject, O extends z.ZodObject>(
  tool: ToolDefinition<I, O>,
  args: unknown,
  context: ToolContext,
) {
  const output = fitResult(await tool.run(tool.inputSchema.parse(args), context), context.maxResultChars);
  tool.outputSchema.strict().parse(output.structured);
  return output;
}

/** The first input-schema issue message for `args`, or undefined when they parse. */
export function inputProblem<I extends z.ZodObject, O extends z.ZodObject>(tool: ToolDefinition<I, O>, args: unknown): string | undefined {
  const parsed = tool.inputSchema.safeParse(args);
  return parsed.success ? undefined : parsed.error.issues.map((issue) => issue.message).join("; ");
}
