import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { communityEditionSitesApi, installFakePlausible, plausibleError, type FakePlausible } from "../support/fake-plausible";
import { connectBearer, textOf, type TestClient } from "../support/mcp-clients";

/**
 * Answers the way released Plausible sends them (status, headers, body), read from its source,
 * driven through /mcp with a real MCP client so the client, the usage agent and the tools all see them.
 */
let plausible: FakePlausible;
let client: TestClient;
beforeEach(async () => {
  plausible = installFakePlausible();
  client = await connectBearer("streamable-http (SDK v2)", "test-key-aaaaaaaa");
});
afterEach(async () => {
  await client.close();
  plausible.restore();
});

const json = (value: unknown) => new Response(JSON.stringify(value), { headers: { "content-type": "application/json; charset=utf-8" } });

describe("visit:city", () => {
  // Plausible's own tests assert "dimensions" => [5391959]: city values are GeoName ids.
  const cityAnswer = (request: { path: string; body: unknown }) =>
    request.path === "/api/v2/query"
      ? json({
          results: [
            { metrics: [12], dimensions: [5391959] },
            { metrics: [3], dimensions: [2950159] },
          ],
          meta: {},
          query: request.body,
        })
      : undefined;

  it("breaks down by city with the integer ids Plausible sends", async () => {
    plausible.use(cityAnswer);
    const result = await client.callTool({ name: "get_breakdown", arguments: { site_id: "cities.example.com", dimension: "visit:city" } });
    expect(result.isError, textOf(result)).toBeFalsy();
    expect(result.structuredContent).toMatchObject({
      rows: [
        { value: 5391959, metrics: { visitors: 12 } },
        { value: 2950159, metrics: { visitors: 3 } },
      ],
    });
    expect(textOf(result)).toContain("| 5391959 | 12 |");
    expect(textOf(result)).toContain("visit:city_name gives names");
  });

  it("passes city ids through the query tool", async () => {
    plausible.use(cityAnswer);
    const result = await client.callTool({
      name: "query",
      arguments: { site_id: "cities-query.example.com", metrics: ["visitors"], date_range: "7d", dimensions: ["visit:city"] },
    });
    expect(result.isError, textOf(result)).toBeFalsy();
    expect(result.structuredContent).toMatchObject({ results: [{ dimensions: [5391959] }, { dimensions: [2950159] }] });
  });
});

describe("scroll goals", () => {
  it("lists a scroll goal with its threshold", async () => {
    plausible.use((request) =>
      request.path === "/api/v1/sites/goals"
        ? json({
            goals: [
              {
                id: 3,
                goal_type: "scroll",
                display_name: "Scroll 75% on /blog",
                event_name: null,
                page_path: "/blog",
                scroll_threshold: 75,
                custom_props: {},
              },
              {
                id: 1,
                goal_type: "event",
                display_name: "Signup",
                event_name: "Signup",
                page_path: null,
                scroll_threshold: -1,
                custom_props: {},
              },
            ],
            meta: { after: null, before: null, limit: 100 },
          })
        : undefined,
    );
    const result = await client.callTool({ name: "list_goals", arguments: { site_id: "scroll.example.com" } });
    expect(result.isError, textOf(result)).toBeFalsy();
    expect(result.structuredContent).toMatchObject({
      source: "sites_api",
      goals: [
        { name: "Scroll 75% on /blog", goal_type: "scroll", page_path: "/blog", scroll_threshold: 75 },
        { name: "Signup", goal_type: "event" },
      ],
    });
    expect(textOf(result)).toContain("| Scroll 75% on /blog | scroll | /blog scrolled 75% |");
    expect(textOf(result)).toContain("| Signup | event | Signup |");
    expect((result.structuredContent as { goals: object[] }).goals[1]).not.toHaveProperty("scroll_threshold");
  });
});

describe("Community Edition: no Sites API (406 with an HTML page)", () => {
  beforeEach(() => plausible.use(communityEditionSitesApi));

  it("list_sites says the instance has no Sites API", async () => {
    const result = await client.callTool({ name: "list_sites", arguments: {} });
    expect(result.isError, textOf(result)).toBeFalsy();
    expect(result.structuredContent).toMatchObject({ source: "default_site" });
    expect(textOf(result)).toContain("This Plausible instance has no Sites API");
  });

  it("list_goals falls back to the goals with conversions", async () => {
    const result = await client.callTool({ name: "list_goals", arguments: { site_id: "ce-goals.example.com" } });
    expect(result.isError, textOf(result)).toBeFalsy();
    expect(result.structuredContent).toMatchObject({ source: "conversions_breakdown" });
    expect(textOf(result)).toContain("This Plausible instance has no Sites API");
    expect(plausible.requests.map((request) => request.path)).toEqual(["/api/v1/sites/goals", "/api/v2/query"]);
  });

  it("list_custom_props says how to proceed", async () => {
    const result = await client.callTool({ name: "list_custom_props", arguments: { site_id: "ce-props.example.com" } });
    expect(result.isError, textOf(result)).toBeFalsy();
    expect(result.structuredContent).toMatchObject({ source: "unavailable", properties: [] });
    expect(textOf(result)).toContain("This Plausible instance has no Sites API");
  });
});

describe("an older Community Edition", () => {
  it("refusing 24h: the tool error names the feature, the version and what to use instead", async () => {
    // CE 3.2's schema has no "24h": its schema error is a plain 400.
    plausible.use((request) =>
      request.path === "/api/v2/query" ? plausibleError(400, '#/date_range: Invalid date range "24h"') : undefined,
    );
    const result = await client.callTool({ name: "get_aggregate", arguments: { site_id: "ce32.example.com", date_range: "24h" } });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('Plausible answered 400: #/date_range: Invalid date range "24h"');
    expect(textOf(result)).toContain(
      'Plausible Cloud has date range "24h"; Community Edition does not yet (3.2 refuses it). Use instead: "day"',
    );
  });

  it("refusing time_on_page (CE before 3.0): says it needs 3.0", async () => {
    plausible.use((request) =>
      request.path === "/api/v2/query" ? plausibleError(400, '#/metrics/1: Invalid metric "time_on_page"') : undefined,
    );
    const result = await client.callTool({
      name: "get_aggregate",
      arguments: { site_id: "ce25.example.com", metrics: ["visitors", "time_on_page"], page: "/pricing" },
    });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain("metric time_on_page needs Plausible Community Edition 3.0 or newer");
    expect(textOf(result)).toContain("Use instead: visit_duration");
  });
});

describe("a result larger than clients accept", () => {
  it("a year of hourly buckets comes back within MAX_RESULT_CHARS (default 100000), cut and saying so", async () => {
    const labels = Array.from({ length: 8760 }, (_, index) =>
      new Date(Date.UTC(2025, 0, 1) + index * 3_600_000).toISOString().slice(0, 19).replace("T", " "),
    );
    plausible.use((request) =>
      request.path === "/api/v2/query"
        ? json({
            results: labels.map((label, index) => ({ metrics: [index % 97, index % 89, index % 131], dimensions: [label] })),
            meta: { time_labels: labels },
            query: request.body,
          })
        : undefined,
    );
    const result = await client.callTool({
      name: "get_timeseries",
      arguments: {
        site_id: "hourly.example.com",
        date_range: ["2025-01-01", "2025-12-31"],
        interval: "hour",
        metrics: ["visitors", "visits", "pageviews"],
      },
    });
    expect(result.isError, textOf(result)).toBeFalsy();
    expect(JSON.stringify(result.structuredContent).length + JSON.stringify(textOf(result)).length).toBeLessThanOrEqual(100_000);
    expect(result.structuredContent).toMatchObject({ truncated: true, rows_available: 8760 });
    expect(textOf(result)).toContain("of 8760 rows fit in one answer (this server's limit is 100000 characters per result)");
    expect(textOf(result)).toContain("narrow the question: a coarser interval");
  });
});
