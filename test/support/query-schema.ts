import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import Ajv, { type ValidateFunction } from "ajv";

// Plausible's own request schema for POST /api/v2/query. It is reference data
// kept outside the repository (../shared/plausible beside the checkout), so
// tests that use it must skip, saying why, when it is absent. Node project only:
// it reads the disk, and ajv compiles with new Function, which workerd forbids.
export const QUERY_SCHEMA_PATH = resolve(dirname(fileURLToPath(import.meta.url)), "../../../shared/plausible/query-api-schema.json");

export function loadQuerySchema(): object | undefined {
  if (!existsSync(QUERY_SCHEMA_PATH)) return undefined;
  return JSON.parse(readFileSync(QUERY_SCHEMA_PATH, "utf8")) as object;
}

// ajv ignores unknown formats, and the schema tells date pairs from datetime
// pairs only by "format" inside a oneOf: without these two a date pair would
// match both branches and be rejected. Plausible requires datetimes to carry
// an offset, as RFC 3339 does.
export function compileQuerySchema(schema: object): ValidateFunction {
  const ajv = new Ajv({ strict: false, allErrors: true });
  ajv.addFormat("date", isDate);
  ajv.addFormat("date-time", isDateTime);
  return ajv.compile(schema);
}

function isDate(text: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  return match !== null && isCalendarDate(Number(match[1]), Number(match[2]), Number(match[3]));
}

function isDateTime(text: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-](\d{2}):(\d{2}))$/.exec(text);
  if (match === null) return false;
  const [hour, minute, second] = [Number(match[4]), Number(match[5]), Number(match[6])];
  const offsetOk = match[9] === undefined || (Number(match[9]) <= 23 && Number(match[10]) <= 59);
  return isCalendarDate(Number(match[1]), Number(match[2]), Number(match[3])) && hour <= 23 && minute <= 59 && second <= 60 && offsetOk;
}

function isCalendarDate(year: number, month: number, day: number): boolean {
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}
