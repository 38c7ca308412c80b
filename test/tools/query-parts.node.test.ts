import { describe, expect, it } from "vitest";
import { ToolInputError } from "../../src/tools";
import { getAggregateTool } from "../../src/tools/get-aggregate";
import { getBreakdownTool } from "../../src/tools/get-breakdown";
import { getRealtimeVisitorsTool } from "../../src/tools/get-realtime-visitors";
import { callTool, fakeContext, queryBodies, queryResult } from "./fake-context";

const answered = () => fakeContext(() => queryResult([[[], [1, 2, 3, 40, 50]]]));

/** The filters get_aggregate sends for these narrowing arguments. */
async function filtersFor(args: Record<string, unknown>) {
  const { context, calls } = answered();
  await callTool(getAggregateTool, { site_id: "example.com", ...args }, context);
  return queryBodies(calls)[0]!.filters;
}

/** The ToolInputError get_aggregate throws for these arguments, before any Plausible call. */
async function refusal(args: Record<string, unknown>) {
  const { context, calls } = answered();
  const error = await callTool(getAggregateTool, { site_id: "example.com", ...args }, context).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(ToolInputError);
  expect(calls).toEqual([]);
  return error as ToolInputError;
}

describe("page and goal shortcuts", () => {
  it("sends no filters when nothing narrows the query", async () => {
    expect(await filtersFor({})).toBeUndefined();
  });

  it("turns page into an event:page filter", async () => {
    expect(await filtersFor({ page: "/pricing" })).toEqual([["is", "event:page", ["/pricing"]]]);
  });

  it("turns goal into an event:goal filter", async () => {
    expect(await filtersFor({ goal: "Signup" })).toEqual([["is", "event:goal", ["Signup"]]]);
  });

  it("ANDs raw filters, property filters, page and goal in one list", async () => {
    expect(
      await filtersFor({
        filters: [["contains", "visit:source", ["google"], { case_sensitive: false }]],
        property_filters: [{ property: "plan", value: "pro" }],
        page: "/pricing",
        goal: "Signup",
      }),
    ).toEqual([
      ["contains", "visit:source", ["google"], { case_sensitive: false }],
      ["is", "event:props:plan", ["pro"]],
      ["is", "event:page", ["/pricing"]],
      ["is", "event:goal", ["Signup"]],
    ]);
  });

  it.each([
    ["a top-level filter", { page: "/pricing", filters: [["is", "event:page", ["/about"]]] }, "page"],
    [
      "a filter nested in or",
      {
        page: "/pricing",
        filters: [
          [
            "or",
            [
              ["is", "visit:source", ["x"]],
              ["contains", "event:page", ["/blog"]],
            ],
          ],
        ],
      },
      "page",
    ],
    [
      "a filter nested in and",
      {
        goal: "Signup",
        filters: [
          [
            "and",
            [
              ["is", "event:goal", ["Purchase"]],
              ["is", "visit:device", ["Mobile"]],
            ],
          ],
        ],
      },
      "goal",
    ],
    ["a filter nested in not", { page: "/pricing", filters: [["not", ["is", "event:page", ["/about"]]]] }, "page"],
    ["a property filter", { page: "/pricing", property_filters: [{ property: "event:page", value: "/about" }] }, "page"],
  ])("refuses a shortcut that conflicts with %s, naming the argument", async (_case, args, argument) => {
    const error = await refusal(args);
    expect(error.argument).toBe(argument);
    expect(error.message).toContain(`\`${argument}\``);
    expect(error.message).toMatch(/give the condition once/);
  });

  it("lets page and goal sit beside has_done conditions on other pages or goals (a visitor-level condition, not a conflict)", async () => {
    expect(
      await filtersFor({
        page: "/pricing",
        goal: "Purchase",
        filters: [
          ["has_done", ["is", "event:page", ["/docs"]]],
          ["has_not_done", ["is", "event:goal", ["Refund"]]],
        ],
      }),
    ).toEqual([
      ["has_done", ["is", "event:page", ["/docs"]]],
      ["has_not_done", ["is", "event:goal", ["Refund"]]],
      ["is", "event:page", ["/pricing"]],
      ["is", "event:goal", ["Purchase"]],
    ]);
  });
});

describe("property_filters", () => {
  it("reads a bare name as a custom property and keeps a built-in dimension as it is", async () => {
    expect(
      await filtersFor({
        property_filters: [
          { property: "plan", value: "pro" },
          { property: "visit:country", value: "EE" },
          { property: "event:props:author", value: "Ann" },
        ],
      }),
    ).toEqual([
      ["is", "event:props:plan", ["pro"]],
      ["is", "visit:country", ["EE"]],
      ["is", "event:props:author", ["Ann"]],
    ]);
  });

  it.each(["is", "is_not", "contains", "contains_not"] as const)("passes the %s operator through", async (operator) => {
    expect(await filtersFor({ property_filters: [{ property: "plan", operator, value: "pro" }] })).toEqual([
      [operator, "event:props:plan", ["pro"]],
    ]);
  });

  it("takes a single value or a list (any of them matches)", async () => {
    expect(
      await filtersFor({
        property_filters: [
          { property: "plan", value: "pro" },
          { property: "visit:browser", operator: "is_not", value: ["Chrome", "Safari"] },
        ],
      }),
    ).toEqual([
      ["is", "event:props:plan", ["pro"]],
      ["is_not", "visit:browser", ["Chrome", "Safari"]],
    ]);
  });

  it.each([
    ["country", "visit:country"],
    ["source", "visit:source"],
    ["page", "event:page"],
    ["name", "event:name"],
  ])("refuses the ambiguous bare name %s, naming both readings", async (name, builtIn) => {
    const error = await refusal({ property_filters: [{ property: name, value: "x" }] });
    expect(error.argument).toBe("property_filters");
    expect(error.message).toContain(`"${builtIn}"`);
    expect(error.message).toContain(`"event:props:${name}"`);
  });

  it("refuses a prefixed name that is no filterable dimension", async () => {
    const error = await refusal({ property_filters: [{ property: "visit:planet", value: "Mars" }] });
    expect(error.argument).toBe("property_filters");
    expect(error.message).toMatch(/not a known dimension/);
  });

  it("points a goal filter to the goal argument", async () => {
    const error = await refusal({ property_filters: [{ property: "event:goal", value: "Signup" }] });
    expect(error.argument).toBe("property_filters");
    expect(error.message).toContain("`goal`");
  });
});

describe("site_id", () => {
  it("uses the site given", async () => {
    const { context, calls } = fakeContext(() => 3, "default.example");
    const { structured } = await callTool(getRealtimeVisitorsTool, { site_id: "given.example" }, context);
    expect(calls).toEqual([[{ kind: "realtime", siteId: "given.example" }]]);
    expect(structured.site_id).toBe("given.example");
  });

  it("falls back to the server's default site", async () => {
    const { context, calls } = fakeContext(() => queryResult([[["/"], [9]]]), "default.example");
    const { structured } = await callTool(getBreakdownTool, { dimension: "event:page" }, context);
    expect(queryBodies(calls)[0]!.site_id).toBe("default.example");
    expect(structured.site_id).toBe("default.example");
  });

  it("without a site and a default, tells the model to ask the user, before calling Plausible", async () => {
    const { context, calls } = fakeContext();
    const error = await callTool(getAggregateTool, {}, context).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(ToolInputError);
    expect((error as ToolInputError).argument).toBe("site_id");
    expect((error as ToolInputError).message).toMatch(/Ask the user which site/);
    expect(calls).toEqual([]);
  });
});
