import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultQueryAnswer, installFakePlausible, type FakePlausible } from "../support/fake-plausible";
import { connectBearer, textOf, type TestClient, type Transport } from "../support/mcp-clients";
import { TOOL_NAMES } from "../support/tool-names";

// Tool inputs fuzzed with fast-check through real MCP clients against the
// worker inside workerd, with the fake Plausible behind it. Every generated
// input must get a result or a tool error that names the problem: never an
// HTTP 5xx or a protocol failure (either makes the client's callTool reject,
// failing the property), an unhandled rejection (vitest fails the run) or the
// server's "failed unexpectedly" answer. Seeded and bounded: 150 calls in all.
const SEED = 20_260_717;
const RUNS: [Transport, number][] = [
  ["streamable-http (SDK v2)", 100],
  ["sse (SDK v1)", 50],
];
// A new key every few calls keeps the per-key token bucket (burst 30) out of the way of what is being fuzzed.
const CALLS_PER_KEY = 20;

interface JsonSchema {
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema | JsonSchema[];
  prefixItems?: JsonSchema[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
}

/** Every enum and const value in a tool's advertised input schema: the near-valid words a model would use. */
function schemaWords(schema: JsonSchema | undefined, into = new Set<unknown>()): Set<unknown> {
  if (!schema || typeof schema !== "object") return into;
  for (const value of schema.enum ?? []) into.add(value);
  if ("const" in schema) into.add(schema.const);
  for (const child of [
    ...Object.values(schema.properties ?? {}),
    ...(Array.isArray(schema.items) ? schema.items : schema.items ? [schema.items] : []),
    ...(schema.prefixItems ?? []),
    ...(schema.anyOf ?? []),
    ...(schema.oneOf ?? []),
    ...(schema.allOf ?? []),
  ]) {
    schemaWords(child, into);
  }
  return into;
}

const EDGE_VALUES = [
  "",
  " ",
  "example.com",
  "shop.example.com",
  "7d",
  "30d",
  "month",
  "all",
  "day",
  "2024-01-01",
  "2024-02-30",
  "2026-01-01T00:00:00Z",
  ["2024-01-01", "2024-01-31"],
  ["2024-01-31", "2024-01-01"],
  "../../etc/passwd",
  "https://evil.example/",
  "💥\u0000\u202e",
  "x".repeat(3000),
  null,
  0,
  -1,
  1.5,
  1e308,
  Number.MAX_SAFE_INTEGER,
  true,
  {},
  [],
];

/** Any one of `values`, evenly: fc.constantFrom leans towards the first ones. */
function oneOf<T>(values: readonly T[]): fc.Arbitrary<T> {
  return fc.noBias(fc.integer({ min: 0, max: values.length - 1 })).map((index) => values[index]!);
}

function argumentsFor(inputSchema: JsonSchema): fc.Arbitrary<Record<string, unknown>> {
  const names = Object.keys(inputSchema.properties ?? {});
  const words = [...schemaWords(inputSchema)];
  const word = words.length > 0 ? oneOf(words) : fc.constant("visitors");
  const filter = fc.tuple(
    oneOf(["is", "is_not", "contains", "matches", "and", "or", "not", "has_done", "bogus"]),
    word,
    fc.array(fc.oneof(fc.string({ maxLength: 12 }), word), { maxLength: 3 }),
  );
  const value = fc.oneof(
    { weight: 4, arbitrary: word },
    { weight: 3, arbitrary: fc.array(word, { maxLength: 5 }) },
    { weight: 2, arbitrary: oneOf(EDGE_VALUES) },
    { weight: 2, arbitrary: fc.array(filter, { maxLength: 3 }) },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
    { weight: 1, arbitrary: fc.string({ unit: "grapheme", maxLength: 40 }) },
    { weight: 1, arbitrary: fc.integer() },
  );
  const key =
    names.length > 0
      ? fc.oneof({ weight: 5, arbitrary: oneOf(names) }, { weight: 1, arbitrary: fc.string({ maxLength: 12 }) })
      : fc.string({ maxLength: 12 });
  const anything = fc.dictionary(key, value, { maxKeys: Math.max(3, names.length + 1) });
  // A call that would run, with one to three arguments replaced: reaches the checks past the schema.
  const valid = Object.fromEntries(Object.entries(VALID_BASE).filter(([name]) => names.includes(name)));
  const nearValid = fc.dictionary(key, value, { minKeys: 1, maxKeys: 3 }).map((changes) => ({ ...valid, ...changes }));
  return fc.oneof(anything, nearValid);
}

const VALID_BASE: Record<string, unknown> = {
  site_id: "example.com",
  metrics: ["visitors"],
  date_range: "7d",
  dimension: "visit:source",
  goal: "Signup",
};

let plausible: FakePlausible;
beforeAll(() => {
  plausible = installFakePlausible();
  // The fuzz keys are valid for every endpoint the tools use.
  plausible.use((request) => {
    if (!request.authorization?.startsWith("Bearer fuzz-")) return undefined;
    const list = { meta: { after: null, before: null, limit: 100 } };
    switch (request.path) {
      case "/api/v2/query":
        return defaultQueryAnswer(request.body as never);
      case "/api/v1/sites":
        return Response.json({ sites: [{ domain: "example.com", timezone: "UTC" }], ...list });
      case "/api/v1/sites/goals":
        return Response.json({
          goals: [{ id: 1, goal_type: "event", display_name: "Signup", event_name: "Signup", page_path: null }],
          ...list,
        });
      case "/api/v1/sites/custom-props":
        return Response.json({ custom_properties: [{ property: "plan" }], ...list });
      case "/api/v1/stats/realtime/visitors":
        return Response.json(4);
      default:
        return undefined;
    }
  });
});
afterAll(() => plausible.restore());

describe.each(RUNS)("tool inputs fuzzed over %s", (transport, numRuns) => {
  let tools: { name: string; inputSchema: unknown }[] = [];
  let client: TestClient | undefined;
  let calls = 0;
  let keyCounter = 0;

  async function clientForNextCall(): Promise<TestClient> {
    if (client === undefined || calls % CALLS_PER_KEY === 0) {
      await client?.close();
      client = await connectBearer(transport, `fuzz-${transport.replace(/\W+/g, "-")}-${++keyCounter}`);
    }
    calls += 1;
    return client;
  }

  beforeAll(async () => {
    tools = (await (await clientForNextCall()).listTools()).tools;
    calls = 0;
  });
  afterAll(async () => client?.close());

  it("answers every input with a result or a tool error naming the problem", async () => {
    expect(tools.map((tool) => tool.name).sort()).toEqual(TOOL_NAMES);
    const call = oneOf(tools).chain((tool) => fc.tuple(fc.constant(tool.name), argumentsFor(tool.inputSchema as JsonSchema)));
    const outcomes = { results: 0, toolErrors: 0 };
    await fc.assert(
      fc.asyncProperty(call, async ([name, args]) => {
        const result = await (await clientForNextCall()).callTool({ name, arguments: args });
        const text = textOf(result);
        expect(text).not.toMatch(/failed unexpectedly/);
        if (result.isError) {
          outcomes.toolErrors += 1;
          expect(text.trim().length).toBeGreaterThan(10);
        } else {
          outcomes.results += 1;
          expect(result.structuredContent).toBeDefined();
        }
      }),
      { numRuns, seed: SEED },
    );
    // The generator reaches both sides: some inputs are valid enough to run, most are refused.
    expect(outcomes.results).toBeGreaterThan(0);
    expect(outcomes.toolErrors).toBeGreaterThan(0);
  });
});
