import { describe, expect, it } from "vitest";
import { createDataset } from "../../dev/plausible-simulator/dataset.ts";
import { comparePeriodsTool } from "../../src/tools/compare-periods";
import { explainChangeTool } from "../../src/tools/explain-change";
import { getFunnelTool } from "../../src/tools/get-funnel";
import { measureImpactTool } from "../../src/tools/measure-impact";
import { callTool } from "./fake-context";
import { useSimulatedContext } from "./simulated-context";

// The analysis tools against the simulator's planted events: each must find
// what was injected, and stay quiet where nothing was.

const NOW = Date.parse("2025-06-15T12:00:00Z");
const SEED = 1;
const injected = (domain: string) => createDataset({ seed: SEED, now: NOW }).sites.find((site) => site.domain === domain)!.injected;

const simulated = useSimulatedContext(NOW, SEED);

describe("explain_change", () => {
  it.each(["example.com", "shop.example.com", "blog.example.com"])("finds the spike day on %s and ranks its source first", async (site) => {
    const { spike } = injected(site);
    const { structured, text } = await callTool(explainChangeTool, { site_id: site }, simulated.context);
    expect(structured.days.filter((day) => day.flagged).map((day) => day.date)).toEqual([spike.date]);
    expect(structured.total.change).toBeGreaterThan(0);
    const sources = structured.drivers.find((driver) => driver.dimension === "visit:source")!;
    expect(sources.values[0]!.value).toBe(spike.source);
    expect(sources.values[0]!.share_of_change).toBeGreaterThan(60);
    expect(text).toContain(spike.date);
  });
});

// explain_change's false-alarm rate on quiet weeks is measured on the synthetic generator's realistic traffic
// (explain-change-calibration.node.test.ts): the demo data's bounded noise without carry-over cannot show it.

describe("measure_impact", () => {
  it.each(["example.com", "shop.example.com", "blog.example.com"])(
    "finds the step up on the deployed page of %s, larger than any change in the site's total",
    async (site) => {
      const { deploy } = injected(site);
      const onPage = await callTool(
        measureImpactTool,
        { site_id: site, event: deploy.date, page: deploy.page, metrics: ["visitors", "pageviews"] },
        simulated.context,
      );
      expect(onPage.structured.window_days).toBe(14);
      for (const result of onPage.structured.results) {
        expect(result.verdict, onPage.text).toBe("increase");
        expect(result.p_value).toBeLessThan(0.05);
        expect(result.ci95[0]).toBeGreaterThan(0);
      }
      // The text names the event and both windows, and never rounds a small p-value down to 0.
      expect(onPage.text).toContain(`${site}, around ${deploy.date}: 14 days before`);
      for (const result of onPage.structured.results) {
        expect(onPage.text).toContain(
          `| ${result.p_value! < 0.001 ? "< 0.001" : String(Math.round(result.p_value! * 1000) / 1000)} | increase |`,
        );
      }
      // The site's total carries the demo's growth trend and, at 5 %, one false alarm in twenty windows
      // (shop.example.com's is one): its rate is measured in measure-impact-calibration.node.test.ts.
      const overall = await callTool(measureImpactTool, { site_id: site, event: deploy.date, metrics: ["visitors"] }, simulated.context);
      expect(overall.structured.results[0]!.change_percent!).toBeLessThan(onPage.structured.results[0]!.change_percent!);
    },
  );

  it("splits at the hour for a datetime, tests counts against pseudo-events and rates with a day-clustered ratio test", async () => {
    const { deploy } = injected("example.com");
    const { structured } = await callTool(
      measureImpactTool,
      {
        site_id: "example.com",
        event: `${deploy.date}T12:00:00Z`,
        window_days: 7,
        goal: "Signup",
        metrics: ["visitors", "conversion_rate", "bounce_rate"],
      },
      simulated.context,
    );
    expect(structured.before[1]).toBe(`${deploy.date}T11:59:59Z`);
    expect(structured.after[0]).toBe(`${deploy.date}T12:00:00Z`);
    expect(structured.results.map((result) => result.test)).toEqual([
      expect.stringMatching(/^log ratio against \d+ pseudo-events in the site's history/),
      "day-clustered ratio test (Welch–Satterthwaite t)",
      "day-clustered ratio test (Welch–Satterthwaite t)",
    ]);
  });
  // The false-alarm rate is measured on the synthetic generator's realistic traffic instead
  // (measure-impact-calibration.node.test.ts): the demo data's bounded noise without carry-over cannot show it.
});

describe("get_funnel", () => {
  it.each([
    ["example.com", ["/", "/pricing", "/signup", "Signup"]],
    ["shop.example.com", ["/products/*", "Add to Cart", "/checkout"]],
    ["blog.example.com", ["/", "/posts/**", "Newsletter Signup"]],
  ])("counts on %s never rise from one step to the next", async (site, steps) => {
    const { structured, text } = await callTool(getFunnelTool, { site_id: site, steps, date_range: "91d" }, simulated.context);
    const counts = structured.steps.map((step) => step.visitors);
    expect(counts[0]).toBeGreaterThan(0);
    for (let index = 1; index < counts.length; index++) expect(counts[index]).toBeLessThanOrEqual(counts[index - 1]!);
    expect(counts[counts.length - 1]).toBeGreaterThan(0);
    expect(text).toContain("not enforced");
    expect(structured.date_range_resolved).toHaveLength(2);
  });

  it("names the biggest drop", async () => {
    const { structured } = await callTool(
      getFunnelTool,
      { site_id: "example.com", steps: ["/", "/pricing", "/signup", "Signup"] },
      simulated.context,
    );
    const losses = structured.steps.slice(1).map((step, index) => structured.steps[index]!.visitors - step.visitors);
    expect(structured.biggest_drop.lost_visitors).toBe(Math.max(...losses));
  });
});

describe("compare_periods' significance", () => {
  // The false-alarm rate is measured on the synthetic generator's realistic traffic instead
  // (compare-periods-calibration.node.test.ts): the demo data's bounded noise without carry-over cannot show it.
  it("calls the deployed page's step significant", async () => {
    const { deploy } = injected("example.com");
    const dayAfter = (days: number) => new Date(Date.parse(`${deploy.date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
    const { structured } = await callTool(
      comparePeriodsTool,
      {
        site_id: "example.com",
        current: [dayAfter(1), dayAfter(14)],
        previous: [dayAfter(-14), dayAfter(-1)],
        page: deploy.page,
        metrics: ["visitors"],
      },
      simulated.context,
    );
    expect(structured.significance.visitors).toMatchObject({ significant: true });
    expect(structured.change.visitors!.absolute).toBeGreaterThan(0);
  });
});

describe("explain_change on today", () => {
  it("says today's value is partial", async () => {
    const { structured } = await callTool(
      explainChangeTool,
      { site_id: "example.com", period: "day", dimensions: ["visit:device"] },
      simulated.context,
    );
    expect(structured.date_range_resolved).toEqual(["2025-06-15", "2025-06-15"]);
    expect(structured.notes.join(" ")).toMatch(/still in progress/);
  });
});
