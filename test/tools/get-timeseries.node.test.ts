import { describe, expect, it } from "vitest";
import { getTimeseriesTool } from "../../src/tools/get-timeseries";
import { callTool, fakeContext, queryBodies, queryResult } from "./fake-context";

describe("get_timeseries", () => {
  it("asks for time buckets with their labels and fills the empty ones: counts 0, rates null", async () => {
    const { context, calls } = fakeContext(() =>
      queryResult(
        [
          [["2024-05-07"], [10, 20, 55.5]],
          [["2024-05-09"], [4, 6, 25]],
        ],
        { time_labels: ["2024-05-07", "2024-05-08", "2024-05-09"] },
      ),
    );
    const { structured, text } = await callTool(
      getTimeseriesTool,
      { site_id: "example.com", date_range: ["2024-05-07", "2024-05-09"], metrics: ["visitors", "pageviews", "bounce_rate"], page: "/pricing" },
      context,
    );
    expect(queryBodies(calls)).toEqual([
      {
        site_id: "example.com",
        metrics: ["visitors", "pageviews", "bounce_rate"],
        date_range: ["2024-05-07", "2024-05-09"],
        dimensions: ["time:day"],
        filters: [["is", "event:page", ["/pricing"]]],
        include: { time_labels: true },
      },
    ]);
    expect(structured.rows).toEqual([
      { time: "2024-05-07", metrics: { visitors: 10, pageviews: 20, bounce_rate: 55.5 } },
      { time: "2024-05-08", metrics: { visitors: 0, pageviews: 0, bounce_rate: null } },
      { time: "2024-05-09", metrics: { visitors: 4, pageviews: 6, bounce_rate: 25 } },
    ]);
    expect(structured.interval).toBe("day");
    expect(text).toContain("| day | visitors | pageviews | bounce_rate |");
    expect(text).toContain("| 2024-05-08 | 0 | 0 | – |");
    expect(text).toContain("| 2024-05-09 | 4 | 6 | 25 |");
  });

  it("defaults to daily visitors and pageviews over 28d and takes other intervals", async () => {
    const { context, calls } = fakeContext(() => queryResult([[["2024-05-07 05:00:00"], [3, 4]]]));
    const { structured } = await callTool(getTimeseriesTool, { site_id: "example.com", date_range: "day", interval: "hour" }, context);
    expect(queryBodies(calls)[0]).toMatchObject({ metrics: ["visitors", "pageviews"], date_range: "day", dimensions: ["time:hour"] });
    // Without time_labels in meta, the buckets that came back are the rows.
    expect(structured.rows).toEqual([{ time: "2024-05-07 05:00:00", metrics: { visitors: 3, pageviews: 4 } }]);
    await callTool(getTimeseriesTool, { site_id: "example.com" }, context);
    expect(queryBodies(calls)[1]).toMatchObject({ date_range: "28d", dimensions: ["time:day"] });
  });
});
