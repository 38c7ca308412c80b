import { z } from "zod";
import { METRICS } from "../plausible";
import type { TeamMemory } from "../tools";
import { addDays, dateIn } from "../tools/dates";
import { explainChangeTool } from "../tools/explain-change";
import { TARGET_METRICS, type Annotation, type Target } from "../tools/team-memory";

/**
 * Prompts a user picks from the client's menu. Each returns one user message that
 * leads the model through the tools (which to call, with which arguments, what
 * to report); the numbers come from the tools, never from the prompt.
 */
export interface PromptDefinition<Args extends z.ZodObject = z.ZodObject> {
  name: string;
  title: string;
  description: string;
  /** Prompt arguments are strings on the wire; each is described for the client's form. */
  argsSchema: Args;
  message(args: z.output<Args>): string;
  /** What the caller's team memory holds that bears on the prompt, added after the message; undefined when nothing does. */
  notes?(args: z.output<Args>, memory: TeamMemory): Promise<string | undefined>;
}

/** A prompt as this module writes it: the description in short lines, as the tools write theirs. */
type PromptSource<Args extends z.ZodObject> = Omit<PromptDefinition<Args>, "description"> & { description: readonly string[] };

function definePrompt<Args extends z.ZodObject>(prompt: PromptSource<Args>): PromptDefinition<Args> {
  return { ...prompt, description: prompt.description.join(" ") };
}

/** The inclusive date pair of `days` days starting `offset` days after `date`. */
function span(date: string, offset: number, days: number): [string, string] {
  return [addDays(date, offset), addDays(date, offset + days - 1)];
}
const pair = ([from, to]: [string, string]) => `["${from}", "${to}"]`;

const siteId = z.string().min(1).describe("The site's domain, e.g. example.com");
const day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, "a date as YYYY-MM-DD")
  .refine((text) => !Number.isNaN(Date.parse(`${text}T00:00:00Z`)) && addDays(text, 0) === text, "a real calendar date");
const RULES =
  "Use only numbers the tools return; if a tool fails, say which and why instead of guessing. Keep " +
  "the report short: a few sentences and a small table, no preamble.";

const today = () => dateIn("UTC", new Date());
const monthOf = (date: string) => date.slice(0, 7);
const quarterOf = (date: string) => `${date.slice(0, 4)}-Q${Math.ceil(Number(date.slice(5, 7)) / 3)}`;

/** The targets set for the month and the quarter `date` falls in, for `metrics`. */
async function targetsAround(memory: TeamMemory, site: string, date: string, metrics: readonly string[]): Promise<Target[]> {
  const periods = [monthOf(date), quarterOf(date)];
  const found = await Promise.all(metrics.flatMap((metric) => periods.map((period) => memory.getTarget(site, metric, period))));
  return found.filter((target): target is Target => target !== null);
}

/**
 * The team's notes for a prompt: the site's context, the annotations of `days` and the targets of the
 * period around `date`, each with how to use it; undefined when the memory holds none of them.
 */
async function teamNotes(memory: TeamMemory, site: string, days: [string, string], targets: Target[]): Promise<string | undefined> {
  const [context, annotations] = await Promise.all([memory.getSiteContext(site), memory.listAnnotations(site, ...days)]);
  const lines = [
    ...(context ? [`Site context (what the team says about ${site}; read the numbers with it):\n${context}`] : []),
    ...(annotations.length > 0
      ? [
          `Annotations ${days[0]} to ${days[1]} ` +
            "(name the one on or just before a day that moved; measure_impact with its annotation_id tests it):",
          ...annotations.map((annotation: Annotation) => `- ${annotation.at} ${annotation.kind}: ${annotation.text} (${annotation.id})`),
        ]
      : []),
    ...(targets.length > 0
      ? [
          `Targets (say whether the site is on pace: get_pacing with site_id "${site}" and the metric):`,
          ...targets.map((target) => `- ${target.metric}: ${target.value} in ${target.period}`),
        ]
      : []),
  ];
  return lines.length > 0 ? `What the team noted:\n${lines.join("\n")}` : undefined;
}

export const weeklyReportPrompt = definePrompt({
  name: "weekly_report",
  title: "Weekly report",
  description: ["A report of the last 7 full days against the 7 before: traffic, the daily curve, top pages and sources, goals."],
  argsSchema: z.object({ site_id: siteId }),
  message: ({ site_id }) => `Write a weekly traffic report for ${site_id}.

1. compare_periods with site_id "${site_id}", current "7d" (previous is the 7 days before), metrics ["visitors", "visits", "pageviews", \
"bounce_rate", "visit_duration"].
2. get_timeseries with site_id "${site_id}", date_range "7d", interval "day", metrics ["visitors", "pageviews"].
3. get_breakdown with site_id "${site_id}", date_range "7d", dimension "event:page", limit 10; then the same with dimension "visit:source".
4. get_conversions with site_id "${site_id}", date_range "7d".

Report: the headline numbers with their % change, the best and worst day, the top pages and sources, and the goals' conversions. Flag \
any change beyond ±20%. ${RULES}`,
  notes: async ({ site_id }, memory) => {
    const now = today();
    return teamNotes(memory, site_id, span(now, -14, 15), await targetsAround(memory, site_id, now, TARGET_METRICS));
  },
});

export const investigateChangePrompt = definePrompt({
  name: "investigate_change",
  title: "Investigate a change",
  description: [
    "Find out why a metric moved: which days were unusual, whether it is more than noise,",
    "and which sources, pages, countries or devices drove it.",
  ],
  argsSchema: z.object({
    site_id: siteId,
    metric: z.enum(METRICS).optional().describe("The metric that changed, e.g. visitors (default) or bounce_rate"),
    date: day.optional().describe("The day the change started, YYYY-MM-DD; omit for the last 7 days"),
  }),
  message: ({ site_id, metric = "visitors", date }) => {
    const after = date ? span(date, 0, 7) : undefined;
    const before = date ? span(date, -7, 7) : undefined;
    const period = after ? pair(after) : '"7d"';
    const periods = after && before ? `current ${pair(after)}, previous ${pair(before)}` : 'current "7d"';
    const series = after ? `date_range ${pair([span(date!, -28, 1)[0], after[1]])}` : 'date_range "28d"';
    // explain_change attributes counts; a rate's change is explained through the traffic behind it.
    const explained = explainChangeTool.inputSchema.shape.metric.safeParse(metric).success ? metric : "visitors";
    return `Investigate why ${metric} changed on ${site_id}${date ? ` from ${date}` : " recently"}.

1. explain_change with site_id "${site_id}", metric "${explained}", period ${period}: the days that were unusual against the same \
weekdays of the 8 weeks before, whether the total moved beyond its noise, the sources, channels, pages, countries and devices that \
account for the change, and any of their values that jumped on its own (anomalies).
2. compare_periods with site_id "${site_id}", ${periods}, metrics ["${metric}", "visitors"]: whether the change exceeds day-to-day noise \
(its p-value and significant flag).
3. get_timeseries with site_id "${site_id}", ${series}, interval "day", metrics ["${metric}"]: the curve before and after, to see when \
it moved and whether it is recovering.

Report: the size and start of the change, whether it is significant, the two or three segments that explain most of it (with numbers), \
and what to check next. If nothing stands out, say the change is within normal variation. ${RULES}`;
  },
  notes: async ({ site_id, metric = "visitors", date }, memory) => {
    const start = date ?? addDays(today(), -7);
    const days = date ? span(date, -28, 36) : span(today(), -35, 36);
    const counted = (TARGET_METRICS as readonly string[]).includes(metric) ? [metric] : [];
    return teamNotes(memory, site_id, days, await targetsAround(memory, site_id, start, counted));
  },
});

const launchReviewPrompt = definePrompt({
  name: "launch_review",
  title: "Launch review",
  description: [
    "How a launch or release day did: the two weeks after it against the two weeks before,",
    "whether the change is real, where the visitors came from and whether they converted.",
  ],
  argsSchema: z.object({
    site_id: siteId,
    date: day.describe("The launch day, YYYY-MM-DD"),
    page: z.string().min(1).optional().describe('The launched page, e.g. "/pricing"; omit for the whole site'),
  }),
  message: ({ site_id, date, page }) => {
    const after = span(date, 0, 14);
    const before = span(date, -14, 14);
    const scope = page ? `, page "${page}"` : "";
    return `Review the launch on ${date} for ${site_id}${page ? ` (page ${page})` : ""}.

1. measure_impact with site_id "${site_id}"${scope}, event "${date}", window_days 14, metrics ["visitors", "pageviews", "bounce_rate"]: \
the change with its confidence interval and verdict.
2. get_timeseries with site_id "${site_id}"${scope}, date_range ${pair([before[0], after[1]])}, interval "day", metrics ["visitors"]: \
the spike, and whether traffic stayed above the level before.
3. get_breakdown with site_id "${site_id}"${scope}, date_range ${pair(after)}, dimension "visit:source", limit 10; and dimension \
"visit:referrer", limit 10.
4. get_conversions with site_id "${site_id}"${scope}, date_range ${pair(after)}, and the same for ${pair(before)}.

Report: the lift (absolute and %) and whether it is a detectable change, how long it lasted, the sources that brought it, and whether it \
converted. Days after today have no data yet: say so rather than reading them as a drop. ${RULES}`;
  },
});

const conversionReviewPrompt = definePrompt({
  name: "conversion_review",
  title: "Conversion review",
  description: ["How a goal (or every goal) converts: the rate over time, by source and by page, against the previous period."],
  argsSchema: z.object({
    site_id: siteId,
    goal: z.string().min(1).optional().describe('The goal\'s name, e.g. "Signup"; omit to review every goal'),
  }),
  message: ({ site_id, goal }) => {
    const scope = goal ? `, goal "${goal}"` : "";
    // Without a goal, the per-goal steps take the goals that convert most.
    const eachGoal = goal ? scope : ", goal set to each of the three goals with the most conversions in step 2";
    const topGoal = goal ? scope : ", goal set to the goal with the most conversions";
    return `Review ${goal ? `the conversions of the goal "${goal}"` : "the goals' conversions"} on ${site_id} over the last 28 days.

1. list_goals with site_id \
"${site_id}"${goal ? " to confirm the goal's exact name (use it as written there)" : " for the configured goals"}.
2. get_conversions with site_id "${site_id}"${scope}, date_range "28d".
3. compare_periods with site_id "${site_id}"${eachGoal}, current "28d", metrics ["visitors", "conversion_rate"].
4. get_breakdown with site_id "${site_id}"${topGoal}, date_range "28d", dimension "visit:source", metrics ["visitors", \
"conversion_rate"], limit 10.
5. get_conversions with site_id "${site_id}"${scope}, date_range "28d", per_page true, limit 10.

Report: the conversion rate and converting visitors with their change, the sources and pages that convert best and worst, and one \
suggestion. ${RULES}`;
  },
});

export const PROMPTS = [
  weeklyReportPrompt,
  investigateChangePrompt,
  launchReviewPrompt,
  conversionReviewPrompt,
] as const satisfies readonly PromptDefinition[];
