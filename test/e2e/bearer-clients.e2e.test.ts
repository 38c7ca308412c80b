import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callOk, connectWithKey, textOf, type ClientKind, type E2eClient } from "../../dev/clients/mcp-clients.ts";
import { simulatorRequests, startE2eStack, type DemoStack } from "./support/stack.ts";
import { TOOL_NAMES } from "../support/tool-names.ts";

type Metrics = Record<string, number | null>;
interface Aggregate {
  metrics: Metrics;
}
interface Timeseries {
  rows: Array<{ time: string; metrics: Metrics }>;
}
interface Breakdown {
  rows: Array<{ value: string; metrics: Metrics }>;
}
interface Comparison {
  current: { metrics: Metrics };
  previous: { metrics: Metrics };
  change: Record<string, { absolute: number | null; percent: number | null }>;
}

// A second key with a cache of its own, for questions asked again with the simulator in another mode.
const COMMUNITY_KEY = "e2e-community-edition-key";

interface Explained {
  days: Array<{ date: string; flagged: boolean }>;
  drivers: Array<{ dimension: string; values: Array<{ value: string }> }>;
}
interface Impact {
  results: Array<{ verdict: string; p_value: number; test: string }>;
}

let stack: DemoStack;
beforeAll(async () => {
  stack = await startE2eStack({ keys: { [COMMUNITY_KEY]: "*" } });
});
afterAll(async () => {
  await stack?.stop();
});

const ENDPOINTS: Array<{ kind: ClientKind; path: "/mcp" | "/sse" }> = [
  { kind: "SDK v1, Streamable HTTP", path: "/mcp" },
  { kind: "SDK v1, SSE", path: "/sse" },
  { kind: "SDK v2, Streamable HTTP", path: "/mcp" },
];

describe.each(ENDPOINTS)("$kind on $path with the demo key", ({ kind, path }) => {
  let client: E2eClient;
  beforeAll(async () => {
    client = await connectWithKey(kind, stack.urls.worker + path, stack.apiKey);
  });
  afterAll(async () => {
    await client?.close();
  });

  it("lists the tools", async () => {
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual(TOOL_NAMES);
  });

  it("lists the simulator's sites", async () => {
    const { sites } = await callOk<{ sites: Array<{ domain: string }> }>(client, "list_sites");
    expect(sites.map((site) => site.domain).sort()).toEqual(stack.simulator.sites.map((site) => site.domain).sort());
  });

  it("answers a 7-day aggregate with the simulator's visitors", async () => {
    const { metrics } = await callOk<Aggregate>(client, "get_aggregate", { date_range: "7d", metrics: ["visitors", "pageviews"] });
    expect(metrics.visitors).toBeGreaterThan(0);
    expect(metrics.pageviews).toBeGreaterThanOrEqual(metrics.visitors!);
  });

  it("explain_change finds the injected spike: its day flagged, its source ranked first", async () => {
    for (const { domain, injected } of stack.simulator.sites) {
      const explained = await callOk<Explained>(client, "explain_change", {
        site_id: domain,
        dimensions: ["visit:source", "visit:device"],
      });
      expect(
        explained.days.filter((day) => day.flagged).map((day) => day.date),
        domain,
      ).toEqual([injected.spike.date]);
      expect(explained.drivers[0]!.values[0]!.value, domain).toBe(injected.spike.source);
    }
  });

  it("measure_impact finds the deploy's step up on its page, significant, and no change in the site's total", async () => {
    const { deploy } = stack.simulator.sites.find((site) => site.domain === "example.com")!.injected;
    const onPage = await callOk<Impact>(client, "measure_impact", { event: deploy.date, page: deploy.page, metrics: ["visitors"] });
    expect(onPage.results[0]).toMatchObject({ verdict: "increase", test: expect.stringMatching(/^log ratio against \d+ pseudo-events/) });
    expect(onPage.results[0]!.p_value).toBeLessThan(0.05);
    const overall = await callOk<Impact>(client, "measure_impact", { event: deploy.date, metrics: ["visitors"] });
    expect(overall.results[0]!.verdict).toBe("no detectable change");
  });

  it("get_funnel's counts never rise from one step to the next", async () => {
    const funnel = await callOk<{ steps: Array<{ visitors: number }> }>(client, "get_funnel", {
      steps: ["/", "/pricing", "/signup", "Signup"],
      date_range: "30d",
    });
    const counts = funnel.steps.map((step) => step.visitors);
    expect(counts[counts.length - 1]).toBeGreaterThan(0);
    counts.slice(1).forEach((count, index) => expect(count).toBeLessThanOrEqual(counts[index]!));
  });

  it("compare_periods gives each metric a p-value and the dates it covered", async () => {
    const comparison = await callOk<Comparison & { significance: Record<string, { p_value: number | null; test: string }> }>(
      client,
      "compare_periods",
      { current: "7d", metrics: ["visitors"] },
    );
    expect(comparison.significance.visitors!.test).toMatch(/^log ratio against \d+ pseudo-events/);
    expect(comparison.significance.visitors!.p_value).toBeGreaterThanOrEqual(0);
  });

  it("reports a bad argument as a tool error, not a protocol failure", async () => {
    const result = await client.callTool({ name: "get_breakdown", arguments: { dimension: "time:day", date_range: "7d" } });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain("get_timeseries");
  });
});

describe("SDK v2 client", () => {
  it("negotiates protocol 2026-07-28 on /mcp", async () => {
    const client = await connectWithKey("SDK v2, Streamable HTTP", stack.urls.mcp, stack.apiKey);
    try {
      expect(client.protocolVersion).toBe("2026-07-28");
    } finally {
      await client.close();
    }
  });
});

describe("numbers from the simulator's dataset (SDK v1 over /mcp)", () => {
  let client: E2eClient;
  beforeAll(async () => {
    client = await connectWithKey("SDK v1, Streamable HTTP", stack.urls.mcp, stack.apiKey);
  });
  afterAll(async () => {
    await client?.close();
  });

  it("a 7-day daily timeseries has 7 rows whose visitors add up to the 7-day aggregate", async () => {
    const series = await callOk<Timeseries>(client, "get_timeseries", { date_range: "7d", interval: "day", metrics: ["visitors"] });
    const { metrics } = await callOk<Aggregate>(client, "get_aggregate", { date_range: "7d", metrics: ["visitors"] });
    expect(series.rows).toHaveLength(7);
    const sum = series.rows.reduce((total, row) => total + row.metrics.visitors!, 0);
    expect(metrics.visitors).toBeGreaterThan(0);
    expect(sum).toBe(metrics.visitors);
  });

  it("a breakdown by source is sorted by visitors and adds up to at most the aggregate", async () => {
    const { rows } = await callOk<Breakdown>(client, "get_breakdown", { dimension: "visit:source", date_range: "30d", limit: 5 });
    const { metrics } = await callOk<Aggregate>(client, "get_aggregate", { date_range: "30d", metrics: ["visitors"] });
    expect(rows.length).toBeGreaterThan(1);
    expect(rows.length).toBeLessThanOrEqual(5);
    const visitors = rows.map((row) => row.metrics.visitors!);
    expect(visitors).toEqual([...visitors].sort((a, b) => b - a));
    expect(visitors.reduce((total, value) => total + value, 0)).toBeLessThanOrEqual(metrics.visitors!);
  });

  it("a full breakdown by a visit dimension adds up exactly to the aggregate", async () => {
    const { rows } = await callOk<Breakdown>(client, "get_breakdown", { dimension: "visit:device", date_range: "30d", limit: 100 });
    const { metrics } = await callOk<Aggregate>(client, "get_aggregate", { date_range: "30d", metrics: ["visitors"] });
    expect(rows.reduce((total, row) => total + row.metrics.visitors!, 0)).toBe(metrics.visitors);
  });

  it("compare_periods' change is the current value minus the previous one", async () => {
    const comparison = await callOk<Comparison>(client, "compare_periods", { current: "7d", metrics: ["visitors", "pageviews"] });
    for (const name of ["visitors", "pageviews"]) {
      const current = comparison.current.metrics[name]!;
      const previous = comparison.previous.metrics[name]!;
      expect(current).toBeGreaterThan(0);
      expect(previous).toBeGreaterThan(0);
      expect(comparison.change[name]!.absolute).toBe(current - previous);
    }
  });

  it("answers a repeated identical call from its cache: the simulator sees no new request", async () => {
    const args = { dimension: "visit:country_name", date_range: "28d", limit: 3 };
    const first = await callOk<Breakdown>(client, "get_breakdown", args);
    const before = await simulatorRequests(stack);
    const second = await callOk<Breakdown>(client, "get_breakdown", args);
    expect(await simulatorRequests(stack)).toBe(before);
    expect(second).toEqual(first);
  });

  it("every tool answers from the simulator", async () => {
    const conversions = await callOk<{ rows: Array<{ goal: string; metrics: Metrics }> }>(client, "get_conversions", { date_range: "30d" });
    expect(conversions.rows.length).toBeGreaterThan(0);
    expect(conversions.rows.every((row) => row.metrics.conversion_rate! > 0 && row.metrics.conversion_rate! <= 100)).toBe(true);

    const goals = await callOk<{ goals: Array<{ name: string }>; source: string }>(client, "list_goals");
    expect(goals.source).toBe("sites_api");
    expect(goals.goals.map((goal) => goal.name)).toEqual(expect.arrayContaining(conversions.rows.map((row) => row.goal)));

    const props = await callOk<{ properties: string[] }>(client, "list_custom_props");
    expect(props.properties.length).toBeGreaterThan(0);
    const byProp = await callOk<Breakdown>(client, "get_breakdown", { dimension: props.properties[0], date_range: "30d" });
    expect(byProp.rows.length).toBeGreaterThan(0);

    const realtime = await callOk<{ visitors: number }>(client, "get_realtime_visitors");
    expect(Number.isInteger(realtime.visitors)).toBe(true);

    const query = await callOk<{ results: Array<{ dimensions: unknown[]; metrics: number[] }> }>(client, "query", {
      metrics: ["visitors", "pageviews"],
      date_range: "30d",
      dimensions: ["visit:device"],
      filters: [["is_not", "visit:device", ["Desktop"]]],
      order_by: [["visitors", "desc"]],
    });
    expect(query.results.length).toBeGreaterThan(0);
    expect(query.results.every((row) => row.dimensions[0] !== "Desktop")).toBe(true);
  });

  it("a different question does reach the simulator", async () => {
    const before = await simulatorRequests(stack);
    await callOk<Aggregate>(client, "get_aggregate", { date_range: "90d", metrics: ["visits"] });
    expect(await simulatorRequests(stack)).toBeGreaterThan(before);
  });
});

describe("real-Plausible details through the worker (SDK v2 over /mcp)", () => {
  let client: E2eClient;
  beforeAll(async () => {
    client = await connectWithKey("SDK v2, Streamable HTTP", stack.urls.mcp, stack.apiKey);
  });
  afterAll(async () => {
    await client?.close();
  });

  // Issue 19 over /mcp, on the simulator's synthetic sites (their settings are in the domain's labels).
  it("measure_impact does not count the days before a young site's data as zero traffic", async () => {
    // Data from 21 days ago, the event 16 days ago: 5 days before it, too few to compare the same weekdays.
    const event = new Date(Date.now() - 16 * 86_400_000).toISOString().slice(0, 10);
    const young = await callOk<{ results: Array<{ verdict: string; p_value: number | null; change_percent: number }> }>(
      client,
      "measure_impact",
      { site_id: "days-21.flat.level-1000.synthetic.test", event, metrics: ["visitors"] },
    );
    expect(young.results[0]).toMatchObject({ verdict: "not tested", p_value: null });
    expect(Math.abs(young.results[0]!.change_percent)).toBeLessThan(20);
  });

  it("measure_impact answers signups among visitors of /pricing: converters who viewed the page, not zero", async () => {
    const event = new Date(Date.now() - 16 * 86_400_000).toISOString().slice(0, 10);
    const { results } = await callOk<{ results: Array<{ metric: string; before: number; after: number }> }>(client, "measure_impact", {
      site_id: "level-5000.synthetic.test",
      event,
      page: "/pricing",
      goal: "Signup",
      metrics: ["visitors", "conversion_rate"],
    });
    expect(results.find((row) => row.metric === "conversion_rate")!.before).toBeGreaterThan(1);
    expect(results.find((row) => row.metric === "visitors")!.before).toBeGreaterThan(1000);
  });

  it("compare_periods tests conversion_rate from converters and visitors per day: 7 days against 28 with nothing changed", async () => {
    const day = (daysAgo: number) => new Date(Date.now() - daysAgo * 86_400_000).toISOString().slice(0, 10);
    const { significance } = await callOk<{ significance: Record<string, { significant: boolean; test: string }> }>(
      client,
      "compare_periods",
      {
        site_id: "level-10000.crwobble-10.synthetic.test",
        current: [day(7), day(1)],
        previous: [day(35), day(8)],
        metrics: ["conversion_rate"],
        goal: "Signup",
      },
    );
    expect(significance.conversion_rate).toMatchObject({ significant: false, test: "day-clustered ratio test (Welch–Satterthwaite t)" });
  });

  it("breaks down by city with integer GeoName ids", async () => {
    const { rows } = await callOk<{ rows: Array<{ value: unknown }> }>(client, "get_breakdown", {
      dimension: "visit:city",
      date_range: "30d",
    });
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((row) => Number.isInteger(row.value))).toBe(true);
  });

  it("lists a scroll goal and counts its conversions", async () => {
    const site = "blog.example.com";
    const { goals } = await callOk<{ goals: Array<{ name: string; goal_type: string; scroll_threshold?: number }> }>(client, "list_goals", {
      site_id: site,
    });
    const scroll = goals.find((goal) => goal.goal_type === "scroll");
    expect(scroll).toMatchObject({ scroll_threshold: 75 });
    const { rows } = await callOk<{ rows: Array<{ metrics: Metrics }> }>(client, "get_conversions", {
      site_id: site,
      goal: scroll!.name,
      date_range: "30d",
    });
    expect(rows[0]!.metrics.visitors).toBeGreaterThan(0);
  });

  it("ends this month's daily series today", async () => {
    const { rows } = await callOk<Timeseries>(client, "get_timeseries", { date_range: "month", interval: "day", metrics: ["visitors"] });
    // The simulator's data ends when it started; no bucket may lie after today in the site's timezone.
    const today = new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/Berlin" }).format(new Date());
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((row) => row.time <= today)).toBe(true);
    expect(rows.at(-1)!.time >= today.slice(0, 8)).toBe(true);
  });

  it("on Community Edition: the Sites API fallbacks say so, and 24h is refused with the version and what to use instead", async () => {
    const community = await connectWithKey("SDK v2, Streamable HTTP", stack.urls.mcp, COMMUNITY_KEY);
    stack.simulator.setFaults({ communityEdition: true });
    try {
      const sites = await callOk<{ source: string; note: string }>(community, "list_sites");
      expect(sites.source).toBe("default_site");
      expect(sites.note).toContain("This Plausible instance has no Sites API");
      const goals = await callOk<{ source: string; goals: Array<{ name: string }> }>(community, "list_goals", {
        site_id: "blog.example.com",
      });
      expect(goals.source).toBe("conversions_breakdown");
      expect(goals.goals.length).toBeGreaterThan(0);
      const props = await callOk<{ source: string }>(community, "list_custom_props", { site_id: "blog.example.com" });
      expect(props.source).toBe("unavailable");
      const refused = await community.callTool({ name: "get_aggregate", arguments: { site_id: "blog.example.com", date_range: "24h" } });
      expect(refused.isError).toBe(true);
      expect(textOf(refused)).toContain('Community Edition does not yet (3.2 refuses it). Use instead: "day"');
    } finally {
      stack.simulator.setFaults({ communityEdition: false });
      await community.close();
    }
  });
});
