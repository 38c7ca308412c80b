import type { Filter, QueryBody, QueryResult } from "../plausible";
import { isFilterableDimension, type FilterInput } from "./schemas";
import { ToolInputError, type ToolContext } from "./types";

/** The site a call is about: the one given, else the server's default, else a tool error telling the model to ask. */
export function resolveSiteId(siteId: string | undefined, context: ToolContext): string {
  const resolved = siteId ?? context.defaultSiteId;
  if (!resolved) {
    throw new ToolInputError(
      "site_id",
      "no site was given and this server has no default site. Ask the user which site they mean (list_sites shows the sites this key can read).",
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

/** A bare custom property name means `event:props:<name>`; a built-in dimension is used as is. */
export function propertyDimension(property: string): string {
  if (isFilterableDimension(property)) return property;
  if (property.includes(":")) {
    throw new ToolInputError("property_filters", `"${property}" is not a filterable dimension; use e.g. visit:country, event:page or a custom property name`);
  }
  const builtIn = [`visit:${property}`, `event:${property}`].find(isFilterableDimension);
  if (builtIn) {
    throw new ToolInputError(
      "property_filters",
      `"${property}" is ambiguous: write "${builtIn}" for the built-in dimension, or "event:props:${property}" for a custom property of that name`,
    );
  }
  return `event:props:${property}`;
}

function dimensionsIn(filter: FilterInput): string[] {
  const [operator, operand] = filter;
  if (operator === "and" || operator === "or" || operator === "sequence") return (operand as FilterInput[]).flatMap(dimensionsIn);
  if (operator === "not" || operator === "has_done" || operator === "has_not_done") return dimensionsIn(operand as FilterInput);
  return [operand as string];
}

/** Combines raw filters and the shortcuts into one ANDed list; a shortcut that a filter already covers is refused. */
export function buildFilters(input: NarrowingInput): Filter[] | undefined {
  const combined: FilterInput[] = [...(input.filters ?? [])];
  for (const { property, operator, value } of input.property_filters ?? []) {
    combined.push([operator, propertyDimension(property), Array.isArray(value) ? value : [value]]);
  }
  const shortcuts = [
    ["page", "event:page", input.page],
    ["goal", "event:goal", input.goal],
  ] as const;
  for (const [argument, dimension, value] of shortcuts) {
    if (value === undefined) continue;
    if (combined.some((filter) => dimensionsIn(filter).includes(dimension))) {
      throw new ToolInputError(argument, `conflicts with a filter on ${dimension} in \`filters\` or \`property_filters\`; give the condition once`);
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

/** Pairs a result row's metric values with their names. */
export function metricRecord<M extends string>(metrics: readonly M[], values: readonly unknown[]): Record<M, MetricValue> {
  return Object.fromEntries(metrics.map((name, index) => [name, (values[index] ?? null) as MetricValue])) as Record<M, MetricValue>;
}

export type MetricValue = number | null | { value: number | null; currency: string; short: string; long: string };
