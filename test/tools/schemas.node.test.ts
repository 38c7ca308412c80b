import { describe, expect, it } from "vitest";
import { getAggregateTool } from "../../src/tools/get-aggregate";
import { queryTool } from "../../src/tools/query";
import { inputProblem } from "./fake-context";

const rangeProblem = (date_range: unknown) => inputProblem(getAggregateTool, { date_range });

describe("date_range", () => {
  it.each(
    [
      ...["all", "day", "24h", "7d", "28d", "30d", "91d", "month", "6mo", "12mo", "year"],
      "1d",
      "5000d",
      "1mo",
      "100mo",
      ["2024-01-01", "2024-01-31"],
      ["2024-02-29", "2024-02-29"],
      ["2024-01-01T00:00:00Z", "2024-01-01T12:00:00Z"],
      ["2024-01-01T00:00:00+03:00", "2024-01-02T12:00:00.250-05:30"],
    ].map((range) => [range]),
  )("accepts %j", (range) => {
    expect(rangeProblem(range)).toBeUndefined();
  });

  it.each([
    ["last week", /not a date range: use one of all, day, 24h.*"Nd".*"Nmo".*YYYY-MM-DD/],
    ["0d", /Nd takes 1 to 5000 days/],
    ["5001d", /Nd takes 1 to 5000 days/],
    ["0mo", /Nmo takes 1 to 100 months/],
    ["101mo", /Nmo takes 1 to 100 months/],
    [["2024-01-01", "2024-01-02T00:00:00Z"], /two dates .* or two datetimes with offsets .*do not mix/],
    [["2024-01-01T00:00:00", "2024-01-02T00:00:00"], /two datetimes with offsets/],
    [["2024-01-01T00:00Z", "2024-01-02T00:00Z"], /two datetimes with offsets/],
    [["2024-02-30", "2024-03-01"], /use two dates \["2024-01-01", "2024-01-31"\]/],
    [["2024-02-30T00:00:00Z", "2024-03-01T00:00:00Z"], /two datetimes with offsets/],
    [["2024-01-01T24:30:00Z", "2024-01-02T00:00:00Z"], /two datetimes with offsets/],
    [["2024-03-01", "2024-02-01"], /the start 2024-03-01 is after the end 2024-02-01/],
    [["2024-01-01T12:00:00+00:00", "2024-01-01T13:00:00+02:00"], /is after the end/],
  ])("refuses %j, saying what to use", (range, message) => {
    expect(rangeProblem(range)).toMatch(message);
  });

  it("refuses a pair that is not two elements", () => {
    expect(rangeProblem(["2024-01-01"])).toBeDefined();
    expect(rangeProblem(["2024-01-01", "2024-01-02", "2024-01-03"])).toBeDefined();
  });
});

describe("metrics", () => {
  it("refuses a repeated metric, which Plausible's schema forbids", () => {
    expect(inputProblem(getAggregateTool, { metrics: ["visitors", "visitors"] })).toMatch(/visitors.*more than once/);
  });

  it("refuses an unknown metric", () => {
    expect(inputProblem(getAggregateTool, { metrics: ["bounces"] })).toBeDefined();
  });
});

describe("query tool filters", () => {
  const base = { site_id: "example.com", metrics: ["visitors"], date_range: "7d" };
  const filterProblem = (filter: unknown) => inputProblem(queryTool, { ...base, filters: [filter] });

  it.each([
    ["is", "event:goal", ["Signup"]],
    ["contains", "event:goal", ["Sign"], { case_sensitive: false }],
    ["is", "segment", [42]],
    ["is_not", "visit:country", ["EE"], { case_sensitive: true }],
    ["contains_not", "event:props:plan", ["free"]],
    ["matches", "event:page", ["^/blog/"]],
    ["matches_not", "visit:source", ["(?i)bot"]],
    ["is", "event:page", ["/"], {}],
  ])("accepts the leaf %j", (...filter) => {
    expect(filterProblem(filter)).toBeUndefined();
  });

  it.each([
    [["matches", "event:page", ["^/blog/"], { case_sensitive: false }], /matches.*no .*case_sensitive.*\(\?i\)/],
    [["matches_not", "event:page", ["^/blog/"], { case_sensitive: true }], /matches_not.*no .*case_sensitive/],
    [["is_not", "event:goal", ["Signup"]], /event:goal.*only is and contains.*has_not_done/],
    [["contains_not", "event:goal", ["Sign"]], /event:goal.*only is and contains/],
    [["matches", "event:goal", ["^Sign"]], /event:goal.*only is and contains/],
    [["contains", "segment", [42]], /segment.*only.*is/],
    [["matches_wildcard", "event:page", ["/blog/*"]], /./],
    [["is", "time:day", ["2024-01-01"]], /not a filterable dimension/],
    [["is", "event:page", []], /./],
    [["is", "event:page", ["/"], { case_sensitive: "no" }], /./],
    [["is", "event:page", ["/"], { ignore_case: true }], /./],
    [["and", []], /./],
  ])("refuses %j", (filter, message) => {
    expect(filterProblem(filter)).toMatch(message);
  });

  it("checks leaves nested in and/or/not/has_done", () => {
    expect(
      filterProblem([
        "or",
        [
          ["is", "visit:source", ["x"]],
          ["not", ["matches", "event:page", ["^/"], { case_sensitive: false }]],
        ],
      ]),
    ).toMatch(/case_sensitive/);
    expect(filterProblem(["has_done", ["is_not", "event:goal", ["Signup"]]])).toMatch(/event:goal/);
  });

  it("refuses a repeated dimension", () => {
    expect(inputProblem(queryTool, { ...base, dimensions: ["event:page", "event:page"] })).toMatch(/event:page.*more than once/);
  });
});
