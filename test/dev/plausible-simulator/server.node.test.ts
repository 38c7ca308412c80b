import { readFileSync } from "node:fs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startSimulator } from "../../../dev/plausible-simulator/server.ts";
import type { SimulatorHandle } from "../../../dev/plausible-simulator/server.ts";
import { FIXED_NOW, SCHEMA_PATH, SCHEMA_PRESENT, get, post } from "./client.ts";

const MISSING_KEY = "Missing API key. Please use a valid Plausible API key as a Bearer Token.";
const INVALID_KEY_OR_SITE =
  "Invalid API key or site ID. Please make sure you're using a valid API key with access to the site you've requested.";
const RATE_LIMITED = "Too many API requests. The limit is 600 per hour. Please contact us to request more capacity.";
const AGGREGATE = { site_id: "example.com", metrics: ["visitors"], date_range: "7d" };

let sim: SimulatorHandle;

beforeAll(async () => {
  sim = await startSimulator({ now: FIXED_NOW, keys: { "shop-key": ["shop.example.com"] }, log: () => {} });
});

afterAll(() => sim.close());

afterEach(() => sim.reset());

describe("Sites API", () => {
  it("lists the sites a key can see, with cursor pagination", async () => {
    const all = await get(sim.url, "/api/v1/sites");
    expect(all).toEqual({
      status: 200,
      body: {
        sites: [
          { domain: "example.com", timezone: "Europe/Berlin" },
          { domain: "shop.example.com", timezone: "America/New_York" },
          { domain: "blog.example.com", timezone: "Etc/UTC" },
        ],
        meta: { after: null, before: null, limit: 100 },
      },
    });

    const first = await get(sim.url, "/api/v1/sites?limit=2");
    expect(first.body.sites.map((site: any) => site.domain)).toEqual(["example.com", "shop.example.com"]);
    expect(first.body.meta).toEqual({ after: expect.any(String), before: null, limit: 2 });
    const second = await get(sim.url, `/api/v1/sites?limit=2&after=${first.body.meta.after}`);
    expect(second.body.sites.map((site: any) => site.domain)).toEqual(["blog.example.com"]);
    expect(second.body.meta).toEqual({ after: null, before: expect.any(String), limit: 2 });
    const back = await get(sim.url, `/api/v1/sites?limit=2&before=${second.body.meta.before}`);
    expect(back.body.sites).toEqual(first.body.sites);

    expect((await get(sim.url, "/api/v1/sites", "shop-key")).body.sites).toEqual([
      { domain: "shop.example.com", timezone: "America/New_York" },
    ]);
  });

  it("lists goals, newest first", async () => {
    const answer = await get(sim.url, "/api/v1/sites/goals?site_id=example.com");
    expect(answer).toEqual({
      status: 200,
      body: {
        goals: [
          { id: 3, goal_type: "page", display_name: "Visit /pricing", event_name: null, page_path: "/pricing", custom_props: {} },
          { id: 2, goal_type: "event", display_name: "Purchase", event_name: "Purchase", page_path: null, custom_props: {} },
          { id: 1, goal_type: "event", display_name: "Signup", event_name: "Signup", page_path: null, custom_props: {} },
        ],
        meta: { after: null, before: null, limit: 100 },
      },
    });
  });

  it("lists a scroll goal with its threshold", async () => {
    const answer = await get(sim.url, "/api/v1/sites/goals?site_id=blog.example.com");
    expect(answer.body.goals[0]).toEqual({
      id: 9,
      goal_type: "scroll",
      display_name: "Scroll 75% on /posts/privacy-first-analytics",
      event_name: null,
      page_path: "/posts/privacy-first-analytics",
      scroll_threshold: 75,
      custom_props: {},
    });
    expect(answer.body.goals.slice(1).every((goal: object) => !("scroll_threshold" in goal))).toBe(true);
  });

  it("lists custom properties", async () => {
    expect(await get(sim.url, "/api/v1/sites/custom-props?site_id=blog.example.com")).toEqual({
      status: 200,
      body: { custom_properties: [{ property: "author" }] },
    });
  });

  it("answers Plausible's errors for a missing or unknown site", async () => {
    expect(await get(sim.url, "/api/v1/sites/goals")).toEqual({
      status: 400,
      body: { error: "Parameter `site_id` is required to list goals" },
    });
    expect(await get(sim.url, "/api/v1/sites/custom-props")).toEqual({
      status: 400,
      body: { error: "Parameter `site_id` is required to list custom properties" },
    });
    expect(await get(sim.url, "/api/v1/sites/goals?site_id=nope.example")).toEqual({
      status: 404,
      body: { error: "Site could not be found" },
    });
    expect(await get(sim.url, "/api/v1/sites/goals?site_id=example.com", "shop-key")).toEqual({
      status: 401,
      body: { error: INVALID_KEY_OR_SITE },
    });
  });
});

describe("realtime and schema endpoints", () => {
  it("answers realtime visitors as a bare integer", async () => {
    const response = await fetch(`${sim.url}/api/v1/stats/realtime/visitors?site_id=example.com`, {
      headers: { authorization: "Bearer demo-key" },
    });
    expect(response.status).toBe(200);
    expect(await response.text()).toMatch(/^\d+$/);
  });

  it.skipIf(!SCHEMA_PRESENT)("serves the loaded schema without auth", async () => {
    const response = await fetch(`${sim.url}/api/docs/query/schema.json`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(readFileSync(SCHEMA_PATH, "utf8"));
  });

  it("says so when no schema is loaded", async () => {
    const lines: string[] = [];
    const bare = await startSimulator({ now: FIXED_NOW, schemaPath: null, log: (line) => lines.push(line) });
    try {
      const answer = await get(bare.url, "/api/docs/query/schema.json", null);
      expect(answer.status).toBe(404);
      expect(answer.body.error).toMatch(/No query schema is loaded/);
      expect(bare.schemaValidation).toBe(false);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/schema validation is off/);
    } finally {
      await bare.close();
    }
  });
});

describe("authentication and limits", () => {
  it("rejects a missing key, an unknown key and a site the key cannot see", async () => {
    expect(await post(sim.url, AGGREGATE, null)).toEqual({ status: 401, body: { error: MISSING_KEY } });
    expect(await post(sim.url, AGGREGATE, "wrong-key")).toEqual({ status: 401, body: { error: INVALID_KEY_OR_SITE } });
    expect(await post(sim.url, AGGREGATE, "shop-key")).toEqual({ status: 401, body: { error: INVALID_KEY_OR_SITE } });
    expect(await post(sim.url, { ...AGGREGATE, site_id: "nope.example" })).toEqual({ status: 401, body: { error: INVALID_KEY_OR_SITE } });
    expect(await get(sim.url, "/api/v1/stats/realtime/visitors?site_id=example.com", null)).toEqual({
      status: 401,
      body: { error: MISSING_KEY },
    });
    expect((await post(sim.url, { ...AGGREGATE, site_id: "shop.example.com" }, "shop-key")).status).toBe(200);
  });

  it("answers 429 past the hourly limit of a key", async () => {
    const limited = await startSimulator({ now: FIXED_NOW, hourlyLimit: 3, log: () => {} });
    try {
      for (let attempt = 0; attempt < 3; attempt++) expect((await post(limited.url, AGGREGATE)).status).toBe(200);
      expect(await post(limited.url, AGGREGATE)).toEqual({
        status: 429,
        body: { error: "Too many API requests. The limit is 3 per hour. Please contact us to request more capacity." },
      });
      limited.reset();
      expect((await post(limited.url, AGGREGATE)).status).toBe(200);
    } finally {
      await limited.close();
    }
  });
});

describe("faults, latency and counters", () => {
  it("fails the next N requests with the chosen status, then recovers", async () => {
    sim.setFaults({ faults: [{ kind: "503", count: 2 }] });
    expect((await fetch(`${sim.url}/api/v1/sites`)).status).toBe(503);
    expect((await fetch(`${sim.url}/api/v1/sites`)).status).toBe(503);
    expect((await get(sim.url, "/api/v1/sites")).status).toBe(200);
  });

  it("answers a 429 fault with Plausible's rate-limit text", async () => {
    sim.setFaults({ faults: [{ kind: "429", count: 1 }] });
    expect(await post(sim.url, AGGREGATE)).toEqual({ status: 429, body: { error: RATE_LIMITED } });
  });

  it("fails every matching request at rate 1 and none at rate 0, only on the chosen paths", async () => {
    sim.setFaults({ faults: [{ kind: "500", rate: 1, paths: ["/api/v2/query"] }] });
    expect((await post(sim.url, AGGREGATE)).status).toBe(500);
    expect((await get(sim.url, "/api/v1/sites")).status).toBe(200);
    sim.setFaults({ faults: [{ kind: "500", rate: 0 }] });
    expect((await post(sim.url, AGGREGATE)).status).toBe(200);
  });

  it("sends malformed, truncated and oversized bodies", async () => {
    const normal = await (await fetch(`${sim.url}/api/v1/sites`, { headers: { authorization: "Bearer demo-key" } })).text();
    const fetchText = async () => (await fetch(`${sim.url}/api/v1/sites`, { headers: { authorization: "Bearer demo-key" } })).text();

    sim.setFaults({ faults: [{ kind: "non_json", count: 1 }] });
    expect(() => JSON.parse(normal)).not.toThrow();
    const html = await fetchText();
    expect(() => JSON.parse(html)).toThrow();

    sim.setFaults({ faults: [{ kind: "truncated_json", count: 1 }] });
    const truncated = await fetchText();
    expect(normal.startsWith(truncated)).toBe(true);
    expect(() => JSON.parse(truncated)).toThrow();

    sim.setFaults({ oversizedBytes: 200_000, faults: [{ kind: "oversized", count: 1 }] });
    const oversized = await fetchText();
    expect(oversized.length).toBe(200_000);
    expect(JSON.parse(oversized)).toEqual(JSON.parse(normal));
  });

  it("hangs until the client gives up", async () => {
    sim.setFaults({ faults: [{ kind: "hang", count: 1 }] });
    await expect(fetch(`${sim.url}/api/v1/sites`, { signal: AbortSignal.timeout(100) })).rejects.toThrow();
    expect((await get(sim.url, "/api/v1/sites")).status).toBe(200);
  });

  it("delays answers enough to trip a short client timeout", async () => {
    sim.setFaults({ latencyMs: 5_000 });
    await expect(fetch(`${sim.url}/api/v1/sites`, { signal: AbortSignal.timeout(100) })).rejects.toThrow();
    sim.setFaults({ latencyMs: 0 });
    expect((await get(sim.url, "/api/v1/sites")).status).toBe(200);
  });

  it("counts requests in total, per endpoint, per status and per known key", async () => {
    await post(sim.url, AGGREGATE);
    await post(sim.url, AGGREGATE, null);
    await get(sim.url, "/api/v1/sites");
    expect(sim.stats).toEqual({
      total: 3,
      byEndpoint: { "POST /api/v2/query": 2, "GET /api/v1/sites": 1 },
      byStatus: { 200: 2, 401: 1 },
      byKey: { "demo-key": 2 },
    });
  });
});

describe("admin routes", () => {
  it("sets faults, reports stats and resets over HTTP", async () => {
    const set = await fetch(`${sim.url}/__sim/faults`, { method: "POST", body: JSON.stringify({ faults: [{ kind: "502", count: 1 }] }) });
    expect(set.status).toBe(200);
    expect((await fetch(`${sim.url}/api/v1/sites`)).status).toBe(502);

    const stats = await (await fetch(`${sim.url}/__sim/stats`)).json();
    expect(stats).toEqual({ total: 1, byEndpoint: { "GET /api/v1/sites": 1 }, byStatus: { 502: 1 }, byKey: {} });

    await fetch(`${sim.url}/__sim/faults`, { method: "POST", body: JSON.stringify({ faults: [{ kind: "500" }] }) });
    expect((await fetch(`${sim.url}/__sim/reset`, { method: "POST" })).status).toBe(200);
    expect((await get(sim.url, "/api/v1/sites")).status).toBe(200);
    expect(sim.stats.total).toBe(1);
  });

  it("rejects settings it does not understand", async () => {
    const answer = await fetch(`${sim.url}/__sim/faults`, { method: "POST", body: JSON.stringify({ faults: [{ kind: "418" }] }) });
    expect(answer.status).toBe(400);
    expect(((await answer.json()) as { error: string }).error).toMatch(/kind one of 429, 500/);
  });
});

describe("Community Edition mode", () => {
  const sitesApi = ["/api/v1/sites", "/api/v1/sites/goals?site_id=example.com", "/api/v1/sites/custom-props?site_id=example.com"];
  const asJsonClient = (url: string) => fetch(url, { headers: { authorization: "Bearer demo-key", accept: "application/json" } });

  it("has no Sites API: a JSON client gets 406 with an HTML page, as the catch-all route answers", async () => {
    const ce = await startSimulator({ now: FIXED_NOW, communityEdition: true, log: () => {} });
    try {
      for (const path of sitesApi) {
        const response = await asJsonClient(`${ce.url}${path}`);
        expect(response.status, path).toBe(406);
        expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
        expect(await response.text()).toMatch(/^<!DOCTYPE html>/);
      }
      // The Stats API is there.
      expect((await post(ce.url, AGGREGATE)).status).toBe(200);
    } finally {
      await ce.close();
    }
  });

  it("refuses 24h as CE 3.2's schema does", async () => {
    sim.setFaults({ communityEdition: true });
    expect(await post(sim.url, { ...AGGREGATE, date_range: "24h" })).toEqual({
      status: 400,
      body: { error: '#/date_range: Invalid date range "24h"' },
    });
    expect((await post(sim.url, { ...AGGREGATE, date_range: "day" })).status).toBe(200);
  });

  it("is switched at runtime on the admin route, and off again by a reset", async () => {
    const switched = await fetch(`${sim.url}/__sim/faults`, { method: "POST", body: JSON.stringify({ communityEdition: true }) });
    expect(await switched.json()).toMatchObject({ communityEdition: true });
    expect((await asJsonClient(`${sim.url}/api/v1/sites`)).status).toBe(406);
    const refused = await fetch(`${sim.url}/__sim/faults`, { method: "POST", body: JSON.stringify({ communityEdition: "yes" }) });
    expect(refused.status).toBe(400);
    sim.reset();
    expect((await asJsonClient(`${sim.url}/api/v1/sites`)).status).toBe(200);
  });
});
