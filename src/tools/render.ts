import type { DimensionValue } from "../plausible";
import type { MetricValue } from "./query-parts";

/** One table cell: a metric or a dimension value. */
export type Cell = MetricValue | DimensionValue | undefined;

/** Renders a value the way a person reads it: revenue by its short form, fractions trimmed. */
export function formatValue(value: Cell): string {
  if (value === null || value === undefined) return "–";
  if (typeof value === "object") return value.short;
  if (typeof value === "number") return Number.isInteger(value) ? String(value) : String(Math.round(value * 100) / 100);
  return value.replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
}

/** A compact pipe table: what a model reads most cheaply. */
export function table(headers: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const lines = [`| ${headers.join(" | ")} |`, `|${headers.map(() => "---").join("|")}|`];
  for (const row of rows) lines.push(`| ${row.map(formatValue).join(" | ")} |`);
  if (rows.length === 0) lines.push("(no rows: nothing matched in this period)");
  return lines.join("\n");
}

export function describeRange(range: string | readonly string[]): string {
  return typeof range === "string" ? range : `${range[0]} to ${range[1]}`;
}
