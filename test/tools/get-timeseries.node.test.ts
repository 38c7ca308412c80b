import { afterEach, describe, expect, it, vi } from "vitest";
import { PlausibleApiError, type PlausibleRequest } from "../../src/plausible";
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
      {
        site_id: "example.com",
        date_range: ["2024-05-07", "2024-05-09"],
        metrics: ["visitors", "pageviews", "bounce_rate"],
        page: "/pricing",
      },
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

  describe("month and year", () => {
    afterEach(() => vi.useRealTimers());
    // Plausible's whole month, as it answers without trim_relative_date_range (Berlin, UTC+1 in January).
    const wholeMonth = () =>
      queryResult([[["2026-01-14"], [5, 6]]], {
        time_labels: Array.from({ length: 31 }, (_, day) => `2026-01-${String(day + 1).padStart(2, "0")}`),
      });
    const withRange = (result: ReturnType<typeof queryResult>) => ({
      ...result,
      query: { date_range: ["2026-01-01T00:00:00+01:00", "2026-01-31T23:59:59+01:00"] },
    });

    it("asks Plausible to end the period today and drops any bucket after now in the site's timezone", async () => {
      // 23:30 UTC on the 15th is already the 16th in Berlin.
      vi.useFakeTimers({ now: Date.parse("2026-01-15T23:30:00Z"), toFake: ["Date"] });
      const { context, calls } = fakeContext(() => withRange(wholeMonth()));
      const { structured } = await callTool(getTimeseriesTool, { site_id: "example.com", date_range: "month" }, context);
      expect(queryBodies(calls)[0]!.include).toEqual({ time_labels: true, trim_relative_date_range: true });
      expect(structured.rows.map((row) => row.time).at(-1)).toBe("2026-01-16");
      expect(structured.rows).toHaveLength(16);
    });

    it("on a Community Edition older than 3.1, asks again without trim_relative_date_range and trims itself", async () => {
      vi.useFakeTimers({ now: Date.parse("2026-01-15T12:00:00Z"), toFake: ["Date"] });
      const refusal = "#/include/trim_relative_date_range: Schema does not allow additional properties.";
      const { context, calls } = fakeContext((request: PlausibleRequest) => {
        if (request.kind === "query" && request.body.include?.trim_relative_date_range) {
          throw new PlausibleApiError(`Plausible answered 400: ${refusal}`, { status: 400, plausibleMessage: refusal });
        }
        return withRange(wholeMonth());
      });
      const { structured } = await callTool(getTimeseriesTool, { site_id: "example.com", date_range: "month", interval: "week" }, context);
      expect(queryBodies(calls).map((body) => body.include)).toEqual([
        { time_labels: true, trim_relative_date_range: true },
        { time_labels: true },
      ]);
      expect(structured.rows.map((row) => row.time).at(-1)).toBe("2026-01-15");
    });

    it("does not retry other refusals", async () => {
      const refusal = '#/metrics/0: Invalid metric "scroll_depth"';
      const { context, calls } = fakeContext(() => {
        throw new PlausibleApiError(`Plausible answered 400: ${refusal}`, { status: 400, plausibleMessage: refusal });
      });
      await expect(
        callTool(getTimeseriesTool, { site_id: "example.com", date_range: "year", metrics: ["scroll_depth"], page: "/" }, context),
      ).rejects.toThrow(refusal);
      expect(calls).toHaveLength(1);
    });
  });
});
