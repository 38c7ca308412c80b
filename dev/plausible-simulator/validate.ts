// Validation of POST /api/v2/query bodies. The structural checks mirror the
// JSON schema closely enough to keep the query engine safe when the schema
// file is absent; the rules below them are Plausible's own, with its texts.

import { EVENT_DIMENSIONS, METRICS, TIME_DIMENSIONS, VISIT_DIMENSIONS } from "../../src/plausible/vocabulary.ts";
import { isDateRangeShape } from "./date-range.ts";
import { noMatchMessage, typeName } from "./schema.ts";

export type Metric = (typeof METRICS)[number];

const SIMPLE_DIMENSIONS = new Set<string>([...EVENT_DIMENSIONS, ...VISIT_DIMENSIONS]);
const TIME = new Set<string>(TIME_DIMENSIONS);
export const isTimeDimension = (value: string) => TIME.has(value);

export type Filter = unknown[];

export interface QueryRequest {
  site_id: string;
  metrics: Metric[];
  date_range: string | [string, string];
  dimensions: string[];
  filters: Filter[];
  order_by: Array<[string, "asc" | "desc"]> | null;
  include: { imports?: boolean; time_labels?: boolean; total_rows?: boolean; trim_relative_date_range?: boolean };
  pagination: { limit: number; offset: number };
}

const TOP_LEVEL_KEYS = new Set(["site_id", "metrics", "date_range", "dimensions", "filters", "order_by", "include", "pagination"]);
const INCLUDE_KEYS = new Set(["imports", "time_labels", "total_rows", "trim_relative_date_range"]);

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

const isPropDimension = (value: unknown) => typeof value === "string" && /^event:props:.+/.test(value);
const isFilterDimension = (value: unknown) => (typeof value === "string" && SIMPLE_DIMENSIONS.has(value)) || isPropDimension(value);
const isDimension = (value: unknown) =>
  isFilterDimension(value) || value === "event:goal" || (typeof value === "string" && isTimeDimension(value));

function isFilterLeaf(filter: unknown[]): boolean {
  const [operator, dimension, clauses, modifiers] = filter;
  const clausesOk = Array.isArray(clauses) && clauses.every((clause) => typeof clause === "string" || Number.isInteger(clause));
  const modifiersOk =
    modifiers === undefined ||
    (isObject(modifiers) && Object.entries(modifiers).every(([key, flag]) => key === "case_sensitive" && typeof flag === "boolean"));
  if (!clausesOk) return false;
  switch (operator) {
    case "is":
    case "contains":
      return filter.length <= 4 && modifiersOk && (isFilterDimension(dimension) || dimension === "event:goal");
    case "is_not":
    case "contains_not":
      return filter.length <= 4 && modifiersOk && isFilterDimension(dimension);
    case "matches":
    case "matches_not":
      return filter.length === 3 && isFilterDimension(dimension);
    default:
      return false;
  }
}

function isFilterTree(filter: unknown): boolean {
  if (!Array.isArray(filter) || filter.length < 2) return false;
  const [operator, operand] = filter;
  if (filter.length === 2) {
    if (operator === "and" || operator === "or") {
      return Array.isArray(operand) && operand.length > 0 && operand.every(isFilterTree);
    }
    if (operator === "not" || operator === "has_done" || operator === "has_not_done") return isFilterTree(operand);
    return false;
  }
  return isFilterLeaf(filter);
}

function checkList(
  lines: string[],
  body: Record<string, unknown>,
  key: string,
  isValid: (item: unknown) => boolean,
  unique: boolean,
): void {
  const list = body[key];
  if (list === undefined) return;
  if (!Array.isArray(list)) {
    lines.push(`#/${key}: Type mismatch. Expected Array but got ${typeName(list)}.`);
    return;
  }
  list.forEach((item, index) => {
    if (!isValid(item)) lines.push(`#/${key}/${index}: ${noMatchMessage(`#/${key}/${index}`, item)}`);
  });
  if (unique && new Set(list.map((item) => JSON.stringify(item))).size !== list.length) {
    lines.push(`#/${key}: Expected items to be unique but they were not.`);
  }
}

/** The schema's checks, reduced to what the engine relies on. */
export function structuralErrors(body: Record<string, unknown>): string[] {
  const lines: string[] = [];
  for (const key of Object.keys(body)) {
    if (!TOP_LEVEL_KEYS.has(key)) lines.push(`#/${key}: Schema does not allow additional properties.`);
  }
  const missing = ["metrics", "date_range"].filter((key) => body[key] === undefined);
  if (missing.length === 1) lines.push(`#: Required property ${missing[0]} was not present.`);
  if (missing.length > 1) lines.push(`#: Required properties ${missing.join(", ")} were not present.`);

  checkList(lines, body, "metrics", (metric) => (METRICS as readonly unknown[]).includes(metric), true);
  if (Array.isArray(body.metrics) && body.metrics.length === 0) lines.push("#/metrics: Expected a minimum of 1 items but got 0.");
  if (body.date_range !== undefined && !isDateRangeShape(body.date_range)) {
    lines.push(`#/date_range: ${noMatchMessage("#/date_range", body.date_range)}`);
  }
  checkList(lines, body, "dimensions", isDimension, true);
  checkList(lines, body, "filters", isFilterTree, false);
  checkList(
    lines,
    body,
    "order_by",
    (entry) =>
      Array.isArray(entry) &&
      entry.length === 2 &&
      ((METRICS as readonly unknown[]).includes(entry[0]) || isFilterDimension(entry[0]) || isTimeDimension(entry[0] as string)) &&
      (entry[1] === "asc" || entry[1] === "desc"),
    false,
  );

  if (body.include !== undefined) {
    if (!isObject(body.include)) lines.push(`#/include: Type mismatch. Expected Object but got ${typeName(body.include)}.`);
    else {
      for (const [key, flag] of Object.entries(body.include)) {
        if (!INCLUDE_KEYS.has(key)) lines.push(`#/include/${key}: Schema does not allow additional properties.`);
        else if (typeof flag !== "boolean") lines.push(`#/include/${key}: Type mismatch. Expected Boolean but got ${typeName(flag)}.`);
      }
    }
  }
  if (body.pagination !== undefined) {
    if (!isObject(body.pagination)) lines.push(`#/pagination: Type mismatch. Expected Object but got ${typeName(body.pagination)}.`);
    else {
      const { limit, offset, ...rest } = body.pagination;
      for (const key of Object.keys(rest)) lines.push(`#/pagination/${key}: Schema does not allow additional properties.`);
      if (limit !== undefined && !Number.isInteger(limit))
        lines.push(`#/pagination/limit: Type mismatch. Expected Integer but got ${typeName(limit)}.`);
      else if (typeof limit === "number" && limit > 10000) lines.push("#/pagination/limit: Expected the value to be <= 10000");
      else if (typeof limit === "number" && limit < 1) lines.push("#/pagination/limit: Expected the value to be >= 1");
      if (offset !== undefined && !Number.isInteger(offset))
        lines.push(`#/pagination/offset: Type mismatch. Expected Integer but got ${typeName(offset)}.`);
      else if (typeof offset === "number" && offset < 0) lines.push("#/pagination/offset: Expected the value to be >= 0");
    }
  }
  return lines;
}

/** Fills in defaults; call only on a body without structural errors. */
export function toQueryRequest(body: Record<string, unknown>): QueryRequest {
  const pagination = (body.pagination ?? {}) as { limit?: number; offset?: number };
  return {
    site_id: body.site_id as string,
    metrics: body.metrics as Metric[],
    date_range: body.date_range as QueryRequest["date_range"],
    dimensions: (body.dimensions as string[] | undefined) ?? [],
    filters: (body.filters as Filter[] | undefined) ?? [],
    order_by: (body.order_by as QueryRequest["order_by"] | undefined) ?? null,
    include: (body.include as QueryRequest["include"] | undefined) ?? {},
    pagination: { limit: pagination.limit ?? 10000, offset: pagination.offset ?? 0 },
  };
}

// --- Plausible's query rules ---------------------------------------------

interface LeafVisit {
  leaf: Filter;
  /** How many and/or/not levels the leaf sits under. */
  depth: number;
  /** How many has_done/has_not_done levels the leaf sits under. */
  behavioralDepth: number;
}

export function leaves(filters: Filter[], depth = 0, behavioralDepth = 0): LeafVisit[] {
  return filters.flatMap((filter) => {
    const [operator, operand] = filter;
    if (operator === "and" || operator === "or") return leaves(operand as Filter[], depth + 1, behavioralDepth);
    if (operator === "not") return leaves([operand as Filter], depth + 1, behavioralDepth);
    if (operator === "has_done" || operator === "has_not_done") return leaves([operand as Filter], depth + 1, behavioralDepth + 1);
    return [{ leaf: filter, depth, behavioralDepth }];
  });
}

const SESSION_METRICS: Metric[] = ["bounce_rate", "visit_duration", "views_per_visit"];
const EVENT_METRICS: Metric[] = ["pageviews", "events", "scroll_depth", "total_revenue", "average_revenue"];
const SESSION_DIMENSIONS = ["visit:entry_page", "visit:exit_page", "visit:entry_page_hostname", "visit:exit_page_hostname"];

const backticked = (names: string[]) => names.map((name) => `\`${name}\``).join(", ");

function orderByEntry(value: string, direction: string): string {
  const shown = (METRICS as readonly string[]).includes(value) ? `:${value}` : JSON.stringify(value);
  return `{${shown}, :${direction}}`;
}

function metricRule(metric: Metric, query: QueryRequest, filterDims: LeafVisit[]): string | null {
  const filtersOn = (dimension: string) => filterDims.some(({ leaf, behavioralDepth }) => leaf[1] === dimension && behavioralDepth === 0);
  switch (metric) {
    case "conversion_rate":
    case "group_conversion_rate":
      return query.dimensions.includes("event:goal") || filtersOn("event:goal")
        ? null
        : `Metric \`${metric}\` can only be queried with event:goal filters or dimensions.`;
    case "scroll_depth": {
      const topLevelPage = query.filters.some((filter) => filter[1] === "event:page");
      return query.dimensions.includes("event:page") || topLevelPage
        ? null
        : `Metric \`${metric}\` can only be queried with event:page filters or dimensions.`;
    }
    case "time_on_page":
      return query.dimensions.includes("event:page") || filtersOn("event:page")
        ? null
        : `Metric \`${metric}\` can only be queried with event:page filters or dimensions.`;
    case "views_per_visit":
      if (filtersOn("event:page")) return `Metric \`${metric}\` cannot be queried with a filter on \`event:page\`.`;
      return query.dimensions.length > 0 ? `Metric \`${metric}\` cannot be queried with \`dimensions\`.` : null;
    default:
      return null;
  }
}

/**
 * The first of Plausible's query rules `query` breaks, in the order Plausible
 * checks them, or null. `goalNames` are the display names of the site's goals.
 */
export function ruleViolation(query: QueryRequest, goalNames: string[]): string | null {
  const filterLeaves = leaves(query.filters);

  for (const { leaf } of filterLeaves) {
    const [operator, dimension, clauses] = leaf;
    if (
      dimension === "visit:country" &&
      (operator === "is" || operator === "is_not") &&
      !(clauses as unknown[]).every((code) => typeof code === "string" && code.length === 2)
    ) {
      return "Invalid visit:country filter, visit:country needs to be a valid 2-letter country code.";
    }
  }

  if (query.order_by) {
    const queried = [...query.metrics, ...query.dimensions] as string[];
    const invalid = query.order_by.find(([value]) => !queried.includes(value));
    if (invalid) return `Invalid order_by entry '${orderByEntry(invalid[0], invalid[1])}'. Entry is not a queried metric or dimension.`;
  }

  const nestedTopLevelOnly = filterLeaves.find(
    ({ leaf, depth, behavioralDepth }) => depth > 0 && behavioralDepth === 0 && (leaf[1] === "event:goal" || leaf[1] === "event:hostname"),
  );
  if (nestedTopLevelOnly)
    return `Invalid filters. Dimension \`${String(nestedTopLevelOnly.leaf[1])}\` can only be filtered at the top level.`;

  const conversionMetric = query.metrics.includes("conversion_rate") || query.metrics.includes("group_conversion_rate");
  if (conversionMetric && filterLeaves.some(({ leaf, depth }) => depth > 0 && String(leaf[1]).startsWith("event:props:"))) {
    return (
      "Invalid filters. When `conversion_rate` or `group_conversion_rate` metrics are used, custom " +
      "property filters can only be used on top level."
    );
  }

  for (const { leaf, behavioralDepth } of filterLeaves) {
    if (behavioralDepth > 1) return "Invalid filters. Behavioral filters (has_done, has_not_done) cannot be nested.";
    if (behavioralDepth === 1 && !String(leaf[1]).startsWith("event:")) {
      return "Invalid filters. Behavioral filters (has_done, has_not_done) can only be used with event dimension filters.";
    }
  }

  for (const { leaf } of filterLeaves) {
    if (leaf[0] !== "is" || leaf[1] !== "event:goal") continue;
    const unknown = (leaf[2] as unknown[]).find((clause) => !goalNames.includes(String(clause)));
    if (unknown !== undefined) {
      return (
        `Invalid filters. The goal \`${String(unknown)}\` is not configured for this site. Find out how ` +
        "to configure goals here: https://plausible.io/docs/stats-api#filtering-by-goals"
      );
    }
  }

  for (const metric of query.metrics) {
    const violation = metricRule(metric, query, filterLeaves);
    if (violation) return violation;
  }

  const eventDimensions = query.dimensions.filter((dimension) => dimension.startsWith("event:"));
  const sessionDimensions = query.dimensions.filter((dimension) => SESSION_DIMENSIONS.includes(dimension));
  const sessionMetrics = query.metrics.filter((metric) => SESSION_METRICS.includes(metric));
  const eventMetrics = query.metrics.filter((metric) => EVENT_METRICS.includes(metric));
  const onlyPage = eventDimensions.length === 1 && eventDimensions[0] === "event:page";
  if (!onlyPage && sessionMetrics.length > 0 && eventDimensions.length > 0) {
    return `Session metric(s) ${backticked(sessionMetrics)} cannot be queried along with event dimension(s) ${backticked(eventDimensions)}`;
  }
  if (!onlyPage && eventMetrics.length > 0 && sessionDimensions.length > 0) {
    return `Event metric(s) ${backticked(eventMetrics)} cannot be queried along with session dimension(s) ${backticked(sessionDimensions)}`;
  }

  if (query.include.time_labels && !query.dimensions.some((dimension) => isTimeDimension(dimension))) {
    return "Invalid include.time_labels: requires a time dimension.";
  }
  return null;
}
