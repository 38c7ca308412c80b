import { z } from "zod";
import { isSitesApiMissing, type Goal, type QueryResult } from "../plausible";
import { resolveSiteId } from "./query-parts";
import { siteId, truncation } from "./schemas";
import { defineTool } from "./types";

const FALLBACK_RANGE = "12mo";
const NARROW = "ask the user which goal they mean, or get_conversions with a goal filter";

function goalTarget(goal: { event_name: string | null; page_path: string | null; scroll_threshold?: number }): string {
  if (goal.scroll_threshold !== undefined) return `${goal.page_path ?? "any page"} scrolled ${goal.scroll_threshold}%`;
  return goal.event_name ?? goal.page_path ?? "";
}

export const listGoalsTool = defineTool({
  name: "list_goals",
  title: "List goals",
  description: [
    "The goals configured for a site (custom events, pageview goals and scroll-depth goals),",
    "by the names to use in `goal` arguments and event:goal filters.",
  ],
  inputSchema: z.object({ site_id: siteId }),
  outputSchema: z.object({
    site_id: z.string(),
    goals: z.array(
      z.object({
        name: z.string(),
        goal_type: z.enum(["event", "page", "scroll"]).optional(),
        event_name: z.string().nullable().optional(),
        page_path: z.string().nullable().optional(),
        scroll_threshold: z.number().optional().describe("Scroll goals: percent of the page a visitor scrolled past"),
      }),
    ),
    source: z.enum(["sites_api", "conversions_breakdown"]),
    note: z.string().optional(),
    ...truncation,
  }),
  async run(input, context) {
    const site = resolveSiteId(input.site_id, context);
    try {
      const [goals] = (await context.plausible([{ kind: "goals", siteId: site }])) as [Goal[]];
      const listed = goals.map((goal) => ({
        name: goal.display_name,
        goal_type: goal.goal_type,
        event_name: goal.event_name,
        page_path: goal.page_path,
        // Plausible gives other goal types a threshold of -1: only a scroll goal's means something.
        ...(goal.goal_type === "scroll" && goal.scroll_threshold !== undefined ? { scroll_threshold: goal.scroll_threshold } : {}),
      }));
      return {
        structured: { site_id: site, goals: listed, source: "sites_api" as const },
        text: `${site}: goals`,
        listing: {
          key: "goals",
          headers: ["goal", "type", "event / page"],
          cells: listed.map((goal) => [goal.name, goal.goal_type, goalTarget(goal)]),
          narrow: NARROW,
        },
      };
    } catch (error) {
      if (!isSitesApiMissing(error)) throw error;
      // Without the Sites API, the goals that converted recently are the ones a breakdown by goal shows.
      const [answer] = (await context.plausible([
        { kind: "query", body: { site_id: site, metrics: ["visitors"], date_range: FALLBACK_RANGE, dimensions: ["event:goal"] } },
      ])) as [QueryResult];
      const goals = answer.results.map((row) => ({ name: String(row.dimensions[0]) }));
      const note =
        "This Plausible instance has no Sites API, so these are the goals with conversions in the last " +
        `${FALLBACK_RANGE}; goals without conversions are not shown.`;
      return {
        structured: { site_id: site, goals, source: "conversions_breakdown" as const, note },
        text: note,
        listing: { key: "goals", headers: ["goal"], cells: goals.map((goal) => [goal.name]), narrow: NARROW },
      };
    }
  },
});
