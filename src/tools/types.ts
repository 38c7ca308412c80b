import type { z } from "zod";
import type { DimensionValue, PlausibleRequest } from "../plausible";
import type { DigestSubscriptions } from "./digest-subscriptions";
import type { TeamMemory } from "./team-memory";

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
  /** The most characters one result may take, text and structured content together (`MAX_RESULT_CHARS`). */
  maxResultChars: number;
  /** What the caller's scope (the team on /internal, the key elsewhere) has noted about its sites. */
  memory: TeamMemory;
  /** Where the caller's scope has digests and alerts sent; absent where the server keeps none (e.g. in-process runs). */
  subscriptions?: DigestSubscriptions;
}

/** A metric's value in a result row: a number, null when Plausible has none, or a revenue amount. */
export type MetricValue = number | null | { value: number | null; currency: string; short: string; long: string };

/** One table cell: a metric or a dimension value. */
export type Cell = MetricValue | DimensionValue | undefined;

export interface ToolOutput<Structured> {
  structured: Structured;
  /** A compact rendering that a model reads cheaply: a small table, or with `listing` the heading above the rows' table. */
  text: string;
  /** The rows of a series, breakdown or list: drawn as a table after `text` and cut to fit the result budget (see fitResult). */
  listing?: Listing<Structured>;
}

export interface Listing<Structured> {
  /** The array in `structured` that holds the rows. */
  key: keyof Structured & string;
  headers: readonly string[];
  /** The table cells of each row, in the rows' order. */
  cells: readonly (readonly Cell[])[];
  /** How to ask for less, completing "narrow the question: …". */
  narrow: string;
  /** Cuts whatever else follows the rows (e.g. their time labels) to the first `shown` rows, which are already cut. */
  cutAlso?: (structured: Structured, shown: number) => Structured;
}

/** MCP's behaviour hints; a tool that states none reads Plausible and changes nothing. */
export interface ToolHints {
  readOnlyHint: boolean;
  destructiveHint: boolean;
  idempotentHint: boolean;
  /** Whether the tool reaches outside this server (Plausible): team memory tools do not. */
  openWorldHint: boolean;
}

export interface ToolDefinition<Input extends z.ZodObject = z.ZodObject, Output extends z.ZodObject = z.ZodObject> {
  name: string;
  title: string;
  /** What the model reads to choose the tool and its arguments. */
  description: string;
  hints?: ToolHints;
  inputSchema: Input;
  outputSchema: Output;
  run(input: z.output<Input>, context: ToolContext): Promise<ToolOutput<z.output<Output>>>;
}

/** A tool as its module writes it: the description in short lines, one sentence or clause each. */
type ToolSource<Input extends z.ZodObject, Output extends z.ZodObject> = Omit<ToolDefinition<Input, Output>, "description"> & {
  description: readonly string[];
};

/** Declares a tool with its input type inferred from its schema; its description lines are joined into one text. */
export function defineTool<Input extends z.ZodObject, Output extends z.ZodObject>(
  tool: ToolSource<Input, Output>,
): ToolDefinition<Input, Output> {
  return { ...tool, description: tool.description.join(" ") };
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

/** A result that cannot be made to fit the result budget (MAX_RESULT_CHARS) by leaving rows out. */
export class ResultBudgetError extends Error {
  override name = "ResultBudgetError";
}
