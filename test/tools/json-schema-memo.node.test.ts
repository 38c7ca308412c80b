import { describe, expect, it } from "vitest";
import { z } from "zod";
import { memoizeJsonSchema } from "../../src/tools/json-schema-memo";

const convert = (schema: z.ZodType, io: "input" | "output", target: string) =>
  (schema["~standard"] as unknown as { jsonSchema: Record<string, (params: { target: string }) => unknown> }).jsonSchema[io]!({ target });

describe("memoizeJsonSchema", () => {
  it("answers what zod converts, once per target and direction", () => {
    const schema = z.object({ range: z.union([z.string(), z.tuple([z.string(), z.string()])]), limit: z.number().default(10) });
    const expectedInput = convert(
      z.object({ range: z.union([z.string(), z.tuple([z.string(), z.string()])]), limit: z.number().default(10) }),
      "input",
      "draft-2020-12",
    );
    memoizeJsonSchema(schema);
    const first = convert(schema, "input", "draft-2020-12");
    expect(first).toEqual(expectedInput);
    expect(convert(schema, "input", "draft-2020-12")).toBe(first);
    expect(convert(schema, "output", "draft-2020-12")).not.toBe(first);
    expect(convert(schema, "input", "draft-07")).not.toBe(first);
  });

  it("keeps validating as before and hands out a copy nobody can change", () => {
    const schema = memoizeJsonSchema(z.object({ site_id: z.string() }));
    expect(schema.safeParse({ site_id: 1 }).success).toBe(false);
    const converted = convert(schema, "output", "draft-2020-12") as { properties: Record<string, unknown> };
    expect(() => {
      converted.properties.extra = {};
    }).toThrow(TypeError);
  });
});
