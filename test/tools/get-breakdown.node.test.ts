import { describe, expect, it } from "vitest";
import { ToolInputError } from "../../src/tools";
import { getBreakdownTool } from "../../src/tools/get-breakdown";
import { callTool, fakeContext, inputProblem, queryBodies, queryResult } from "./fake-context";

const twoSources = () =>
  fakeContext(() =>
    queryResult([
      [["Google"], [50, 70]],
      [["Direct / None"], [20, 25]],
    ]),
  );

describe("get_breakdown", () => {
  it("ranks a dimension's values by the first metric, limited", async () => {
    const { context, calls } = twoSources();
    const { structured, text } = await callTool(
      getBreakdownTool,
      {
        site_id: "example.com",
        dimension: "visit:source",
        metrics: ["visitors", "visits"],
        page: "/pricing",
        date_range: "month",
        limit: 5,
      },
      context,
    );
    expect(queryBodies(calls)).toEqual([
      {
        site_id: "example.com",
        metrics: ["visitors", "visits"],
        date_range: "month",
        dimensions: ["visit:source"],
        filters: [["is", "event:page", ["/pricing"]]],
        order_by: [["visitors", "desc"]],
        pagination: { limit: 5 },
      },
    ]);
    expect(structured).toEqual({
      site_id: "example.com",
      date_range: "month",
      filters: [["is", "event:page", ["/pricing"]]],
      dimension: "visit:source",
      rows: [
        { value: "Google", metrics: { visitors: 50, visits: 70 } },
        { value: "Direct / None", metrics: { visitors: 20, visits: 25 } },
      ],
    });
    expect(text).toBe(
      [
        "example.com, month, by visit:source",
        "| visit:source | visitors | visits |",
        "|---|---|---|",
        "| Google | 50 | 70 |",
        "| Direct / None | 20 | 25 |",
      ].join("\n"),
    );
  });

  it("reads a bare custom property name as event:props:<name> and orders by the metric asked", async () => {
    const { context, calls } = fakeContext(() => queryResult([[["pro"], [5, 40]]]));
    const { structured } = await callTool(
      getBreakdownTool,
      { site_id: "example.com", dimension: "plan", metrics: ["visitors", "events"], order_by: "events" },
      context,
    );
    expect(queryBodies(calls)[0]).toMatchObject({
      dimensions: ["event:props:plan"],
      order_by: [["events", "desc"]],
      pagination: { limit: 10 },
      date_range: "28d",
    });
    expect(structured.dimension).toBe("event:props:plan");
  });

  it("says when nothing matched", async () => {
    const { context } = fakeContext(() => queryResult([]));
    const { text } = await callTool(getBreakdownTool, { site_id: "example.com", dimension: "event:goal" }, context);
    expect(text).toContain("(no rows: nothing matched in this period)");
  });

  it.each([
    [{ dimension: "visit:source", metrics: ["visitors"], order_by: "visits" }, "order_by", /"visits" is not among the requested metrics/],
    [{ dimension: "time:day" }, "dimension", /use get_timeseries/],
    [{ dimension: "time" }, "dimension", /use get_timeseries/],
    [{ dimension: "visit:planet" }, "dimension", /not a known dimension/],
    [{ dimension: "country" }, "dimension", /"visit:country".*"event:props:country"/],
  ])("refuses %j, naming the argument, before calling Plausible", async (args, argument, message) => {
    const { context, calls } = fakeContext();
    const error = await callTool(getBreakdownTool, { site_id: "example.com", ...args }, context).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(ToolInputError);
    expect((error as ToolInputError).argument).toBe(argument);
    expect((error as ToolInputError).message).toMatch(message);
    expect(calls).toEqual([]);
  });

  it("refuses an order_by that is no metric name in its input schema", () => {
    expect(inputProblem(getBreakdownTool, { dimension: "visit:source", order_by: "visit:source" })).toBeDefined();
  });
});
