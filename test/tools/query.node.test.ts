import { describe, expect, it } from "vitest";
import { ToolInputError } from "../../src/tools";
import { queryTool } from "../../src/tools/query";
import { callTool, fakeContext, queryBodies, queryResult } from "./fake-context";

describe("query", () => {
  it("passes the v2 query through as it was given and returns Plausible's rows", async () => {
    const args = {
      site_id: "example.com",
      metrics: ["visitors", "bounce_rate"],
      date_range: ["2024-01-01", "2024-01-31"],
      dimensions: ["visit:country_name", "event:page"],
      filters: [
        [
          "or",
          [
            ["is", "visit:device", ["Mobile"]],
            ["matches", "event:page", ["^/blog/"]],
          ],
        ],
        ["has_done", ["is", "event:goal", ["Signup"]]],
      ],
      order_by: [
        ["visitors", "desc"],
        ["event:page", "asc"],
      ],
      include: { total_rows: true },
      pagination: { limit: 2, offset: 4 },
    };
    const { context, calls } = fakeContext(() =>
      queryResult(
        [
          [
            ["Estonia", "/blog/a"],
            [12, 40],
          ],
          [
            ["Finland", "/blog/b|c"],
            [5, null],
          ],
        ],
        { total_rows: 9 },
      ),
    );
    const { structured, text } = await callTool(queryTool, args, context);
    expect(queryBodies(calls)).toEqual([args]);
    expect(structured).toEqual({
      site_id: "example.com",
      date_range: ["2024-01-01", "2024-01-31"],
      filters: args.filters,
      dimensions: ["visit:country_name", "event:page"],
      metrics: ["visitors", "bounce_rate"],
      results: [
        { dimensions: ["Estonia", "/blog/a"], metrics: [12, 40] },
        { dimensions: ["Finland", "/blog/b|c"], metrics: [5, null] },
      ],
      meta: { total_rows: 9 },
    });
    expect(text).toBe(
      [
        "example.com, 2024-01-01 to 2024-01-31",
        "| visit:country_name | event:page | visitors | bounce_rate |",
        "|---|---|---|---|",
        "| Estonia | /blog/a | 12 | 40 |",
        "| Finland | /blog/b\\|c | 5 | – |",
      ].join("\n"),
    );
  });

  it("uses the default site and sends only the keys given", async () => {
    const { context, calls } = fakeContext(() => queryResult([[[], [7]]]), "default.example");
    await callTool(queryTool, { metrics: ["visits"], date_range: "day" }, context);
    expect(queryBodies(calls)).toEqual([{ site_id: "default.example", metrics: ["visits"], date_range: "day" }]);
  });

  it.each([
    [
      { dimensions: ["visit:source"], order_by: [["pageviews", "desc"]] },
      "order_by",
      /"pageviews" is neither a queried metric nor a queried dimension/,
    ],
    [{ dimensions: ["event:goal"], order_by: [["event:goal", "asc"]] }, "order_by", /cannot order by event:goal/],
    [{ dimensions: ["visit:source"], include: { time_labels: true } }, "include", /time_labels needs a time dimension/],
  ])("refuses %j before calling Plausible", async (args, argument, message) => {
    const { context, calls } = fakeContext();
    const error = await callTool(queryTool, { site_id: "example.com", metrics: ["visitors"], date_range: "7d", ...args }, context).catch(
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(ToolInputError);
    expect((error as ToolInputError).argument).toBe(argument);
    expect((error as ToolInputError).message).toMatch(message);
    expect(calls).toEqual([]);
  });
});
