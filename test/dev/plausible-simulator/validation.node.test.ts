import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator } from "../../../dev/plausible-simulator/server.ts";
import type { SimulatorHandle } from "../../../dev/plausible-simulator/server.ts";
import { FIXED_NOW, SCHEMA_PATH, SCHEMA_PRESENT, post } from "./client.ts";

const base = { site_id: "example.com", date_range: "7d" };

// Plausible's query rules, each with its exact text. They hold with and
// without the JSON schema loaded.
const RULES: Array<[string, Record<string, unknown>, string]> = [
  [
    "conversion_rate without goals",
    { metrics: ["conversion_rate"] },
    "Metric `conversion_rate` can only be queried with event:goal filters or dimensions.",
  ],
  [
    "group_conversion_rate without goals",
    { metrics: ["visitors", "group_conversion_rate"], dimensions: ["visit:source"] },
    "Metric `group_conversion_rate` can only be queried with event:goal filters or dimensions.",
  ],
  [
    "scroll_depth without event:page",
    { metrics: ["scroll_depth"] },
    "Metric `scroll_depth` can only be queried with event:page filters or dimensions.",
  ],
  [
    "time_on_page without event:page",
    { metrics: ["time_on_page"], dimensions: ["visit:source"] },
    "Metric `time_on_page` can only be queried with event:page filters or dimensions.",
  ],
  [
    "views_per_visit with dimensions",
    { metrics: ["views_per_visit"], dimensions: ["visit:source"] },
    "Metric `views_per_visit` cannot be queried with `dimensions`.",
  ],
  [
    "views_per_visit with an event:page filter",
    { metrics: ["views_per_visit"], filters: [["is", "event:page", ["/"]]] },
    "Metric `views_per_visit` cannot be queried with a filter on `event:page`.",
  ],
  [
    "session metric with an event dimension",
    { metrics: ["bounce_rate"], dimensions: ["event:props:plan"] },
    "Session metric(s) `bounce_rate` cannot be queried along with event dimension(s) `event:props:plan`",
  ],
  [
    "event metric with a session dimension",
    { metrics: ["events"], dimensions: ["visit:exit_page"] },
    "Event metric(s) `events` cannot be queried along with session dimension(s) `visit:exit_page`",
  ],
  [
    "goal filter on an unconfigured goal",
    { metrics: ["visitors"], filters: [["is", "event:goal", ["Newsletter Signup"]]] },
    "Invalid filters. The goal `Newsletter Signup` is not configured for this site. Find out how to " +
      "configure goals here: https://plausible.io/docs/stats-api#filtering-by-goals",
  ],
  [
    "country filter with a 3-letter code",
    { metrics: ["visitors"], filters: [["is", "visit:country", ["USA"]]] },
    "Invalid visit:country filter, visit:country needs to be a valid 2-letter country code.",
  ],
  [
    "order_by on an unqueried metric",
    { metrics: ["visitors"], order_by: [["events", "desc"]] },
    "Invalid order_by entry '{:events, :desc}'. Entry is not a queried metric or dimension.",
  ],
  [
    "order_by on an unqueried dimension",
    { metrics: ["visitors"], order_by: [["event:name", "desc"]] },
    "Invalid order_by entry '{\"event:name\", :desc}'. Entry is not a queried metric or dimension.",
  ],
  [
    "time_labels without a time dimension",
    { metrics: ["visitors"], include: { time_labels: true } },
    "Invalid include.time_labels: requires a time dimension.",
  ],
  [
    "a goal filter below the top level",
    {
      metrics: ["visitors"],
      filters: [
        [
          "or",
          [
            ["is", "event:goal", ["Signup"]],
            ["is", "visit:country", ["US"]],
          ],
        ],
      ],
    },
    "Invalid filters. Dimension `event:goal` can only be filtered at the top level.",
  ],
  [
    "nested behavioral filters",
    { metrics: ["visitors"], filters: [["has_done", ["has_done", ["is", "event:name", ["Signup"]]]]] },
    "Invalid filters. Behavioral filters (has_done, has_not_done) cannot be nested.",
  ],
  [
    "a filter on a time dimension",
    { metrics: ["visitors"], filters: [["is", "time", ["2025-06-01"]]] },
    '#/filters/0: Invalid filter ["is", "time", ["2025-06-01"]]',
  ],
  [
    "a missing site",
    { metrics: ["visitors"], site_id: undefined },
    "Missing site ID. Please provide the required site_id parameter with your request.",
  ],
];

const modes = [
  { name: "with the JSON schema", schemaPath: SCHEMA_PATH, skip: !SCHEMA_PRESENT },
  { name: "without the JSON schema", schemaPath: null, skip: false },
];

describe.each(modes)("query rules $name", ({ schemaPath, skip }) => {
  let sim: SimulatorHandle;

  beforeAll(async () => {
    if (!skip) sim = await startSimulator({ now: FIXED_NOW, schemaPath, log: () => {} });
  });

  afterAll(() => sim?.close());

  it.skipIf(skip).each(RULES)("rejects %s", async (_name, body, text) => {
    const answer = await post(sim.url, { ...base, ...body });
    expect(answer).toEqual({ status: 400, body: { error: text } });
  });

  it.skipIf(skip)("reports schema-level problems in Plausible's pointer form, one per line", async () => {
    const answer = await post(sim.url, {
      site_id: "example.com",
      metrics: ["visitors", "baa"],
      date_range: "bad_period",
      pagination: { limit: 20000 },
    });
    expect(answer.status).toBe(400);
    expect(answer.body.error.split("\n").sort()).toEqual([
      '#/date_range: Invalid date range "bad_period"',
      '#/metrics/1: Invalid metric "baa"',
      "#/pagination/limit: Expected the value to be <= 10000",
    ]);
  });

  it.skipIf(skip)("rejects unknown dimensions, impossible dates and unknown keys", async () => {
    expect((await post(sim.url, { ...base, metrics: ["visitors"], dimensions: ["visit:planet"] })).body.error).toBe(
      '#/dimensions/0: Invalid dimension "visit:planet"',
    );
    expect((await post(sim.url, { ...base, metrics: ["visitors"], date_range: ["2025-02-30", "2025-03-01"] })).body.error).toBe(
      '#/date_range: Invalid date range ["2025-02-30", "2025-03-01"]',
    );
    expect((await post(sim.url, { ...base, metrics: ["visitors"], date_range: ["2025-06-01", "2025-06-02T00:00:00Z"] })).body.error).toBe(
      '#/date_range: Invalid date range ["2025-06-01", "2025-06-02T00:00:00Z"]',
    );
    expect((await post(sim.url, { ...base, metrics: ["visitors"], colour: "blue" })).body.error).toBe(
      "#/colour: Schema does not allow additional properties.",
    );
    expect((await post(sim.url, { site_id: "example.com", metrics: ["visitors"] })).body.error).toBe(
      "#: Required property date_range was not present.",
    );
  });

  it.skipIf(skip)("rejects is_not on event:goal, which the schema forbids", async () => {
    const answer = await post(sim.url, { ...base, metrics: ["visitors"], filters: [["is_not", "event:goal", ["Signup"]]] });
    expect(answer.body.error).toBe('#/filters/0: Invalid filter ["is_not", "event:goal", ["Signup"]]');
  });
});
