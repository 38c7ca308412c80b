import { describe, expect, it } from "vitest";
import { METRICS, TIME_DIMENSIONS, type QueryBody } from "../../src/plausible";
import { QUERY_SCHEMA_PATH, compileQuerySchema, loadQuerySchema } from "../support/query-schema";

const schema = loadQuerySchema();

// Bodies typed with QueryBody that Plausible's own schema must accept: if the
// types drift from the query language, either tsc or this test says so.
const valid: [string, QueryBody][] = [
  ["minimal", { site_id: "example.com", metrics: ["visitors"], date_range: "7d" }],
  ...(["all", "day", "24h", "7d", "28d", "30d", "91d", "month", "6mo", "12mo", "year", "1d", "5000d", "3mo", "100mo"] as const).map(
    (range): [string, QueryBody] => [`date_range ${range}`, { site_id: "example.com", metrics: ["visits"], date_range: range }],
  ),
  ["date pair", { site_id: "example.com", metrics: ["pageviews"], date_range: ["2024-01-01", "2024-01-31"] }],
  [
    "datetime pair with offsets",
    { site_id: "example.com", metrics: ["pageviews"], date_range: ["2024-01-01T00:00:00+03:00", "2024-01-02T12:00:00+03:00"] },
  ],
  [
    "every metric",
    {
      site_id: "example.com",
      metrics: [...METRICS],
      date_range: "30d",
    },
  ],
  ...TIME_DIMENSIONS.map((dimension): [string, QueryBody] => [
    `time dimension ${dimension}`,
    { site_id: "example.com", metrics: ["visitors"], date_range: "7d", dimensions: [dimension], include: { time_labels: true } },
  ]),
  [
    "event, visit, goal and custom property dimensions",
    {
      site_id: "example.com",
      metrics: ["visitors", "conversion_rate"],
      date_range: "month",
      dimensions: ["event:goal", "event:props:author", "visit:country_name", "visit:exit_page_hostname", "event:hostname"],
    },
  ],
  [
    "filter tree",
    {
      site_id: "example.com",
      metrics: ["visitors"],
      date_range: "28d",
      filters: [
        ["is", "event:goal", ["Signup"]],
        ["is_not", "visit:country", ["EE", "FI"]],
        ["contains", "event:page", ["/blog"], { case_sensitive: false }],
        ["contains_not", "visit:utm_source", ["spam"]],
        ["matches", "event:page", ["^/docs/.*$"]],
        ["matches_not", "event:props:path", ["\\d+"]],
        ["is", "segment", [123]],
        [
          "or",
          [
            ["is", "visit:browser", ["Firefox"]],
            [
              "and",
              [
                ["is", "visit:os", ["Linux"]],
                ["not", ["is", "visit:device", ["Mobile"]]],
              ],
            ],
          ],
        ],
        ["has_done", ["is", "event:name", ["Signup"]]],
        ["has_not_done", ["contains", "event:page", ["/pricing"], { case_sensitive: true }]],
      ],
    },
  ],
  [
    "order_by, include and pagination",
    {
      site_id: "example.com",
      metrics: ["visitors", "pageviews"],
      date_range: ["2024-09-01", "2024-09-30"],
      dimensions: ["visit:source", "time:day"],
      order_by: [
        ["visitors", "desc"],
        ["time:day", "asc"],
      ],
      include: { imports: true, time_labels: true, total_rows: true, trim_relative_date_range: true },
      pagination: { limit: 10000, offset: 200 },
    },
  ],
];

// Bodies the schema must refuse, so this test can fail. Cast: most are not
// valid QueryBody values either, which is the point.
const invalid: [string, unknown][] = [
  ["missing site_id", { metrics: ["visitors"], date_range: "7d" }],
  ["no metrics", { site_id: "example.com", metrics: [], date_range: "7d" }],
  ["unknown metric", { site_id: "example.com", metrics: ["baa"], date_range: "7d" }],
  ["repeated metric", { site_id: "example.com", metrics: ["visitors", "visitors"], date_range: "7d" }],
  ["bad named range", { site_id: "example.com", metrics: ["visitors"], date_range: "bad_period" }],
  ["date mixed with datetime", { site_id: "example.com", metrics: ["visitors"], date_range: ["2024-01-01", "2024-01-02T00:00:00+00:00"] }],
  [
    "datetime without offset",
    { site_id: "example.com", metrics: ["visitors"], date_range: ["2024-01-01T00:00:00", "2024-01-02T00:00:00"] },
  ],
  ["unknown top-level key", { site_id: "example.com", metrics: ["visitors"], date_range: "7d", interval: "day" }],
  ["unknown dimension", { site_id: "example.com", metrics: ["visitors"], date_range: "7d", dimensions: ["visit:planet"] }],
  [
    "filter on a time dimension",
    { site_id: "example.com", metrics: ["visitors"], date_range: "7d", filters: [["is", "time:day", ["2024-01-01"]]] },
  ],
  [
    "is_not on event:goal",
    { site_id: "example.com", metrics: ["visitors"], date_range: "7d", filters: [["is_not", "event:goal", ["Signup"]]] },
  ],
  [
    "case_sensitive on matches",
    {
      site_id: "example.com",
      metrics: ["visitors"],
      date_range: "7d",
      filters: [["matches", "event:page", ["^/"], { case_sensitive: false }]],
    },
  ],
  ["empty and", { site_id: "example.com", metrics: ["visitors"], date_range: "7d", filters: [["and", []]] }],
  ["bad sort direction", { site_id: "example.com", metrics: ["visitors"], date_range: "7d", order_by: [["visitors", "up"]] }],
  ["unknown include", { site_id: "example.com", metrics: ["visitors"], date_range: "7d", include: { comparisons: true } }],
  ["limit over 10000", { site_id: "example.com", metrics: ["visitors"], date_range: "7d", pagination: { limit: 10001 } }],
];

// The schema is Plausible's reference data and lives outside the repository;
// without it these tests are skipped and the title says why.
const title =
  schema === undefined
    ? `QueryBody values against Plausible's query schema (SKIPPED: ${QUERY_SCHEMA_PATH} is absent; it ` +
      "is Plausible's reference data kept outside the repo in ../shared/plausible)"
    : "QueryBody values against Plausible's query schema";

describe.skipIf(schema === undefined)(title, () => {
  const validate = schema === undefined ? undefined : compileQuerySchema(schema);

  it.each(valid)("accepts %s", (_name, body) => {
    const ok = validate!(body);
    expect(validate!.errors ?? [], JSON.stringify(body)).toEqual([]);
    expect(ok).toBe(true);
  });

  it.each(invalid)("rejects %s", (_name, body) => {
    expect(validate!(body)).toBe(false);
  });
});
