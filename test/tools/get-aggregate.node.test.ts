import { describe, expect, it } from "vitest";
import { getAggregateTool } from "../../src/tools/get-aggregate";
import { callTool, fakeContext, queryBodies, queryResult } from "./fake-context";

describe("get_aggregate", () => {
  it("asks for the default summary metrics over 28d and pairs the answer with their names", async () => {
    const { context, calls } = fakeContext(() => queryResult([[[], [120, 150, 410, 41.5, 73]]]));
    const { structured, text } = await callTool(getAggregateTool, { site_id: "example.com" }, context);
    expect(calls).toEqual([
      [
        {
          kind: "query",
          body: {
            site_id: "example.com",
            metrics: ["visitors", "visits", "pageviews", "bounce_rate", "visit_duration"],
            date_range: "28d",
          },
        },
      ],
    ]);
    expect(structured).toEqual({
      site_id: "example.com",
      date_range: "28d",
      filters: [],
      metrics: { visitors: 120, visits: 150, pageviews: 410, bounce_rate: 41.5, visit_duration: 73 },
    });
    expect(text).toBe(
      [
        "example.com, 28d",
        "| visitors | visits | pageviews | bounce_rate | visit_duration |",
        "|---|---|---|---|---|",
        "| 120 | 150 | 410 | 41.5 | 73 |",
      ].join("\n"),
    );
  });

  it("narrows to a page over a date pair with chosen metrics", async () => {
    const { context, calls } = fakeContext(() => queryResult([[[], [35, 12.345]]]));
    const { structured, text } = await callTool(
      getAggregateTool,
      { site_id: "example.com", date_range: ["2024-05-07", "2024-05-13"], metrics: ["visitors", "time_on_page"], page: "/pricing" },
      context,
    );
    expect(queryBodies(calls)).toEqual([
      {
        site_id: "example.com",
        metrics: ["visitors", "time_on_page"],
        date_range: ["2024-05-07", "2024-05-13"],
        filters: [["is", "event:page", ["/pricing"]]],
      },
    ]);
    expect(structured.metrics).toEqual({ visitors: 35, time_on_page: 12.345 });
    expect(text).toContain("2024-05-07 to 2024-05-13");
    expect(text).toContain("| 35 | 12.35 |");
  });

  it("renders revenue by its short form and a missing value as a dash", async () => {
    const revenue = { value: 1234.5, currency: "EUR", short: "€1.2K", long: "€1,234.50" };
    const { context } = fakeContext(() => queryResult([[[], [revenue, null]]]));
    const { structured, text } = await callTool(
      getAggregateTool,
      { site_id: "example.com", metrics: ["total_revenue", "conversion_rate"], goal: "Purchase" },
      context,
    );
    expect(structured.metrics).toEqual({ total_revenue: revenue, conversion_rate: null });
    expect(text).toContain("| €1.2K | – |");
  });
});

describe("get_aggregate's resolved dates", () => {
  it("reports the dates Plausible covered, in the site's timezone, from the query it echoes", async () => {
    const answer = { ...queryResult([[[], [7]]]), query: { date_range: ["2024-05-13T00:00:00+02:00", "2024-05-19T23:59:59+02:00"] } };
    const { context } = fakeContext(() => answer);
    const { structured } = await callTool(getAggregateTool, { site_id: "example.com", date_range: "7d", metrics: ["visitors"] }, context);
    expect(structured.date_range_resolved).toEqual(["2024-05-13", "2024-05-19"]);
  });
});
