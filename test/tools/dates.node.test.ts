import { describe, expect, it } from "vitest";
import { PlausibleApiError } from "../../src/plausible";
import {
  clipToDataStart,
  completeDaysOf,
  dataSpanFrom,
  dataSpanQuery,
  dateIn,
  resolveRange,
  resolvedDates,
  siteClock,
  siteDataSpan,
  todayFrom,
  todayQuery,
} from "../../src/tools/dates";
import { failingContext, fakeContext, queryResult } from "./fake-context";

describe("site dates", () => {
  const clock = { timezone: "Europe/Berlin", today: "2024-03-15" };

  it.each([
    ["7d", ["2024-03-08", "2024-03-14"]],
    ["1d", ["2024-03-14", "2024-03-14"]],
    ["day", ["2024-03-15", "2024-03-15"]],
    ["month", ["2024-03-01", "2024-03-15"]],
    ["year", ["2024-01-01", "2024-03-15"]],
    ["6mo", ["2023-09-01", "2024-02-29"]],
    ["12mo", ["2023-03-01", "2024-02-29"]],
    [
      ["2024-01-02", "2024-01-05"],
      ["2024-01-02", "2024-01-05"],
    ],
    [
      ["2024-01-02T10:00:00Z", "2024-01-05T10:00:00Z"],
      ["2024-01-02", "2024-01-05"],
    ],
    ["all", undefined],
    ["24h", undefined],
  ])("resolves %j to %j", (range, expected) => {
    expect(resolveRange(range, clock)).toEqual(expected);
  });

  it("reads today in the site's timezone", () => {
    const lateEvening = new Date("2024-03-15T23:30:00Z");
    expect(dateIn("Europe/Berlin", lateEvening)).toBe("2024-03-16");
    expect(dateIn("America/New_York", lateEvening)).toBe("2024-03-15");
  });

  it("takes the timezone from the Sites API", async () => {
    const now = new Date("2024-03-15T23:30:00Z");
    const listed = fakeContext(() => [{ domain: "example.com", timezone: "Asia/Tokyo" }]);
    expect(await siteClock(listed.context, "example.com", now)).toEqual({ timezone: "Asia/Tokyo", today: "2024-03-16" });
    expect(listed.calls).toEqual([[{ kind: "sites" }]]);
  });

  // Why: "Without the Sites API, 'today' falls back to UTC and a site's unfinished local day is scored as complete."
  it('without the Sites API (or for an unlisted site) reads today from Plausible\'s echo of a "day" range, not UTC', async () => {
    const now = new Date("2024-03-15T23:30:00Z"); // already 2024-03-16 in Auckland
    const dayEcho = { ...queryResult([[[], [12]]]), query: { date_range: ["2024-03-16T00:00:00+13:00", "2024-03-16T23:59:59+13:00"] } };
    const sitesApiMissing = new PlausibleApiError("Plausible answered 406", { status: 406, plausibleMessage: "Not Acceptable" });
    const community = fakeContext((request) => {
      if (request.kind === "sites") throw sitesApiMissing;
      return dayEcho;
    });
    expect(await siteClock(community.context, "example.com", now)).toEqual({ today: "2024-03-16" });
    expect(community.calls).toEqual([[{ kind: "sites" }], [{ kind: "query", body: todayQuery("example.com") }]]);
    expect(todayQuery("example.com")).toEqual({ site_id: "example.com", metrics: ["visitors"], date_range: "day" });

    const unlisted = fakeContext((request) => (request.kind === "sites" ? [{ domain: "example.com", timezone: "UTC" }] : dayEcho));
    expect(await siteClock(unlisted.context, "other.example", now)).toEqual({ today: "2024-03-16" });
  });

  it("falls back to UTC with a note only when Plausible echoes no dates", async () => {
    const now = new Date("2024-03-15T23:30:00Z");
    const echoless = fakeContext((request) => (request.kind === "sites" ? [] : queryResult([])));
    const clock = await siteClock(echoless.context, "example.com", now);
    expect(clock).toMatchObject({ timezone: "UTC", today: "2024-03-15" });
    expect(clock.note).toMatch(/not in the Sites API's list/);
    const community = failingContext(
      new PlausibleApiError("Plausible answered 404: Not found", { status: 404, plausibleMessage: "Not found" }),
    );
    await expect(siteClock(community.context, "example.com", now)).rejects.toThrow(/404/);
  });

  it('reads the site\'s first day with data and today from the echo of an "all" range', async () => {
    expect(dataSpanQuery("example.com")).toEqual({ site_id: "example.com", metrics: ["visitors"], date_range: "all" });
    const allEcho = { ...queryResult([[[], [900]]]), query: { date_range: ["2024-02-10T00:00:00-05:00", "2024-03-15T23:59:59-04:00"] } };
    expect(dataSpanFrom(allEcho)).toEqual({ firstDay: "2024-02-10", today: "2024-03-15" });
    expect(todayFrom(allEcho)).toBe("2024-03-15");
    expect(dataSpanFrom(queryResult([]))).toBeUndefined();

    const { context, calls } = fakeContext(() => allEcho);
    expect(await siteDataSpan(context, "example.com")).toEqual({ firstDay: "2024-02-10", today: "2024-03-15" });
    expect(calls).toEqual([[{ kind: "query", body: dataSpanQuery("example.com") }]]);
    const echoless = await siteDataSpan(fakeContext().context, "example.com", new Date("2024-03-15T23:30:00Z"));
    expect(echoless).toMatchObject({ firstDay: "0000-01-01", today: "2024-03-15" });
    expect(echoless.note).toMatch(/did not echo/);
  });

  it("clips a range to the first day with data and to complete days", () => {
    expect(clipToDataStart(["2024-02-01", "2024-02-20"], "2024-02-10")).toEqual(["2024-02-10", "2024-02-20"]);
    expect(clipToDataStart(["2024-02-11", "2024-02-20"], "2024-02-10")).toEqual(["2024-02-11", "2024-02-20"]);
    expect(clipToDataStart(["2024-02-01", "2024-02-09"], "2024-02-10")).toBeUndefined();
    expect(completeDaysOf(["2024-03-01", "2024-03-31"], "2024-03-15")).toEqual(["2024-03-01", "2024-03-14"]);
    expect(completeDaysOf(["2024-03-01", "2024-03-10"], "2024-03-15")).toEqual(["2024-03-01", "2024-03-10"]);
    expect(completeDaysOf(["2024-03-15", "2024-03-15"], "2024-03-15")).toBeUndefined();
  });

  it("reads the dates Plausible covered from the query it echoes", () => {
    expect(
      resolvedDates({ ...queryResult([]), query: { date_range: ["2024-03-08T00:00:00+01:00", "2024-03-14T23:59:59+01:00"] } }),
    ).toEqual(["2024-03-08", "2024-03-14"]);
    expect(resolvedDates(queryResult([]))).toBeUndefined();
  });
});
