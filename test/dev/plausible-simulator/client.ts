// Small fetch helpers shared by the simulator's tests.

import { existsSync } from "node:fs";
import { resolve } from "node:path";

export const FIXED_NOW = Date.parse("2025-06-15T12:00:00Z");
export const SCHEMA_PATH =
  process.env.PLAUSIBLE_QUERY_SCHEMA ?? resolve(import.meta.dirname, "../../../../shared/plausible/query-api-schema.json");
export const SCHEMA_PRESENT = existsSync(SCHEMA_PATH);

if (!SCHEMA_PRESENT) {
  console.warn(`Plausible's query schema is not at ${SCHEMA_PATH}: the JSON-schema validation tests are skipped.`);
}

export interface Answer {
  status: number;
  body: any;
}

export async function post(baseUrl: string, body: unknown, key: string | null = "demo-key"): Promise<Answer> {
  const response = await fetch(`${baseUrl}/api/v2/query`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(key === null ? {} : { authorization: `Bearer ${key}` }) },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

export async function get(baseUrl: string, path: string, key: string | null = "demo-key"): Promise<Answer> {
  const response = await fetch(`${baseUrl}${path}`, { headers: key === null ? {} : { authorization: `Bearer ${key}` } });
  return { status: response.status, body: await response.json() };
}
