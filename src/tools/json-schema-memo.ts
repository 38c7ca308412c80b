import type { z } from "zod";

type Io = "input" | "output";
type Convert = (params?: { target?: string; libraryOptions?: Record<string, unknown> }) => Record<string, unknown>;

/**
 * Makes a zod schema convert to JSON Schema once per target instead of on every
 * request: the MCP SDKs convert a tool's schemas on each tools/list and (v2) on
 * each tools/call, and /mcp builds a fresh server per request. The result is
 * frozen, so a caller that tried to change the shared copy would fail loudly.
 */
export function memoizeJsonSchema<S extends z.ZodType>(schema: S): S {
  const standard = schema["~standard"] as z.ZodType["~standard"] & { jsonSchema: Record<Io, Convert> };
  const memo = (io: Io): Convert => {
    const byParams = new Map<string, Record<string, unknown>>();
    return (params) => {
      const key = JSON.stringify(params ?? {});
      let converted = byParams.get(key);
      if (!converted) {
        converted = deepFreeze(standard.jsonSchema[io](params));
        byParams.set(key, converted);
      }
      return converted;
    };
  };
  (schema as { "~standard": unknown })["~standard"] = { ...standard, jsonSchema: { input: memo("input"), output: memo("output") } };
  return schema;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/**
 * A schema as MCP lists it: JSON Schema 2020-12 (MCP's default dialect), an object at the root;
 * what SDK v2 lists, from the same memo.
 */
export function listedJsonSchema(schema: z.ZodType, io: Io): Record<string, unknown> {
  const converted = (schema["~standard"] as unknown as { jsonSchema: Record<Io, Convert> }).jsonSchema[io]({ target: "draft-2020-12" });
  return converted.type === undefined ? { type: "object", ...converted } : converted;
}
