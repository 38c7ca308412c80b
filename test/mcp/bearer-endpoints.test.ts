import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { installFakePlausible, plausibleError, TEXTS, type FakePlausible } from "../support/fake-plausible";
import { connectBearer, ORIGIN, textOf, TRANSPORTS, workerFetch } from "../support/mcp-clients";
import { DIGEST_TOOL_HINTS, MEMORY_TOOL_HINTS, TOOL_NAMES } from "../support/tool-names";

let plausible: FakePlausible;
beforeEach(() => {
  plausible = installFakePlausible();
});
afterEach(() => plausible.restore());

describe.each(TRANSPORTS.map((transport, index) => [transport, `site${index}.example.com`]))(
  "bearer endpoint over %s",
  (transport, site) => {
    it("lists all the tools, those reading Plausible read-only, with input and output schemas", async () => {
      const client = await connectBearer(transport, "test-key-aaaaaaaa");
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name).sort()).toEqual(TOOL_NAMES);
      for (const tool of tools) {
        expect(tool.inputSchema).toMatchObject({ type: "object" });
        expect(tool.outputSchema).toMatchObject({ type: "object" });
        // Draft-07 validators (SDK v1 clients) read a tuple's `items: false` as "no items at all".
        expect(JSON.stringify(tool.outputSchema)).not.toContain('"items":false');
        const memoryHints = MEMORY_TOOL_HINTS[tool.name];
        const digestHints = DIGEST_TOOL_HINTS[tool.name];
        if (memoryHints) expect(tool.annotations).toMatchObject({ ...memoryHints, openWorldHint: false });
        else if (digestHints) expect(tool.annotations).toMatchObject(digestHints);
        else expect(tool.annotations).toMatchObject({ readOnlyHint: true, openWorldHint: true });
      }
      await client.close();
    });

    it("runs a tool against Plausible with the caller's own key", async () => {
      const client = await connectBearer(transport, "test-key-aaaaaaaa");
      const result = await client.callTool({
        name: "get_aggregate",
        arguments: { site_id: site, date_range: "7d", metrics: ["visitors", "pageviews"] },
      });
      expect(result.isError).toBeFalsy();
      expect(result.structuredContent).toEqual({ site_id: site, date_range: "7d", filters: [], metrics: { visitors: 10, pageviews: 11 } });
      expect(textOf(result)).toContain("| visitors | pageviews |");
      const sent = plausible.requests.at(-1)!;
      expect(sent.authorization).toBe("Bearer test-key-aaaaaaaa");
      expect(sent.body).toEqual({ site_id: site, metrics: ["visitors", "pageviews"], date_range: "7d" });
      await client.close();
    });

    it("returns results holding date pairs that match the output schema the client has listed", async () => {
      const client = await connectBearer(transport, "test-key-aaaaaaaa");
      await client.listTools();
      const result = await client.callTool({
        name: "compare_periods",
        arguments: { site_id: `pairs-${site}`, current: ["2026-01-08", "2026-01-14"], metrics: ["visitors"] },
      });
      expect(result.isError, textOf(result)).toBeFalsy();
      expect(result.structuredContent).toMatchObject({ previous: { date_range: ["2026-01-01", "2026-01-07"] } });
      await client.close();
    });

    it("returns Plausible's error text verbatim with a hint, as a tool error", async () => {
      plausible.use((request) => (request.path === "/api/v2/query" ? plausibleError(400, '#/metrics/0: Invalid metric "baa"') : undefined));
      const client = await connectBearer(transport, "test-key-aaaaaaaa");
      const result = await client.callTool({ name: "get_aggregate", arguments: { site_id: `error-${site}` } });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toContain('Plausible answered 400: #/metrics/0: Invalid metric "baa"');
      expect(textOf(result)).toContain("Change the query");
      await client.close();
    });

    it("rejects bad input as a tool error naming the argument, without calling Plausible", async () => {
      const client = await connectBearer(transport, "test-key-aaaaaaaa");
      const before = plausible.requests.length;
      const result = await client.callTool({ name: "get_aggregate", arguments: { site_id: "example.com", date_range: "last week" } });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toMatch(/date_range/);
      expect(textOf(result)).toContain('"last week" is not a date range');
      expect(plausible.requests.length).toBe(before);
      await client.close();
    });
  },
);

describe("bearer endpoint errors", () => {
  it("answers 401 JSON saying how to pass the key, without OAuth metadata, on /mcp and /sse", async () => {
    for (const [path, method] of [
      ["/mcp", "POST"],
      ["/sse", "GET"],
      ["/sse/message", "POST"],
    ] as const) {
      for (const authorization of [undefined, "Basic abc", "Bearer", "Bearer bad key with spaces"]) {
        const response = await workerFetch(`${ORIGIN}${path}`, {
          method,
          headers: {
            "content-type": "application/json",
            accept: "application/json, text/event-stream",
            ...(authorization ? { authorization } : {}),
          },
          body: method === "POST" ? JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }) : undefined,
        });
        expect(response.status, `${method} ${path} with ${authorization}`).toBe(401);
        const body = (await response.json()) as { error: string; error_description: string };
        expect(body.error_description).toContain("Authorization: Bearer <key>");
        expect(response.headers.get("www-authenticate") ?? "").not.toContain("resource_metadata");
      }
    }
  });

  it("reports an unknown key as Plausible's 401 text with what to do", async () => {
    const client = await connectBearer("streamable-http (SDK v1)", "unknown-key-zzzz");
    const result = await client.callTool({ name: "list_sites", arguments: {} });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain(`Plausible answered 401: ${TEXTS.invalidKey}`);
    expect(textOf(result)).toContain("check `site_id`");
    expect(textOf(result)).not.toContain("unknown-key-zzzz");
    await client.close();
  });

  it.each([
    [402, TEXTS.paymentRequired, "no Stats API access"],
    [429, TEXTS.rateLimited, "Capacity returns within 3600 s"],
    [429, TEXTS.rateLimitedOlder, "Capacity returns within 3600 s"],
  ])("surfaces Plausible %i with its text and the next step", async (status, text, hint) => {
    plausible.use((request) => (request.path === "/api/v2/query" ? plausibleError(status, text) : undefined));
    const client = await connectBearer("streamable-http (SDK v2)", "test-key-bbbbbbbb");
    const result = await client.callTool({ name: "get_aggregate", arguments: { site_id: `status-${status}-${text.length}.example.com` } });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain(`Plausible answered ${status}: ${text}`);
    expect(textOf(result)).toContain(hint);
    await client.close();
  });

  it("asks for a site when none is given and the server has no default", async () => {
    const client = await connectBearer("streamable-http (SDK v1)", "test-key-aaaaaaaa");
    const result = await client.callTool({ name: "get_timeseries", arguments: {} });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain("Invalid argument `site_id`");
    expect(textOf(result)).toContain("Ask the user which site");
    await client.close();
  });

  it("never answers 500 to a malformed JSON-RPC body", async () => {
    const response = await workerFetch(`${ORIGIN}/mcp`, {
      method: "POST",
      headers: {
        authorization: "Bearer test-key-aaaaaaaa",
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
      },
      body: "{not json",
    });
    expect(response.status).toBe(400);
  });
});
