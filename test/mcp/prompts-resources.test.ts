import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { Browser, connectedClient, createIssuer, RESOURCE, withToken } from "../support/harness";
import { installFakePlausible, type FakePlausible } from "../support/fake-plausible";
import { Client as ClientV2, StreamableHTTPClientTransport as StreamableHTTPClientTransportV2 } from "@modelcontextprotocol/client";
import { connectBearer, ORIGIN, TRANSPORTS, workerFetch, type Transport } from "../support/mcp-clients";
import type { FakeOidcIssuer } from "../support/oidc-issuer";

/** The prompt, resource and completion surface of the MCP client, the same across SDK generations. */
interface Client2 {
  getServerCapabilities(): Record<string, unknown> | undefined;
  getNegotiatedProtocolVersion?(): string | undefined;
  listTools(): Promise<{ tools: { name: string; _meta?: Record<string, unknown> }[] }>;
  listPrompts(): Promise<{ prompts: { name: string; arguments?: { name: string; required?: boolean }[] }[] }>;
  getPrompt(request: {
    name: string;
    arguments?: Record<string, string>;
  }): Promise<{ messages: { role: string; content: { type: string; text: string } }[] }>;
  listResources(): Promise<{ resources: { uri: string; mimeType?: string; _meta?: Record<string, unknown> }[] }>;
  listResourceTemplates(): Promise<{ resourceTemplates: { uriTemplate: string; name: string }[] }>;
  readResource(request: { uri: string }): Promise<{
    contents: { uri: string; mimeType?: string; text?: string; _meta?: Record<string, unknown> }[];
    ttlMs?: number;
    cacheScope?: string;
  }>;
  complete(request: {
    ref: { type: "ref/prompt"; name: string } | { type: "ref/resource"; uri: string };
    argument: { name: string; value: string };
    context?: { arguments?: Record<string, string> };
  }): Promise<{ completion: { values: string[]; total?: number; hasMore?: boolean } }>;
  close(): Promise<void>;
}

/** Each bearer transport by the endpoint it reaches, then /internal's two paths. */
const BEARER = new Map<string, Transport>(
  TRANSPORTS.map((transport) => [transport === "sse (SDK v1)" ? "/sse (SDK v1)" : `/mcp ${transport}`, transport]),
);
const MODERN = "/mcp 2026-07-28 (SDK v2)";
const ENDPOINTS = [...BEARER.keys(), MODERN, "/internal streamable-http (SDK v1)", "/internal sse (SDK v1)"];

const CHART_TOOLS = [
  "compare_periods",
  "explain_change",
  "get_breakdown",
  "get_conversions",
  "get_funnel",
  "get_timeseries",
  "measure_impact",
];

let plausible: FakePlausible;
let issuer: FakeOidcIssuer;
let internal: { browser: Browser; accessToken: string };
beforeAll(async () => {
  issuer = await createIssuer();
  issuer.install();
  plausible = installFakePlausible();
  issuer.user = { sub: "prompts-user", email: "pat@example.com", name: "Pat", email_verified: true };
  const browser = new Browser();
  const { tokens } = await connectedClient(browser, issuer);
  internal = { browser, accessToken: tokens.access_token };
});
afterAll(() => plausible.restore());

async function connect(endpoint: string): Promise<Client2> {
  const bearer = BEARER.get(endpoint);
  if (bearer) return (await connectBearer(bearer, "test-key-aaaaaaaa")) as unknown as Client2;
  if (endpoint === MODERN) {
    // Pinned: the v2 client speaks the 2025 handshake unless told otherwise.
    const client = new ClientV2({ name: "test", version: "1.0.0" }, { versionNegotiation: { mode: { pin: "2026-07-28" } } });
    await client.connect(
      new StreamableHTTPClientTransportV2(new URL(`${ORIGIN}/mcp`), {
        fetch: workerFetch,
        requestInit: { headers: { Authorization: "Bearer test-key-aaaaaaaa" } },
      }),
    );
    return client as unknown as Client2;
  }
  const client = new Client({ name: "connector-test", version: "1.0.0" });
  const fetch = withToken(internal.browser, internal.accessToken);
  const transport = endpoint.includes("sse")
    ? new SSEClientTransport(new URL(RESOURCE), { fetch, eventSourceInit: { fetch } as never })
    : new StreamableHTTPClientTransport(new URL(RESOURCE), { fetch });
  await client.connect(transport);
  return client as unknown as Client2;
}

describe.each(ENDPOINTS.map((endpoint, index) => [endpoint, `site${index}.example.com`]))("%s", (endpoint, site) => {
  it("advertises prompts, resources, completions and the MCP Apps extension", async () => {
    const client = await connect(endpoint);
    expect(client.getServerCapabilities()).toMatchObject({
      prompts: {},
      resources: {},
      completions: {},
      extensions: { "io.modelcontextprotocol/ui": {} },
    });
    if (endpoint === MODERN) {
      // The capabilities came from server/discover.
      expect(client.getNegotiatedProtocolVersion?.()).toBe("2026-07-28");
    }
    await client.close();
  });

  it("lists the four prompts with their arguments, and each leads through the tools", async () => {
    const client = await connect(endpoint);
    const { prompts } = await client.listPrompts();
    const argumentsOf = Object.fromEntries(
      prompts.map((prompt) => [prompt.name, prompt.arguments?.map((arg) => `${arg.name}${arg.required ? "" : "?"}`)]),
    );
    expect(argumentsOf).toEqual({
      weekly_report: ["site_id"],
      investigate_change: ["site_id", "metric?", "date?"],
      launch_review: ["site_id", "date", "page?"],
      conversion_review: ["site_id", "goal?"],
    });

    const weekly = await client.getPrompt({ name: "weekly_report", arguments: { site_id: "example.com" } });
    expect(weekly.messages[0]).toMatchObject({ role: "user", content: { type: "text" } });
    expect(weekly.messages[0]!.content.text).toContain('compare_periods with site_id "example.com", current "7d"');

    const investigate = await client.getPrompt({
      name: "investigate_change",
      arguments: { site_id: "example.com", metric: "bounce_rate", date: "2026-03-10" },
    });
    expect(investigate.messages[0]!.content.text).toContain(
      'explain_change with site_id "example.com", metric "visitors", period ["2026-03-10", "2026-03-16"]',
    );
    expect(investigate.messages[0]!.content.text).toContain('current ["2026-03-10", "2026-03-16"], previous ["2026-03-03", "2026-03-09"]');
    expect(investigate.messages[0]!.content.text).toContain(
      'date_range ["2026-02-10", "2026-03-16"], interval "day", metrics ["bounce_rate"]',
    );

    const launch = await client.getPrompt({
      name: "launch_review",
      arguments: { site_id: "example.com", date: "2026-02-27", page: "/pricing" },
    });
    expect(launch.messages[0]!.content.text).toContain(
      'measure_impact with site_id "example.com", page "/pricing", event "2026-02-27", window_days 14',
    );
    expect(launch.messages[0]!.content.text).toContain('page "/pricing", date_range ["2026-02-13", "2026-03-12"], interval "day"');

    const conversions = await client.getPrompt({ name: "conversion_review", arguments: { site_id: "example.com", goal: "Signup" } });
    expect(conversions.messages[0]!.content.text).toContain('get_conversions with site_id "example.com", goal "Signup"');

    await expect(client.getPrompt({ name: "launch_review", arguments: { site_id: "example.com", date: "next tuesday" } })).rejects.toThrow(
      /YYYY-MM-DD/,
    );
    await client.close();
  });

  it("lists the resources and templates and reads each with the caller's data", async () => {
    const client = await connect(endpoint);
    const { resources } = await client.listResources();
    expect(resources.map((resource) => resource.uri).sort()).toEqual([
      "plausible://reference/query-language",
      "plausible://sites",
      "ui://plausible/chart.html",
    ]);
    const { resourceTemplates } = await client.listResourceTemplates();
    expect(resourceTemplates.map((template) => template.uriTemplate).sort()).toEqual([
      "plausible://sites/{site_id}/annotations",
      "plausible://sites/{site_id}/context",
      "plausible://sites/{site_id}/custom-props",
      "plausible://sites/{site_id}/goals",
    ]);

    const sites = await client.readResource({ uri: "plausible://sites" });
    expect(sites.contents[0]).toMatchObject({ uri: "plausible://sites", mimeType: "application/json" });
    expect(JSON.parse(sites.contents[0]!.text!)).toMatchObject({
      sites: [
        { domain: "example.com", timezone: "Europe/Berlin" },
        { domain: "shop.example.com", timezone: "UTC" },
      ],
    });

    const goals = await client.readResource({ uri: `plausible://sites/${site}/goals` });
    expect(goals.contents[0]!.uri).toBe(`plausible://sites/${site}/goals`);
    expect(JSON.parse(goals.contents[0]!.text!).goals.map((goal: { name: string }) => goal.name)).toEqual(["Signup", "Visit /pricing"]);
    expect(plausible.requests.at(-1)).toMatchObject({ path: "/api/v1/sites/goals" });
    expect(plausible.requests.at(-1)!.search.get("site_id")).toBe(site);

    const props = await client.readResource({ uri: "plausible://sites/example.com/custom-props" });
    expect(JSON.parse(props.contents[0]!.text!).properties).toEqual(["plan", "author"]);

    const before = plausible.requests.length;
    const reference = await client.readResource({ uri: "plausible://reference/query-language" });
    expect(reference.contents[0]!.mimeType).toBe("text/markdown");
    for (const part of [
      "## Metrics",
      "conversion_rate needs a goal",
      "visit:utm_campaign",
      "## Date ranges",
      '"28d"',
      "## Community Edition versions",
    ]) {
      expect(reference.contents[0]!.text).toContain(part);
    }
    expect(plausible.requests.length).toBe(before);

    if (endpoint === MODERN) {
      // 2026-07-28 cache hints: the caller's own lists are private, the reference is the same for everyone.
      expect(sites).toMatchObject({ cacheScope: "private", ttlMs: 300_000 });
      expect(reference).toMatchObject({ cacheScope: "public", ttlMs: 86_400_000 });
    }
    await client.close();
  });

  it("serves the chart app as an MCP Apps resource with a strict CSP, and the chart tools point to it", async () => {
    const client = await connect(endpoint);
    const listed = (await client.listResources()).resources.find((resource) => resource.uri === "ui://plausible/chart.html")!;
    expect(listed.mimeType).toBe("text/html;profile=mcp-app");
    const chart = await client.readResource({ uri: "ui://plausible/chart.html" });
    const [content] = chart.contents;
    expect(content).toMatchObject({ uri: "ui://plausible/chart.html", mimeType: "text/html;profile=mcp-app" });
    expect(content!._meta).toEqual({
      ui: { csp: { connectDomains: [], resourceDomains: [], frameDomains: [], baseUriDomains: [] }, prefersBorder: true },
    });
    // Self-contained: the App library is inlined and nothing is loaded from elsewhere.
    expect(content!.text).toMatch(/<script type="module">.*"ui\/initialize"/s);
    expect(content!.text).not.toMatch(/<script[^>]+src=|<link[^>]+href=|<img|@import/);

    const { tools } = await client.listTools();
    const withChart = tools.filter((tool) => tool._meta).map((tool) => tool.name);
    expect(withChart.sort()).toEqual(CHART_TOOLS);
    for (const tool of tools.filter((entry) => entry._meta)) {
      expect(tool._meta).toEqual({ ui: { resourceUri: "ui://plausible/chart.html" }, "ui/resourceUri": "ui://plausible/chart.html" });
    }
    await client.close();
  });

  it("completes prompt and template arguments from the caller's sites, goals and pages", async () => {
    const client = await connect(endpoint);
    const sites = await client.complete({
      ref: { type: "ref/prompt", name: "weekly_report" },
      argument: { name: "site_id", value: "sho" },
    });
    expect(sites.completion.values).toEqual(["shop.example.com"]);
    const everySite = await client.complete({
      ref: { type: "ref/resource", uri: "plausible://sites/{site_id}/goals" },
      argument: { name: "site_id", value: "" },
    });
    expect(everySite.completion.values).toEqual(["example.com", "shop.example.com"]);

    const goal = await client.complete({
      ref: { type: "ref/prompt", name: "conversion_review" },
      argument: { name: "goal", value: "pri" },
      context: { arguments: { site_id: "example.com" } },
    });
    expect(goal.completion.values).toEqual(["Visit /pricing"]);

    const page = await client.complete({
      ref: { type: "ref/prompt", name: "launch_review" },
      argument: { name: "page", value: "BETA" },
      context: { arguments: { site_id: site } },
    });
    expect(page.completion.values).toEqual(["beta:event:page"]);
    const pageQuery = plausible.requests.filter((request) => request.path === "/api/v2/query").at(-1)!;
    expect(pageQuery.body).toMatchObject({ site_id: site, dimensions: ["event:page"], date_range: "28d" });

    const metric = await client.complete({
      ref: { type: "ref/prompt", name: "investigate_change" },
      argument: { name: "metric", value: "visit" },
    });
    expect(metric.completion.values).toEqual(["visitors", "visits", "visit_duration", "views_per_visit"]);

    await expect(
      client.complete({ ref: { type: "ref/prompt", name: "monthly_report" }, argument: { name: "site_id", value: "" } }),
    ).rejects.toThrow(/Unknown prompt monthly_report/);
    const noSite = await client.complete({ ref: { type: "ref/prompt", name: "conversion_review" }, argument: { name: "goal", value: "" } });
    expect(noSite.completion.values).toEqual([]);
    await client.close();
  });
});

describe("completions and resource reads go through the caller's usage agent", () => {
  it("answers a repeated completion from the cache", async () => {
    const client = await connect("/mcp streamable-http (SDK v2)");
    const ask = () =>
      client.complete({
        ref: { type: "ref/prompt", name: "conversion_review" },
        argument: { name: "goal", value: "" },
        context: { arguments: { site_id: "cache.example.com" } },
      });
    expect((await ask()).completion.values).toEqual(["Signup", "Visit /pricing"]);
    const before = plausible.requests.length;
    expect((await ask()).completion.values).toEqual(["Signup", "Visit /pricing"]);
    expect(plausible.requests.length).toBe(before);
    await client.close();
  });

  it("uses the caller's own key on /mcp and the shared key on /internal", async () => {
    const bearer = await connect("/mcp streamable-http (SDK v1)");
    await bearer.readResource({ uri: "plausible://sites/key.example.com/custom-props" });
    expect(plausible.requests.at(-1)!.authorization).toBe("Bearer test-key-aaaaaaaa");
    await bearer.close();
    const member = await connect("/internal streamable-http (SDK v1)");
    await member.readResource({ uri: "plausible://sites/shared.example.com/custom-props" });
    expect(plausible.requests.at(-1)!.authorization).toBe("Bearer test-plausible-api-key");
    await member.close();
  });

  it("reports a Plausible refusal with what to do, as a tool would", async () => {
    const client = (await connectBearer("streamable-http (SDK v2)", "unknown-key-zzzz")) as unknown as Client2;
    await expect(client.readResource({ uri: "plausible://sites" })).rejects.toThrow(
      /Plausible answered 401.*list_sites shows the readable sites/s,
    );
    await client.close();
  });
});
