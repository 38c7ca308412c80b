import { describe, expect, it } from "vitest";
import { getConversionsTool } from "../../src/tools/get-conversions";
import { callTool, fakeContext, queryBodies, queryResult } from "./fake-context";

describe("get_conversions", () => {
  it("breaks down by goal with visitors, events and conversion rate", async () => {
    const { context, calls } = fakeContext(() =>
      queryResult([
        [["Signup"], [30, 34, 2.5]],
        [["Purchase"], [4, 5, 0.3]],
      ]),
    );
    const { structured, text } = await callTool(getConversionsTool, { site_id: "example.com", date_range: "month" }, context);
    expect(queryBodies(calls)).toEqual([
      {
        site_id: "example.com",
        metrics: ["visitors", "events", "conversion_rate"],
        date_range: "month",
        dimensions: ["event:goal"],
        order_by: [["visitors", "desc"]],
        pagination: { limit: 25 },
      },
    ]);
    expect(structured.rows).toEqual([
      { goal: "Signup", metrics: { visitors: 30, events: 34, conversion_rate: 2.5 } },
      { goal: "Purchase", metrics: { visitors: 4, events: 5, conversion_rate: 0.3 } },
    ]);
    expect(text).toContain("| goal | visitors | events | conversion_rate |");
    expect(text).toContain("| Signup | 30 | 34 | 2.5 |");
  });

  it("splits per page for one goal", async () => {
    const { context, calls } = fakeContext(() =>
      queryResult([
        [
          ["Signup", "/blog/a"],
          [7, 7, 1.2],
        ],
        [
          ["Signup", "/blog/b"],
          [3, 4, 0.5],
        ],
      ]),
    );
    const { structured, text } = await callTool(
      getConversionsTool,
      { site_id: "example.com", goal: "Signup", per_page: true, filters: [["contains", "event:page", ["/blog/"]]], limit: 50 },
      context,
    );
    expect(queryBodies(calls)[0]).toMatchObject({
      dimensions: ["event:goal", "event:page"],
      filters: [
        ["contains", "event:page", ["/blog/"]],
        ["is", "event:goal", ["Signup"]],
      ],
      pagination: { limit: 50 },
    });
    expect(structured.rows).toEqual([
      { goal: "Signup", page: "/blog/a", metrics: { visitors: 7, events: 7, conversion_rate: 1.2 } },
      { goal: "Signup", page: "/blog/b", metrics: { visitors: 3, events: 4, conversion_rate: 0.5 } },
    ]);
    expect(text).toContain("| goal | page | visitors | events | conversion_rate |");
    expect(text).toContain("| Signup | /blog/b | 3 | 4 | 0.5 |");
  });
});
