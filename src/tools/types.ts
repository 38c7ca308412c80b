import type { z } from "zod";
import type { PlausibleRequest } from "../plausible";

/**
 * What a tool may use. Tools describe Plausible calls as data and hand them to
 * `plausible`, so whoever runs the server decides how they are executed (which
 * key, rate limit, cache) without the tools knowing.
 */
export interface ToolContext {
  /** Runs the requests together (one rate-limit decision for all of them) and returns their answers in order. */
  plausible(requests: PlausibleRequest[]): Promise<unknown[]>;
  /** The site to use when a call names none (`PLAUSIBLE_DEFAULT_SITE_ID`). */
  defaultSiteId?: string;
}

export interface ToolOutput<Structured> {
  structured: Structured;
  /** A compact rendering (a small table) that a model reads cheaply. */
  text: string;
}

export interface ToolDefinition<Input extends z.ZodObject = z.ZodObject, Output extends z.ZodObject = z.ZodObject> {
  name: string;
  title: string;
  description: string;
  inputSchema: Input;
  outputSchema: Output;
  run(input: z.output<Input>, context: ToolContext): Promise<ToolOutput<z.output<Output>>>;
}

/** Declares a tool with its input type inferred from its schema. */
export function defineTool<Input extends z.ZodObject, Output extends z.ZodObject>(
  tool: ToolDefinition<Input, Output>,
): ToolDefinition<Input, Output> {
  return tool;
}

/**
 * A call the tool cannot make as asked. The message names the argument and says
 * how to fix it; it reaches the model as a tool error.
 */
export class ToolInputError extends Error {
  constructor(
    readonly argument: string,
    reason: string,
  ) {
    super(`Invalid argument \`${argument}\`: ${reason}`);
    this.name = "ToolInputError";
  }
}
