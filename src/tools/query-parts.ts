import type { Filter, QueryBody, QueryResult } from "../plausible";
import { resolvedDates } from "./dates";
import { isFilterableDimension, type FilterInput } from "./schemas";
import { ToolInputError, type MetricValue, type ToolContext } from "./types";

/** The site a call is about: the one given, else the server's default, else a tool error telling the model to ask. */
export function resolveSiteId(siteId: string | undefined, context: ToolContext): string {
  const resolved = siteId ?? context.defaultSiteId;
  if (!resolved) {
    throw new ToolInputError(
      "site_id",
      "no site was given and this server has no default site. Ask the user which site they mean " +
        "(list_sites shows the sites this key can read).",
    );
  }
  return resolved;
}

interface NarrowingInput {
  filters?: FilterInput[];
  property_filters?: { property: string; operator: "is" | "is_not" | "contains" | "contains_not"; value: string | string[] }[];
  page?: string;
  goal?: string;
}

/**
 * A bare custom property name means `event:props:<name>`; a built-in dimension is used as is.
 * `argument` names the tool argument the name came from, for the error.
 */
export function propertyDimension(property: string, argument: string): string {
  if (isFilterableDimension(property)) return property;
  if (property === "event:goal") {
    throw new ToolInputError(argument, "for goals use the `goal` argument (or an event:goal filter in `filters`)");
  }
  if (property.includes(":")) {
    throw new ToolInputError(
      argument,
      `"${property}" is not a known dimension; use e.g. visit:country, event:page, event:props:<name> or a bare custom property name`,
    );
  }
  const builtIn = [`visit:${property}`, `event:${property}`].find((name) => isFilterableDimension(name) || name === "event:goal");
  if (builtIn) {
    throw new ToolInputError(
      argument,
      `"${property}" is ambiguous: write "${builtIn}" for the built-in dimension, or ` +
        `"event:props:${property}" for a custom property of that name`,
    );
  }
  return `event:props:${property}`;
}

/**
 * The dimensions a filter narrows the counted events or visits by. has_done and
 * has_not_done select visitors by what else they did, so a page or goal inside
 * them does not clash with the page or goal being counted.
 */
function dimensionsIn(filter: FilterInput): string[] {
  const [operator, operand] = filter;
  if (operator === "and" || operator === "or") return operand.flatMap(dimensionsIn);
  if (operator === "not") return dimensionsIn(operand);
  if (operator === "has_done" || operator === "has_not_done") return [];
  return [operand as string];
}

/** Combines raw filters and the shortcuts into one ANDed list; a shortcut that a filter already covers is refused. */
export function buildFilters(input: NarrowingInput): Filter[] | undefined {
  const combined: FilterInput[] = [...(input.filters ?? [])];
  for (const { property, operator, value } of input.property_filters ?? []) {
    combined.push([operator, propertyDimension(property, "property_filters"), Array.isArray(value) ? value : [value]]);
  }
  const shortcuts = [
    ["page", "event:page", input.page],
    ["goal", "event:goal", input.goal],
  ] as const;
  for (const [argument, dimension, value] of shortcuts) {
    if (value === undefined) continue;
    if (combined.some((filter) => dimensionsIn(filter).includes(dimension))) {
      throw new ToolInputError(
        argument,
        `conflicts with a filter on ${dimension} in \`filters\` or \`property_filters\`; give the condition once`,
      );
    }
    combined.push(["is", dimension, [value]]);
  }
  return combined.length > 0 ? (combined as Filter[]) : undefined;
}

/** Runs queries through the context (one rate-limit decision for all of them). */
export async function runQueries(context: ToolContext, bodies: QueryBody[]): Promise<QueryResult[]> {
  const answers = await context.plausible(bodies.map((body) => ({ kind: "query" as const, body })));
  return answers as QueryResult[];
}

/** What a stats result says about its query: the dates Plausible covered (in the site's timezone) and the filters sent. */
export function queryEcho(
  answer: QueryResult | undefined,
  filters: readonly unknown[] | undefined,
): { date_range_resolved?: [string, string]; filters: unknown[] } {
  const resolved = resolvedDates(answer);
  return { ...(resolved ? { date_range_resolved: resolved } : {}), filters: [...(filters ?? [])] };
}

/** Pairs a result row's metric values with their names. */
export function metricRecord<M extends string>(metrics: readonly M[], values: readonly unknown[]): Record<M, MetricValue> {
  // A plain loop: this runs once per row of a series, where entries arrays and fromEntries cost more than the rest of the row.
  const record = {} as Record<M, MetricValue>;
  for (let index = 0; index < metrics.length; index += 1) record[metrics[index]!] = (values[index] ?? null) as MetricValue;
  return record;
}
