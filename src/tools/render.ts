import { ResultBudgetError, type Cell, type ToolOutput } from "./types";

/** `value` rounded to `digits` decimals: how tools report estimates and scores. */
export function round(value: number, digits: number): number {
  return Math.round(value * 10 ** digits) / 10 ** digits;
}

/** Renders a value the way a person reads it: revenue by its short form, fractions trimmed. */
function formatValue(value: Cell): string {
  if (value === null || value === undefined) return "–";
  if (typeof value === "object") return value.short;
  if (typeof value === "number") return Number.isInteger(value) ? String(value) : String(round(value, 2));
  return value.replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
}

/** A p-value as a reader takes it: three decimals, and "< 0.001" rather than a rounded 0. */
export function formatPValue(p: number | null): string {
  if (p === null) return "–";
  return p < 0.001 ? "< 0.001" : String(round(p, 3));
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

// A text table longer than this shows its first and last EDGE_ROWS rows and a summary instead:
// the structured content already holds every row.
const TEXT_ROWS = 50;
const EDGE_ROWS = 20;

/** The rows' table: all rows when few, else the first and last ones around a line saying what is left out, then a summary. */
function rowsTable(headers: readonly string[], rows: readonly (readonly Cell[])[]): string {
  if (rows.length <= TEXT_ROWS) return table(headers, rows);
  const head = table(headers, rows.slice(0, EDGE_ROWS));
  const tail = table(headers, rows.slice(-EDGE_ROWS)).split("\n").slice(2).join("\n");
  const omitted = `rows ${EDGE_ROWS + 1} to ${rows.length - EDGE_ROWS}`;
  const gap = `| … ${omitted} are left out here; the structured content has all ${rows.length} … |`;
  return `${head}\n${gap}\n${tail}\n${summary(headers, rows)}`;
}

/** The range of every numeric column over all rows, so the left-out middle is not a blind spot. */
function summary(headers: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const ranges: string[] = [];
  headers.forEach((header, column) => {
    let low = Infinity;
    let high = -Infinity;
    for (const row of rows) {
      const cell = row[column];
      const value = typeof cell === "number" ? cell : cell !== null && typeof cell === "object" ? cell.value : null;
      if (value === null) continue;
      low = Math.min(low, value);
      high = Math.max(high, value);
    }
    if (low <= high) ranges.push(`${header} ${formatValue(low)} to ${formatValue(high)}`);
  });
  return `${rows.length} rows${ranges.length > 0 ? `; over all of them: ${ranges.join(", ")}` : ""}.`;
}

/** Characters a result takes: the structured content and the text, each serialized as JSON. */
function resultSize(result: { structured: unknown; text: string }): number {
  return JSON.stringify(result.structured).length + JSON.stringify(result.text).length;
}

/**
 * The result a client receives, within `maxChars` (text and structured content together). A listing's
 * rows are drawn as a table; when all of them would not fit, the first ones that do are kept, the
 * structured content says `truncated`, `rows_shown` and `rows_available`, and the text says what was
 * left out and how to narrow the question. A result without rows that does not fit is an error.
 */
export function fitResult<Structured extends object>(
  output: ToolOutput<Structured>,
  maxChars: number,
): { structured: Structured; text: string } {
  const { listing } = output;
  if (!listing) {
    const size = resultSize(output);
    if (size <= maxChars) return { structured: output.structured, text: output.text };
    throw new ResultBudgetError(
      `This answer takes ${size} characters, more than this server's limit of ${maxChars} per result ` +
        "(MAX_RESULT_CHARS). Ask for fewer metrics or a narrower question.",
    );
  }

  const rows = output.structured[listing.key] as unknown[];
  const compose = (shown: number) => {
    const lines = (...parts: string[]) => parts.filter((part) => part !== "").join("\n");
    if (shown === rows.length)
      return { structured: output.structured, text: lines(output.text, rowsTable(listing.headers, listing.cells)) };
    const cut = {
      ...output.structured,
      [listing.key]: rows.slice(0, shown),
      truncated: true,
      rows_shown: shown,
      rows_available: rows.length,
    };
    return {
      structured: listing.cutAlso ? listing.cutAlso(cut, shown) : cut,
      text: lines(
        output.text,
        shown > 0 ? rowsTable(listing.headers, listing.cells.slice(0, shown)) : "",
        `Only the first ${shown} of ${rows.length} rows fit in one answer (this server's limit is ` +
          `${maxChars} characters per result); the other ${rows.length - shown} were left out. To see them, ` +
          `narrow the question: ${listing.narrow}.`,
      ),
    };
  };

  const whole = compose(rows.length);
  if (resultSize(whole) <= maxChars) return whole;
  const empty = compose(0);
  const emptySize = resultSize(empty);
  if (emptySize > maxChars) {
    throw new ResultBudgetError(
      `Even without its ${rows.length} rows this answer takes ${emptySize} characters, more than this ` +
        `server's limit of ${maxChars} per result (MAX_RESULT_CHARS). Narrow the question: ` +
        `${listing.narrow}.`,
    );
  }

  // Serializing the whole result once per guess is costly on large answers: estimate from each row's
  // own size, then check the estimate for real and step down while it is still over.
  const ends: number[] = [0];
  for (const row of rows) ends.push(ends.at(-1)! + JSON.stringify(row).length + 1);
  let low = 0;
  let high = rows.length - 1;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (emptySize + ends[middle]! <= maxChars) low = middle;
    else high = middle - 1;
  }
  let shown = low;
  let result = compose(shown);
  for (let size = resultSize(result); size > maxChars && shown > 0; size = resultSize(result)) {
    const average = Math.max(1, ends[shown]! / shown);
    shown = Math.max(0, shown - Math.ceil((size - maxChars) / average));
    result = compose(shown);
  }
  return result;
}
