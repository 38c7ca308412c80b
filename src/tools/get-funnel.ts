import { z } from "zod";
import type { Filter } from "../plausible";
import { buildFilters, queryEcho, resolveSiteId, runQueries } from "./query-parts";
import { describeRange, table } from "./render";
import { dateRange, dateRangeOutput, filters, propertyFilters, queryEchoOutput, siteId } from "./schemas";
import { defineTool } from "./types";

const ORDER_NOTE =
  "Plausible has no funnel query: step k counts the visitors whose visits did steps 1 to k " +
  "(has_done filters), in any order within the visit; the order of the steps is not enforced.";

/** A step as a behavioural condition: a path (with * wildcards) is a pageview, anything else a goal name. */
function stepFilter(step: string): Filter {
  if (!step.startsWith("/")) return ["has_done", ["is", "event:goal", [step]]];
  if (!step.includes("*")) return ["has_done", ["is", "event:page", [step]]];
  // ** spans path segments, * stays within one; everything else is literal.
  const pattern = step
    .split(/(\*\*|\*)/)
    .map((part) => (part === "**" ? ".*" : part === "*" ? "[^/]*" : part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")))
    .join("");
  return ["has_done", ["matches", "event:page", [`^${pattern}$`]]];
}

export const getFunnelTool = defineTool({
  name: "get_funnel",
  title: "Funnel",
  description: [
    "Visitors per funnel step, the conversion from the previous step and from the first, and the biggest drop.",
    'Each step is a page path ("/pricing"), a wildcard path ("/blog/*", "/docs/**") or a goal name ("Signup").',
    `${ORDER_NOTE} Makes one Plausible request per step (2 to 8), all in parallel.`,
    "Example: where do people drop out between the landing page and signup?",
  ],
  inputSchema: z.object({
    site_id: siteId,
    steps: z.array(z.string().min(1)).min(2).max(8).describe('2 to 8 steps, e.g. ["/", "/pricing", "/signup", "Signup"]'),
    date_range: dateRange.default("28d"),
    filters,
    property_filters: propertyFilters,
  }),
  outputSchema: z.object({
    site_id: z.string(),
    date_range: dateRangeOutput,
    ...queryEchoOutput,
    steps: z.array(
      z.object({
        step: z.string(),
        visitors: z.number(),
        from_previous_percent: z.number().nullable(),
        from_first_percent: z.number().nullable(),
      }),
    ),
    biggest_drop: z.object({ from: z.string(), to: z.string(), lost_visitors: z.number(), lost_percent: z.number().nullable() }),
    note: z.string(),
  }),
  async run(input, context) {
    const site = resolveSiteId(input.site_id, context);
    const narrowing = buildFilters(input) ?? [];
    const conditions = input.steps.map(stepFilter);
    const answers = await runQueries(
      context,
      conditions.map((_, index) => ({
        site_id: site,
        metrics: ["visitors"],
        date_range: input.date_range,
        filters: [...narrowing, ...conditions.slice(0, index + 1)],
      })),
    );
    const counts = answers.map((answer) => Number(answer.results[0]?.metrics[0] ?? 0));
    const percent = (part: number, whole: number | undefined) => (whole ? Math.round((part / whole) * 1000) / 10 : null);
    const steps = input.steps.map((step, index) => ({
      step,
      visitors: counts[index]!,
      from_previous_percent: index === 0 ? null : percent(counts[index]!, counts[index - 1]),
      from_first_percent: percent(counts[index]!, counts[0]),
    }));
    const drops = steps.slice(1).map((step, index) => ({
      from: steps[index]!.step,
      to: step.step,
      lost_visitors: steps[index]!.visitors - step.visitors,
      lost_percent: step.from_previous_percent === null ? null : Math.round((100 - step.from_previous_percent) * 10) / 10,
    }));
    const biggest = drops.reduce((worst, drop) => (drop.lost_visitors > worst.lost_visitors ? drop : worst));
    const echo = queryEcho(answers[0], narrowing);
    return {
      structured: { site_id: site, date_range: input.date_range, ...echo, steps, biggest_drop: biggest, note: ORDER_NOTE },
      text: [
        `${site}, ${describeRange(echo.date_range_resolved ?? input.date_range)}: biggest drop ` +
          `${biggest.from} → ${biggest.to} (${biggest.lost_visitors} visitors, ` +
          `${biggest.lost_percent ?? "–"} %)`,
        table(
          ["step", "visitors", "from previous %", "from first %"],
          steps.map((step) => [step.step, step.visitors, step.from_previous_percent, step.from_first_percent]),
        ),
        ORDER_NOTE,
      ].join("\n"),
    };
  },
});
