import { describe, expect, it } from "vitest";
import { syntheticContext } from "../../dev/plausible-simulator/synthetic-context";
import { SyntheticSite } from "../../dev/plausible-simulator/synthetic";
import { compareSitesTool, SITES_PER_PAGE } from "../../src/tools/compare-sites";
import { callTool, inputProblem } from "./fake-context";

const NOW = "2026-06-17T10:00:00Z";

/** A site with 300 days of data whose visitors change by `factor` from 28 days ago (the start of "28d"). */
function site(domain: string, factor: number, seed: number) {
  return new SyntheticSite({
    domain,
    seed,
    level: 5000,
    weekly: true,
    sigma: 0.05,
    firstDay: "2025-08-21",
    now: NOW,
    effects: factor === 1 ? [] : [{ kind: "step", from: "2026-05-20", factor }],
  });
}

const PORTFOLIO = [
  site("a.synthetic.test", 1, 1),
  site("b.synthetic.test", 1.5, 2),
  site("c.synthetic.test", 0.6, 3),
  site("d.synthetic.test", 1.2, 4),
  site("e.synthetic.test", 1, 5),
];

describe("compare_sites", () => {
  it("compares every readable site with compare_periods' test, sorted by change, a page at a time, and counts its requests", async () => {
    const { context, requests } = syntheticContext(PORTFOLIO);
    const { structured, text } = await callTool(compareSitesTool, { metrics: ["visitors"], date_range: "28d" }, context);
    expect(structured.sites.map((row) => row.site_id)).toEqual([
      "b.synthetic.test",
      "d.synthetic.test",
      "a.synthetic.test",
      "c.synthetic.test",
    ]);
    const verdicts = Object.fromEntries(structured.sites.map((row) => [row.site_id, row.metrics.visitors!.verdict]));
    expect(verdicts).toEqual({
      "b.synthetic.test": "increase",
      "d.synthetic.test": "increase",
      "a.synthetic.test": "no detectable change",
      "c.synthetic.test": "decrease",
    });
    expect(structured.sites[0]!.metrics.visitors!.change_percent).toBeGreaterThan(40);
    expect(structured.sites[0]).toMatchObject({
      current_dates: ["2026-05-20", "2026-06-16"],
      previous_dates: ["2026-04-22", "2026-05-19"],
    });
    expect(structured).toMatchObject({ page: 1, sites_total: 5, sites_remaining: 1, next_page: 2, sorted_by: "visitors" });
    // 1 Sites API request, then compare_periods' 4 per site for a count.
    expect(structured.requests).toBe(1 + 4 * SITES_PER_PAGE);
    expect(requests).toHaveLength(structured.requests);
    expect(text).toContain("1 more sites: ask again with page 2");

    const next = await callTool(compareSitesTool, { metrics: ["visitors"], date_range: "28d", page: 2 }, context);
    expect(next.structured).toMatchObject({ sites_remaining: 0, next_page: null, requests: 5 });
    expect(next.structured.sites.map((row) => row.site_id)).toEqual(["e.synthetic.test"]);
  });

  it("needs site_ids where there is no Sites API, and says so", async () => {
    const { context, requests } = syntheticContext(PORTFOLIO, { sitesApi: false });
    await expect(callTool(compareSitesTool, { metrics: ["visitors"], date_range: "28d" }, context)).rejects.toThrow(
      /no Sites API .* give the domains to compare, e\.g\. site_ids/,
    );
    expect(requests).toHaveLength(1);
    const { structured } = await callTool(
      compareSitesTool,
      { metrics: ["visitors", "pageviews"], date_range: "28d", site_ids: ["e.synthetic.test", "b.synthetic.test"] },
      context,
    );
    expect(structured.sites.map((row) => row.site_id)).toEqual(["b.synthetic.test", "e.synthetic.test"]);
    expect(structured.sites[0]!.metrics.pageviews!.verdict).toBe("increase");
    expect(structured.requests).toBe(2 * 4);
  });

  it("reports a site it cannot read in its row, keeping the others", async () => {
    const { context } = syntheticContext(PORTFOLIO);
    const { structured } = await callTool(
      compareSitesTool,
      { metrics: ["visitors"], date_range: "28d", site_ids: ["a.synthetic.test", "unknown.example"] },
      context,
    );
    expect(structured.sites.map((row) => row.site_id)).toEqual(["a.synthetic.test", "unknown.example"]);
    expect(structured.sites[1]!.error).toMatch(/Invalid API key or site ID/);
  });

  it("refuses periods whose preceding period is ambiguous, pages past the end and more than 3 metrics, before any request", async () => {
    const { context, requests } = syntheticContext(PORTFOLIO);
    await expect(callTool(compareSitesTool, { metrics: ["visitors"], date_range: "month" }, context)).rejects.toThrow(/"Nd"/);
    await expect(callTool(compareSitesTool, { date_range: "28d", site_ids: ["a.synthetic.test"], page: 2 }, context)).rejects.toThrow(
      /the last page is 1/,
    );
    expect(requests).toHaveLength(0);
    expect(inputProblem(compareSitesTool, { metrics: ["visitors", "visits", "pageviews", "events"], date_range: "28d" })).toContain(
      "at most 3",
    );
  });
});
