import { describe, expect, it } from "vitest";
import { PlausibleApiError, type PlausibleRequest } from "../../src/plausible";
import { listGoalsTool } from "../../src/tools/list-goals";
import { callTool, fakeContext, queryResult } from "./fake-context";

const notFound = new PlausibleApiError("Plausible answered 404: Not found", { status: 404, plausibleMessage: "Not found" });

describe("list_goals", () => {
  it("lists the goals from the Sites API", async () => {
    const { context, calls } = fakeContext(() => [
      { id: 1, goal_type: "event", display_name: "Signup", event_name: "Signup", page_path: null },
      { id: 2, goal_type: "page", display_name: "Visit /pricing", event_name: null, page_path: "/pricing", custom_props: {} },
    ]);
    const { structured, text } = await callTool(listGoalsTool, { site_id: "example.com" }, context);
    expect(calls).toEqual([[{ kind: "goals", siteId: "example.com" }]]);
    expect(structured).toEqual({
      site_id: "example.com",
      source: "sites_api",
      goals: [
        { name: "Signup", goal_type: "event", event_name: "Signup", page_path: null },
        { name: "Visit /pricing", goal_type: "page", event_name: null, page_path: "/pricing" },
      ],
    });
    expect(text).toContain("| goal | type | event / page |");
    expect(text).toContain("| Signup | event | Signup |");
    expect(text).toContain("| Visit /pricing | page | /pricing |");
  });

  it("without a Sites API (404) falls back to a breakdown by event:goal and says so", async () => {
    const { context, calls } = fakeContext((request: PlausibleRequest) => {
      if (request.kind === "goals") throw notFound;
      return queryResult([
        [["Signup"], [30]],
        [["Purchase"], [2]],
      ]);
    });
    const { structured, text } = await callTool(listGoalsTool, { site_id: "example.com" }, context);
    expect(calls).toEqual([
      [{ kind: "goals", siteId: "example.com" }],
      [{ kind: "query", body: { site_id: "example.com", metrics: ["visitors"], date_range: "12mo", dimensions: ["event:goal"] } }],
    ]);
    expect(structured).toMatchObject({ source: "conversions_breakdown", goals: [{ name: "Signup" }, { name: "Purchase" }] });
    expect(structured.note).toMatch(/no Sites API.*goals without conversions are not shown/);
    expect(text).toContain("| Signup |");
    expect(text).toContain("| Purchase |");
  });

  it("lets other Plausible errors through", async () => {
    const forbidden = new PlausibleApiError("Plausible answered 402: locked", { status: 402, plausibleMessage: "locked" });
    const { context, calls } = fakeContext(() => {
      throw forbidden;
    });
    await expect(callTool(listGoalsTool, { site_id: "example.com" }, context)).rejects.toBe(forbidden);
    expect(calls).toHaveLength(1);
  });
});
