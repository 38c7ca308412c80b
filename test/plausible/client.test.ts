import { afterEach, describe, expect, it, vi } from "vitest";
import {
  PlausibleApiError,
  PlausibleClient,
  PlausibleResponseError,
  parsePlausibleBaseUrl,
  type PlausibleRequest,
  type QueryBody,
} from "../../src/plausible";

const API_KEY = "plausible-test-key-3f9a";

interface SeenRequest {
  url: URL;
  method: string;
  headers: Headers;
  body: unknown;
}

// A fake Plausible: each call is answered by the next handler in line, and
// every request is recorded so a test can check what was sent.
function fakePlausible(...answers: ((request: SeenRequest) => Response)[]) {
  const seen: SeenRequest[] = [];
  const fetch = vi.fn<typeof globalThis.fetch>(async (input, init) => {
    const request: SeenRequest = {
      url: new URL(String(input)),
      method: init?.method ?? "GET",
      headers: new Headers(init?.headers),
      body: typeof init?.body === "string" ? JSON.parse(init.body) : undefined,
    };
    seen.push(request);
    const answer = answers[seen.length - 1];
    if (answer === undefined) throw new Error(`fake Plausible got an unexpected call #${seen.length}`);
    return answer(request);
  });
  const client = new PlausibleClient({
    baseUrl: parsePlausibleBaseUrl("https://plausible.example.com"),
    apiKey: API_KEY,
    fetch,
    retryDelayMs: () => 0,
  });
  return { client, seen, fetch };
}

const json = (value: unknown, status = 200) =>
  new Response(JSON.stringify(value), { status, headers: { "content-type": "application/json; charset=utf-8" } });

// Shaped like Plausible's answer to a breakdown by page (see its API docs).
const queryAnswer = {
  results: [
    { metrics: [3041, 4321], dimensions: ["/"] },
    { metrics: [1278, 1500], dimensions: ["/pricing"] },
  ],
  meta: { total_rows: 2 },
  query: {
    site_id: "example.com",
    metrics: ["visitors", "pageviews"],
    date_range: ["2024-01-01T00:00:00+00:00", "2024-01-31T23:59:59+00:00"],
    filters: [],
    dimensions: ["event:page"],
    order_by: [["visitors", "desc"]],
    include: { total_rows: true },
    pagination: { limit: 10000, offset: 0 },
  },
};

const queryBody: QueryBody = {
  site_id: "example.com",
  metrics: ["visitors", "pageviews"],
  date_range: ["2024-01-01", "2024-01-31"],
  dimensions: ["event:page"],
  order_by: [["visitors", "desc"]],
  include: { total_rows: true },
};

describe("PlausibleClient.query", () => {
  it("POSTs the body to /api/v2/query with the key as a Bearer token and returns Plausible's answer", async () => {
    const { client, seen } = fakePlausible(() => json(queryAnswer));

    const result = await client.query(queryBody);

    expect(result).toEqual(queryAnswer);
    expect(seen).toHaveLength(1);
    const [request] = seen;
    expect(request?.method).toBe("POST");
    expect(request?.url.href).toBe("https://plausible.example.com/api/v2/query");
    expect(request?.body).toEqual(queryBody);
    expect(request?.headers.get("authorization")).toBe(`Bearer ${API_KEY}`);
    expect(request?.headers.get("content-type")).toBe("application/json");
    expect(request?.headers.get("accept")).toBe("application/json");
    expect(request?.headers.get("user-agent")).toMatch(/^plausible-mcp\//);
  });

  it("keeps revenue metric objects and meta warnings as Plausible sent them", async () => {
    const answer = {
      results: [{ metrics: [{ value: 1234.5, currency: "EUR", short: "€1.2K", long: "€1,234.50" }], dimensions: [] }],
      meta: { metric_warnings: { total_revenue: { code: "no_revenue_goals_matching" } } },
      query: { site_id: "example.com", metrics: ["total_revenue"] },
    };
    const { client } = fakePlausible(() => json(answer));

    await expect(client.query({ site_id: "example.com", metrics: ["total_revenue"], date_range: "30d" })).resolves.toEqual(answer);
  });

  it("resolves API paths under a base URL that has a sub-path", async () => {
    const fetch = vi.fn<typeof globalThis.fetch>(async () => json(queryAnswer));
    const client = new PlausibleClient({ baseUrl: parsePlausibleBaseUrl("https://example.com/plausible"), apiKey: API_KEY, fetch });

    await client.query(queryBody);

    expect(String(fetch.mock.calls[0]?.[0])).toBe("https://example.com/plausible/api/v2/query");
  });

  it("refuses an answer that is JSON but not a query result", async () => {
    const { client } = fakePlausible(() => json({ results: "nope", meta: {}, query: {} }));

    const error = await client.query(queryBody).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(PlausibleResponseError);
    expect((error as Error).message).toMatch(/POST \/api\/v2\/query has an unexpected shape at results/);
  });

  it.each([
    ["a row without metrics", { dimensions: [] }, "results.1"],
    ["a dimension that is an object", { metrics: [1], dimensions: [{ id: 1 }] }, "results.1"],
    ["a row that is not an object", "2024-01-02", "results.1"],
  ])("refuses a query result with %s, naming the row", async (_, badRow, where) => {
    const { client } = fakePlausible(() => json({ results: [{ metrics: [1], dimensions: ["2024-01-01"] }, badRow], meta: {}, query: {} }));

    const error = await client.query(queryBody).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(PlausibleResponseError);
    expect((error as Error).message).toContain(`has an unexpected shape at ${where}: expected a row with a metrics array`);
  });

  it("accepts every kind of dimension value Plausible sends: strings, city ids and nulls", async () => {
    const answer = { results: [{ metrics: [3, 0.5], dimensions: ["/", 5391959, null] }], meta: {}, query: {} };
    const { client } = fakePlausible(() => json(answer));

    await expect(client.query(queryBody)).resolves.toEqual(answer);
  });

  it("uses the global fetch when none is passed (so vi.spyOn(globalThis, 'fetch') fakes it)", async () => {
    const spy = vi.spyOn(globalThis, "fetch").mockResolvedValue(json(queryAnswer));
    const client = new PlausibleClient({ baseUrl: parsePlausibleBaseUrl(undefined), apiKey: API_KEY });

    await expect(client.query(queryBody)).resolves.toEqual(queryAnswer);
    expect(String(spy.mock.calls[0]?.[0])).toBe("https://plausible.io/api/v2/query");
  });

  afterEach(() => {
    vi.restoreAllMocks();
  });
});

describe("PlausibleClient.listSites", () => {
  it("GETs /api/v1/sites and follows the meta.after cursor until it is null", async () => {
    const { client, seen } = fakePlausible(
      () =>
        json({
          sites: [
            { domain: "a.example", timezone: "Europe/London" },
            { domain: "b.example", timezone: "Etc/UTC" },
          ],
          meta: { after: "g3QAAAABZAACaWRhAg==", before: null, limit: 2 },
        }),
      () =>
        json({
          sites: [{ domain: "c.example", timezone: "Europe/Tallinn" }],
          meta: { after: null, before: "g3QAAAABZAACaWRhAw==", limit: 2 },
        }),
    );

    const sites = await client.listSites();

    expect(sites).toEqual([
      { domain: "a.example", timezone: "Europe/London" },
      { domain: "b.example", timezone: "Etc/UTC" },
      { domain: "c.example", timezone: "Europe/Tallinn" },
    ]);
    expect(seen.map((r) => `${r.method} ${r.url.pathname}${r.url.search}`)).toEqual([
      "GET /api/v1/sites",
      "GET /api/v1/sites?after=g3QAAAABZAACaWRhAg%3D%3D",
    ]);
    expect(seen[0]?.headers.get("content-type")).toBeNull();
  });

  it("stops following a cursor the server repeats", async () => {
    const page = () => json({ sites: [{ domain: "a.example", timezone: "Etc/UTC" }], meta: { after: "same", before: null, limit: 1 } });
    const { client, seen } = fakePlausible(page, page, page);

    await expect(client.listSites()).resolves.toHaveLength(2);
    expect(seen).toHaveLength(2);
  });

  it("stops after 20 pages however many cursors the server hands out", async () => {
    const pages = Array.from(
      { length: 25 },
      (_, i) => () =>
        json({ sites: [{ domain: `s${i}.example`, timezone: "Etc/UTC" }], meta: { after: `cursor-${i}`, before: null, limit: 1 } }),
    );
    const { client, seen } = fakePlausible(...pages);

    await expect(client.listSites()).resolves.toHaveLength(20);
    expect(seen).toHaveLength(20);
  });

  it("surfaces Community Edition's 404 as PlausibleApiError with status 404 so callers can fall back", async () => {
    const { client } = fakePlausible(() => json({ errors: { detail: "Not Found" } }, 404));

    const error = await client.listSites().catch((e: unknown) => e);

    expect(error).toBeInstanceOf(PlausibleApiError);
    expect((error as PlausibleApiError).status).toBe(404);
  });
});

describe("PlausibleClient.listGoals", () => {
  it("GETs /api/v1/sites/goals?site_id= and returns the goals", async () => {
    const goals = [
      { id: "1", goal_type: "event", display_name: "Signup", event_name: "Signup", page_path: null },
      {
        id: 2,
        goal_type: "page",
        display_name: "Visit /register",
        event_name: null,
        page_path: "/register",
        custom_props: { plan: "pro" },
      },
    ];
    const { client, seen } = fakePlausible(() => json({ goals, meta: { after: null, before: null, limit: 100 } }));

    await expect(client.listGoals("example.com")).resolves.toEqual(goals);
    expect(seen[0]?.url.pathname).toBe("/api/v1/sites/goals");
    expect(seen[0]?.url.searchParams.get("site_id")).toBe("example.com");
  });
});

describe("PlausibleClient.listCustomProps", () => {
  it("GETs /api/v1/sites/custom-props?site_id= and returns the property names", async () => {
    const { client, seen } = fakePlausible(() => json({ custom_properties: [{ property: "author" }, { property: "title" }] }));

    await expect(client.listCustomProps("example.com")).resolves.toEqual(["author", "title"]);
    expect(seen[0]?.url.pathname).toBe("/api/v1/sites/custom-props");
    expect(seen[0]?.url.searchParams.get("site_id")).toBe("example.com");
  });
});

describe("PlausibleClient.realtimeVisitors", () => {
  it("GETs /api/v1/stats/realtime/visitors?site_id= and returns the bare integer", async () => {
    const { client, seen } = fakePlausible(() => new Response("21", { headers: { "content-type": "application/json" } }));

    await expect(client.realtimeVisitors("example.com")).resolves.toBe(21);
    expect(seen[0]?.url.pathname).toBe("/api/v1/stats/realtime/visitors");
    expect(seen[0]?.url.searchParams.get("site_id")).toBe("example.com");
  });

  it("refuses an answer that is not an integer", async () => {
    const { client } = fakePlausible(() => json({ visitors: 21 }));

    await expect(client.realtimeVisitors("example.com")).rejects.toBeInstanceOf(PlausibleResponseError);
  });
});

describe("argument encoding", () => {
  it.each(["a/../b", "x?y#z", "ex ample.com&site_id=other.com", "ünï.example"])(
    "keeps site_id %j inside the query string",
    async (siteId) => {
      const { client, seen } = fakePlausible(() => json({ goals: [], meta: { after: null, before: null, limit: 100 } }));

      await client.listGoals(siteId);

      const url = seen[0]?.url;
      expect(url?.pathname).toBe("/api/v1/sites/goals");
      expect(url?.hash).toBe("");
      expect([...(url?.searchParams.keys() ?? [])]).toEqual(["site_id"]);
      expect(url?.searchParams.get("site_id")).toBe(siteId);
    },
  );
});

describe("PlausibleClient.execute", () => {
  const cases: [PlausibleRequest, Response, string, unknown][] = [
    [{ kind: "query", body: queryBody }, json(queryAnswer), "POST /api/v2/query", queryAnswer],
    [
      { kind: "sites" },
      json({ sites: [{ domain: "a.example", timezone: "Etc/UTC" }], meta: { after: null, before: null, limit: 100 } }),
      "GET /api/v1/sites",
      [{ domain: "a.example", timezone: "Etc/UTC" }],
    ],
    [{ kind: "goals", siteId: "a.example" }, json({ goals: [], meta: { after: null } }), "GET /api/v1/sites/goals?site_id=a.example", []],
    [
      { kind: "customProps", siteId: "a.example" },
      json({ custom_properties: [{ property: "plan" }] }),
      "GET /api/v1/sites/custom-props?site_id=a.example",
      ["plan"],
    ],
    [{ kind: "realtime", siteId: "a.example" }, json(4), "GET /api/v1/stats/realtime/visitors?site_id=a.example", 4],
  ];

  it.each(cases)("dispatches %j", async (request, response, expectedCall, expectedResult) => {
    const { client, seen } = fakePlausible(() => response);

    await expect(client.execute(request)).resolves.toEqual(expectedResult);
    expect(seen.map((r) => `${r.method} ${r.url.pathname}${r.url.search}`)).toEqual([expectedCall]);
  });
});
