import { env } from "cloudflare:workers";
import { getAgentByName } from "agents";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { sha256Hex } from "../../src/shared/hash";
import { describeToolError } from "../../src/mcp/tool-errors";
import { usageAgentName } from "../../src/agent/usage-agent";
import { fromFailure, type UsageOutcome } from "../../src/agent/usage-outcome";
import type { PlausibleRequest } from "../../src/plausible";
import { defaultQueryAnswer, installFakePlausible, plausibleError, type FakePlausible } from "../support/fake-plausible";
import { connectBearer, textOf } from "../support/mcp-clients";
import { runParsed } from "../support/durable-objects";

// Plausible failing in every way it can, seen through a key's usage agent and
// through a real MCP client: each failure is a clear tool error and nothing of
// it is cached. Each test uses its own key, so its own agent and circuit.
let plausible: FakePlausible;
beforeEach(() => {
  plausible = installFakePlausible();
});
afterEach(() => plausible.restore());

let keyCounter = 0;
async function freshKey() {
  const apiKey = `faults-${++keyCounter}-${crypto.randomUUID()}`;
  plausible.use((request) =>
    request.authorization === `Bearer ${apiKey}` && request.path === "/api/v2/query"
      ? defaultQueryAnswer(request.body as never)
      : undefined,
  );
  const stub = await getAgentByName(env.USAGE, usageAgentName("key", await sha256Hex(apiKey)));
  const run = (requests: PlausibleRequest[]) => runParsed(stub, requests, apiKey);
  return { apiKey, run };
}

const query = (site: string): PlausibleRequest => ({ kind: "query", body: { site_id: site, metrics: ["visitors"], date_range: "7d" } });

/** Fails the next `times` query requests for `site` with `reply`, then lets them through. */
function failQueries(site: string, times: number, reply: () => Response | Promise<Response>) {
  let left = times;
  plausible.use((request) => {
    if (left <= 0 || request.path !== "/api/v2/query" || (request.body as { site_id: string }).site_id !== site) return undefined;
    left -= 1;
    return reply();
  });
}

const queriesFor = (site: string) =>
  plausible.requests.filter((request) => (request.body as { site_id?: string } | undefined)?.site_id === site).length;

function errorText(outcome: UsageOutcome): string {
  if (outcome.ok) throw new Error("expected a failure");
  return describeToolError(fromFailure(outcome.failure));
}

describe("Plausible unavailable", () => {
  it("retries a 5xx once, then says Plausible is unavailable and when the server tries again; nothing is cached", async () => {
    const { run } = await freshKey();
    failQueries("down.example.com", 2, () => new Response("upstream down", { status: 503 }));
    const failed = await run([query("down.example.com")]);
    expect(failed).toMatchObject({
      ok: false,
      failure: { kind: "unavailable", reason: "server_error", status: 503, retryAfterSeconds: 0 },
    });
    expect(errorText(failed)).toContain("Plausible is unavailable (server_error 503) after a retry.");
    expect(errorText(failed)).toContain("The server will try Plausible again on the next call");
    expect(queriesFor("down.example.com")).toBe(2);
    expect(await run([query("down.example.com")])).toMatchObject({ ok: true, cacheHits: 0 });
    expect(queriesFor("down.example.com")).toBe(3);
  });

  it("turns a network failure, twice, into an unavailable error naming it", async () => {
    const { run } = await freshKey();
    failQueries("unreachable.example.com", 2, () => Promise.reject(new TypeError("Network connection lost.")));
    const failed = await run([query("unreachable.example.com")]);
    expect(failed).toMatchObject({ ok: false, failure: { kind: "unavailable", reason: "network" } });
    expect(errorText(failed)).toContain("Plausible is unavailable (network) after a retry.");
  });

  it("reaches the model as a tool error through a real MCP client", async () => {
    const { apiKey } = await freshKey();
    failQueries("mcp-down.example.com", 2, () => new Response(null, { status: 502 }));
    const client = await connectBearer("streamable-http (SDK v2)", apiKey);
    const result = await client.callTool({ name: "get_aggregate", arguments: { site_id: "mcp-down.example.com" } });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain("Plausible is unavailable (server_error 502) after a retry.");
    expect(textOf(result)).toContain("not a problem with the question");
    await client.close();
  });
});

describe("Plausible's 429", () => {
  it("is not retried, surfaces Plausible's text and the window it names, and is not cached", async () => {
    const { run } = await freshKey();
    const burst = "Too many API requests in a short period of time. The limit is 10 per 10 seconds. Please throttle your requests.";
    failQueries("busy.example.com", 1, () => plausibleError(429, burst));
    const failed = await run([query("busy.example.com")]);
    expect(failed).toMatchObject({ ok: false, failure: { kind: "plausible_api", status: 429, retryAfterSeconds: 10 } });
    expect(errorText(failed)).toContain(`Plausible answered 429: ${burst}`);
    expect(errorText(failed)).toContain("Capacity returns within 10 s.");
    expect(queriesFor("busy.example.com")).toBe(1);
    expect(await run([query("busy.example.com")])).toMatchObject({ ok: true, cacheHits: 0 });
  });
});

describe("answers that are not usable", () => {
  it("turns a non-JSON 200 into a clear error and asks again next time", async () => {
    const { run } = await freshKey();
    failQueries(
      "html.example.com",
      1,
      () => new Response("<html>Maintenance</html>", { status: 200, headers: { "content-type": "text/html" } }),
    );
    const failed = await run([query("html.example.com")]);
    expect(failed).toMatchObject({ ok: false, failure: { kind: "response" } });
    expect(errorText(failed)).toContain("is not valid JSON (it starts: <html>Maintenance</html>)");
    expect(await run([query("html.example.com")])).toMatchObject({ ok: true, cacheHits: 0 });
    expect(queriesFor("html.example.com")).toBe(2);
  });

  it("turns truncated JSON into a clear error, not cached", async () => {
    const { run } = await freshKey();
    failQueries("truncated.example.com", 1, () => new Response('{"results": [{"metrics": [4', { status: 200 }));
    const failed = await run([query("truncated.example.com")]);
    expect(errorText(failed)).toContain("Plausible's answer could not be used");
    expect(errorText(failed)).toContain("not valid JSON");
    expect(await run([query("truncated.example.com")])).toMatchObject({ ok: true, cacheHits: 0 });
  });

  it("refuses an answer over MAX_RESPONSE_BYTES, streamed without Content-Length, and caches nothing", async () => {
    const { run } = await freshKey();
    const limit = Number(env.MAX_RESPONSE_BYTES);
    failQueries("huge.example.com", 1, () => {
      const chunk = new TextEncoder().encode("x".repeat(64 * 1024));
      let sent = 0;
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent > limit) return controller.close();
          sent += chunk.byteLength;
          controller.enqueue(chunk);
        },
      });
      return new Response(body, { status: 200 });
    });
    const failed = await run([query("huge.example.com")]);
    expect(failed).toMatchObject({ ok: false, failure: { kind: "response" } });
    expect(errorText(failed)).toContain(`over the ${limit}-byte limit`);
    expect(errorText(failed)).toContain("Ask for less");
    expect(await run([query("huge.example.com")])).toMatchObject({ ok: true, cacheHits: 0 });
    expect(queriesFor("huge.example.com")).toBe(2);
  });

  it("refuses a declared Content-Length over MAX_RESPONSE_BYTES", async () => {
    const { run } = await freshKey();
    const limit = Number(env.MAX_RESPONSE_BYTES);
    failQueries(
      "declared.example.com",
      1,
      () => new Response("x".repeat(limit + 1), { status: 200, headers: { "content-length": String(limit + 1) } }),
    );
    const failed = await run([query("declared.example.com")]);
    expect(errorText(failed)).toContain(`declares ${limit + 1} bytes, over the ${limit}-byte limit`);
  });
});
