import { describe, expect, it } from "vitest";
import { PlausibleApiError } from "../../src/plausible";
import { dateIn, resolveRange, resolvedDates, siteClock } from "../../src/tools/dates";
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

  it("takes the timezone from the Sites API, and falls back to UTC with a note", async () => {
    const now = new Date("2024-03-15T23:30:00Z");
    const listed = fakeContext(() => [{ domain: "example.com", timezone: "Asia/Tokyo" }]);
    expect(await siteClock(listed.context, "example.com", now)).toEqual({ timezone: "Asia/Tokyo", today: "2024-03-16" });
    expect(listed.calls).toEqual([[{ kind: "sites" }]]);

    const unlisted = await siteClock(listed.context, "other.example", now);
    expect(unlisted).toMatchObject({ timezone: "UTC", today: "2024-03-15" });
    expect(unlisted.note).toMatch(/not in the Sites API's list/);

    const community = failingContext(
      new PlausibleApiError("Plausible answered 404: Not found", { status: 404, plausibleMessage: "Not found" }),
    );
    expect((await siteClock(community.context, "example.com", now)).note).toMatch(/no Sites API/);
  });

  it("reads the dates Plausible covered from the query it echoes", () => {
    expect(
      resolvedDates({ ...queryResult([]), query: { date_range: ["2024-03-08T00:00:00+01:00", "2024-03-14T23:59:59+01:00"] } }),
    ).toEqual(["2024-03-08", "2024-03-14"]);
    expect(resolvedDates(queryResult([]))).toBeUndefined();
  });
});
