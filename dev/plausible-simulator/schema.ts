// Loads Plausible's query JSON schema (reference data kept outside the repo)
// and reports violations the way Plausible words them:
// `#/<json pointer>: <message>`, one per line.

import { readFileSync } from "node:fs";
import { Ajv } from "ajv";
import type { ErrorObject, ValidateFunction } from "ajv";
import { isCalendarDate, isOffsetDateTime } from "./time.ts";

export interface QuerySchema {
  path: string;
  /** The file as read, served unchanged by the schema endpoint. */
  text: string;
  /** Error lines for `body`, empty when it conforms. */
  check(body: unknown): string[];
}

/** Reads and compiles the schema at `path`, or returns null when there is no file. */
export function loadQuerySchema(path: string): QuerySchema | null {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return null;
  }
  const ajv = new Ajv({ allErrors: true, strict: false });
  // Plausible validates these formats; the checks match the simulator's own parser.
  ajv.addFormat("date", isCalendarDate);
  ajv.addFormat("date-time", isOffsetDateTime);
  const validate: ValidateFunction = ajv.compile(JSON.parse(text) as object);
  return {
    path,
    text,
    check: (body) => (validate(body) ? [] : formatSchemaErrors(validate.errors ?? [], body)),
  };
}

/** Renders a JSON value the way Elixir's `inspect` does, as Plausible quotes it. */
export function inspectElixir(value: unknown): string {
  if (value === null || value === undefined) return "nil";
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(inspectElixir).join(", ")}]`;
  if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `%{${entries.map(([key, item]) => `${JSON.stringify(key)} => ${inspectElixir(item)}`).join(", ")}}`;
  }
  return String(value);
}

/** Plausible's rewording of "none of the alternatives matched" per location. */
export function noMatchMessage(pointer: string, value: unknown): string {
  const shown = inspectElixir(value);
  if (/^#\/dimensions\/\d+$/.test(pointer)) return `Invalid dimension ${shown}`;
  if (/^#\/metrics\/\d+$/.test(pointer)) return `Invalid metric ${shown}`;
  if (/^#\/filters\/\d+$/.test(pointer)) return `Invalid filter ${shown}`;
  if (pointer === "#/date_range") return `Invalid date range ${shown}`;
  if (/^#\/order_by\/\d+$/.test(pointer)) return `Invalid value in order_by ${shown}`;
  return "Expected exactly one of the schemata to match, but none of them did.";
}

function valueAt(body: unknown, instancePath: string): unknown {
  let current = body;
  for (const segment of instancePath.split("/").slice(1)) {
    const key = segment.replace(/~1/g, "/").replace(/~0/g, "~");
    current = current !== null && typeof current === "object" ? (current as Record<string, unknown>)[key] : undefined;
  }
  return current;
}

export function typeName(value: unknown): string {
  if (value === null) return "Null";
  if (Array.isArray(value)) return "Array";
  if (typeof value === "number") return Number.isInteger(value) ? "Integer" : "Number";
  const type = typeof value;
  return type.charAt(0).toUpperCase() + type.slice(1);
}

const TYPE_NAMES: Record<string, string> = {
  string: "String",
  integer: "Integer",
  number: "Number",
  boolean: "Boolean",
  array: "Array",
  object: "Object",
  null: "Null",
};

function describe(error: ErrorObject, value: unknown): string {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case "type": {
      const expected = String(params.type)
        .split(",")
        .map((type) => TYPE_NAMES[type] ?? type);
      return `Type mismatch. Expected ${expected.join(" or ")} but got ${typeName(value)}.`;
    }
    case "maximum":
      return `Expected the value to be <= ${String(params.limit)}`;
    case "minimum":
      return `Expected the value to be >= ${String(params.limit)}`;
    case "minItems":
      return `Expected a minimum of ${String(params.limit)} items but got ${Array.isArray(value) ? value.length : 0}.`;
    case "maxItems":
      return `Expected a maximum of ${String(params.limit)} items but got ${Array.isArray(value) ? value.length : 0}.`;
    case "uniqueItems":
      return "Expected items to be unique but they were not.";
    case "additionalProperties":
      return "Schema does not allow additional properties.";
    case "const":
    case "enum":
      return `Value ${inspectElixir(value)} is not allowed.`;
    case "pattern":
      return `String ${inspectElixir(value)} does not match pattern ${JSON.stringify(String(params.pattern))}.`;
    case "format":
      return `Expected to be a valid ${String(params.format)}.`;
    default:
      return error.message ?? "Invalid value.";
  }
}

/**
 * ajv reports every failed branch of a `oneOf`; Plausible (ExJsonSchema)
 * reports only the outermost alternative that failed. Keep that one and the
 * errors outside any failed alternative.
 */
function formatSchemaErrors(errors: ErrorObject[], body: unknown): string[] {
  const alternatives = errors.filter((error) => error.keyword === "oneOf" || error.keyword === "anyOf");
  const outermost = alternatives.filter(
    (error) => !alternatives.some((other) => other !== error && error.instancePath.startsWith(`${other.instancePath}/`)),
  );
  const covered = (path: string) => outermost.some((error) => path === error.instancePath || path.startsWith(`${error.instancePath}/`));

  const lines: string[] = [];
  const missing = new Map<string, string[]>();
  for (const error of outermost) {
    const pointer = `#${error.instancePath}`;
    lines.push(`${pointer}: ${noMatchMessage(pointer, valueAt(body, error.instancePath))}`);
  }
  for (const error of errors) {
    if (error.keyword === "oneOf" || error.keyword === "anyOf" || covered(error.instancePath)) continue;
    if (error.keyword === "required") {
      const names = missing.get(error.instancePath) ?? [];
      names.push(String((error.params as { missingProperty: string }).missingProperty));
      missing.set(error.instancePath, names);
      continue;
    }
    const path =
      error.keyword === "additionalProperties"
        ? `${error.instancePath}/${String((error.params as { additionalProperty: string }).additionalProperty)}`
        : error.instancePath;
    lines.push(`#${path}: ${describe(error, valueAt(body, error.instancePath))}`);
  }
  for (const [path, names] of missing) {
    const text =
      names.length === 1 ? `Required property ${names[0]} was not present.` : `Required properties ${names.join(", ")} were not present.`;
    lines.push(`#${path}: ${text}`);
  }
  return [...new Set(lines)];
}
