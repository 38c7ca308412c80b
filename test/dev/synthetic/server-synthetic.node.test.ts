// The simulator serves synthetic sites named by their domain (*.synthetic.test).

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator } from "../../../dev/plausible-simulator/server.ts";
import type { SimulatorHandle } from "../../../dev/plausible-simulator/server.ts";
import { syntheticSiteFromDomain } from "../../../dev/plausible-simulator/synthetic-domains.ts";
import { FIXED_NOW, get, post } from "../plausible-simulator/client.ts";

let sim: SimulatorHandle;

// Building the demo dataset beside the synthetic sites takes a few seconds on a busy machine.
beforeAll(async () => {
  sim = await startSimulator({ now: FIXED_NOW, seed: 1, log: () => {}, syntheticSites: ["tz-asia-tokyo.synthetic.test"] });
}, 60_000);

afterAll(() => sim.close());

describe("synthetic sites over HTTP", () => {
  it("answers a query for a domain that names its settings, with no rows before its first day", async () => {
    const answer = await post(sim.url, {
      site_id: "days-5.level-500.synthetic.test",
      metrics: ["visitors"],
      date_range: "30d",
      dimensions: ["time:day"],
    });
    expect(answer.status).toBe(200);
    // Data starts 5 days before today (2025-06-15); "30d" ends yesterday.
    expect(answer.body.results.map((row: { dimensions: string[] }) => row.dimensions[0])).toEqual([
      "2025-06-10",
      "2025-06-11",
      "2025-06-12",
      "2025-06-13",
      "2025-06-14",
    ]);
    const all = await post(sim.url, { site_id: "days-5.level-500.synthetic.test", metrics: ["visitors"], date_range: "all" });
    expect(all.body.query.date_range[0]).toBe("2025-06-10T00:00:00+00:00");
  });

  it("plants a step: step-10pct raises the 14 days since by about 10 %", async () => {
    const mean = async (site: string, range: [string, string]) => {
      const answer = await post(sim.url, { site_id: site, metrics: ["visitors"], date_range: range });
      return answer.body.results[0].metrics[0] / 14;
    };
    const site = "step-10pct.flat.sigma-2.level-50000.synthetic.test";
    const ratio = (await mean(site, ["2025-06-01", "2025-06-14"])) / (await mean(site, ["2025-05-18", "2025-05-31"]));
    expect(ratio).toBeGreaterThan(1.06);
    expect(ratio).toBeLessThan(1.14);
  });

  it("lists the configured synthetic sites with their timezone and serves their goals", async () => {
    const sites = await get(sim.url, "/api/v1/sites");
    expect(sites.body.sites).toContainEqual({ domain: "tz-asia-tokyo.synthetic.test", timezone: "Asia/Tokyo" });
    const goals = await get(sim.url, "/api/v1/sites/goals?site_id=flat.synthetic.test");
    expect(goals.body.goals.map((goal: { display_name: string }) => goal.display_name)).toEqual(["Visit /pricing", "Signup"]);
  });

  it("refuses an unreadable domain as an unknown site and a bad query with Plausible's text", async () => {
    expect((await post(sim.url, { site_id: "bogus-1.synthetic.test", metrics: ["visitors"], date_range: "7d" })).status).toBe(401);
    const refused = await post(sim.url, { site_id: "flat.synthetic.test", metrics: ["conversion_rate"], date_range: "7d" });
    expect(refused).toEqual({
      status: 400,
      body: { error: "Metric `conversion_rate` can only be queried with event:goal filters or dimensions." },
    });
  });

  it("says which setting it could not read", () => {
    expect(syntheticSiteFromDomain("level-x.synthetic.test", FIXED_NOW)).toEqual({
      error: 'level-N needs a whole number of visitors a day, got "level-x".',
    });
    expect(syntheticSiteFromDomain("spike-5x-2d.synthetic.test", FIXED_NOW)).toHaveProperty("truth");
  });
});
