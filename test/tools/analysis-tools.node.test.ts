import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createDataset } from "../../dev/plausible-simulator/dataset.ts";
import { startSimulator, type SimulatorHandle } from "../../dev/plausible-simulator/server.ts";
import { PlausibleClient, type PlausibleRequest } from "../../src/plausible";
import type { ToolContext } from "../../src/tools";
import { explainChangeTool } from "../../src/tools/explain-change";
import { callTool } from "./fake-context";

// The analysis tools against the simulator's planted events: each must find
// what was injected, and stay quiet where nothing was.

const NOW = Date.parse("2025-06-15T12:00:00Z");
const SEED = 1;
const injected = (domain: string) => createDataset({ seed: SEED, now: NOW }).sites.find((site) => site.domain === domain)!.injected;

let sim: SimulatorHandle;
let context: ToolContext;
let requestCount = 0;

beforeAll(async () => {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(NOW);
  sim = await startSimulator({ now: NOW, seed: SEED, hourlyLimit: 1_000_000, log: () => {} });
  const client = new PlausibleClient({ baseUrl: new URL(`${sim.url}/`), apiKey: "demo-key" });
  context = {
    async plausible(requests: PlausibleRequest[]) {
      requestCount += requests.length;
      return Promise.all(requests.map((request) => client.execute(request)));
    },
  };
});

afterAll(async () => {
  vi.useRealTimers();
  await sim.close();
});

describe("explain_change", () => {
  it.each(["example.com", "shop.example.com", "blog.example.com"])("finds the spike day on %s and ranks its source first", async (site) => {
    const { spike } = injected(site);
    const { structured, text } = await callTool(explainChangeTool, { site_id: site }, context);
    expect(structured.days.filter((day) => day.flagged).map((day) => day.date)).toEqual([spike.date]);
    expect(structured.total.change).toBeGreaterThan(0);
    const sources = structured.drivers.find((driver) => driver.dimension === "visit:source")!;
    expect(sources.values[0]!.value).toBe(spike.source);
    expect(sources.values[0]!.share_of_change).toBeGreaterThan(60);
    expect(text).toContain(spike.date);
  });
});

describe("explain_change on weeks with nothing injected", () => {
  it("flags a day in at most 10 % of 42 windows", async () => {
    let windows = 0;
    let windowsFlagged = 0;
    for (const site of ["example.com", "shop.example.com", "blog.example.com"]) {
      for (let week = 5; week < 47; week += 3) {
        const end = new Date(NOW - week * 7 * 86_400_000).toISOString().slice(0, 10);
        const start = new Date(Date.parse(end) - 6 * 86_400_000).toISOString().slice(0, 10);
        const { structured } = await callTool(explainChangeTool, { site_id: site, period: [start, end], dimensions: ["visit:device"] }, context);
        windows++;
        if (structured.days.some((day) => day.flagged)) windowsFlagged++;
      }
    }
    expect(windows).toBeGreaterThanOrEqual(40);
    expect(windowsFlagged / windows).toBeLessThanOrEqual(0.1);
  });
});
