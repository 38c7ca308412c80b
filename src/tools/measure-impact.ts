import { z } from "zod";
import type { QueryBody, QueryResult } from "../plausible";
import { addDays, datesBetween, siteClock } from "./dates";
import { buildFilters, resolveSiteId, runQueries } from "./query-parts";
import { formatPValue, table } from "./render";
import { dateRangeProblem, narrowing, noRepeats, siteId } from "./schemas";
import { twoProportionZTest, verdict, welchTTest, type TestResult } from "./statistics";
import { defineTool, ToolInputError } from "./types";

const COUNT_METRICS = ["visitors", "visits", "pageviews", "events"] as const;
const RATE_METRICS = ["conversion_rate", "bounce_rate"] as const;
type ImpactMetric = (typeof COUNT_METRICS)[number] | (typeof RATE_METRICS)[number];
const isCount = (metric: ImpactMetric): metric is (typeof COUNT_METRICS)[number] => (COUNT_METRICS as readonly string[]).includes(metric);

const DAY_MS = 86_400_000;
const utcSeconds = (time: number) => new Date(time).toISOString().replace(/\.\d{3}Z$/, "Z");
const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

interface Windows {
  before: [string, string];
  after: [string, string];
  days: number;
  /** time:day buckets for a date, 24-hour blocks of time:hour buckets for a datetime split at its hour. */
  bucket: "time:day" | "time:hour";
  notes: string[];
}

/**
 * Equal, weekday-aligned windows on each side of the event: the event's day is left out
 * (or, for a datetime, the split is at that moment), and whole weeks are kept when the
 * window is a week or longer so both sides hold each weekday equally often.
 */
function windowsAround(event: string, requestedDays: number, today: string, now: number): Windows {
  const notes: string[] = [];
  const isDate = event.length === 10;
  const moment = isDate ? 0 : Date.parse(event);
  const available = isDate
    ? Math.round((Date.parse(`${today}T00:00:00Z`) - Date.parse(`${event}T00:00:00Z`)) / DAY_MS) - 1
    : Math.floor((now - moment) / DAY_MS);
  if (available < 1)
    throw new ToolInputError(
      "event",
      `there is no full day of data after ${event} yet (today is ${today} in the site's timezone); try again later`,
    );
  let days = Math.min(requestedDays, available);
  if (days < requestedDays) notes.push(`The window was clipped to ${days} days: only ${available} full days of data follow the event.`);
  if (days >= 7 && days % 7 !== 0) {
    days -= days % 7;
    notes.push(`Windows of ${days} days (whole weeks) keep the weekday mix of both sides equal.`);
  }
  if (isDate) {
    notes.push(`The event's own day (${event}) is left out of both windows.`);
    return {
      before: [addDays(event, -days), addDays(event, -1)],
      after: [addDays(event, 1), addDays(event, days)],
      days,
      bucket: "time:day",
      notes,
    };
  }
  notes.push(
    "The windows split at the event's moment; daily values are 24-hour blocks of hourly counts, so a visitor active in two hours counts twice.",
  );
  return {
    before: [utcSeconds(moment - days * DAY_MS), utcSeconds(moment - 1000)],
    after: [utcSeconds(moment), utcSeconds(moment + days * DAY_MS - 1000)],
    days,
    bucket: "time:hour",
    notes,
  };
}

/** Per-day values of each count metric in a window, in date order. */
function dailyValues(answer: QueryResult, window: Windows, side: [string, string], metricIndex: number): number[] {
  const byBucket = new Map(answer.results.map((row) => [String(row.dimensions[0]), Number(row.metrics[metricIndex] ?? 0)]));
  if (window.bucket === "time:day") return datesBetween(side[0], side[1]).map((date) => byBucket.get(date) ?? 0);
  const labels = Array.isArray(answer.meta?.time_labels) ? (answer.meta.time_labels as string[]) : [...byBucket.keys()];
  const blocks = Array.from({ length: window.days }, (_, block) =>
    labels.slice(block * 24, block * 24 + 24).reduce((sum, label) => sum + (byBucket.get(label) ?? 0), 0),
  );
  return blocks.slice(0, Math.floor(labels.length / 24));
}

const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);
const first = (answer: QueryResult | undefined, index = 0) => Number(answer?.results[0]?.metrics[index] ?? 0);

export const measureImpactTool = defineTool({
  name: "measure_impact",
  title: "Measure the impact of an event",
  description:
    "Before/after effect of a deploy, campaign or release, with a significance test. Compares equal, weekday-aligned windows on each side of `event` (default 14 days each, clipped to the data available; the event's own day is left out, a datetime splits at its hour). Per metric: before, after, absolute and relative change, a 95 % confidence interval, a p-value, the test used and a verdict (increase, decrease, no detectable change). Counts (visitors, visits, pageviews, events) use Welch's t-test on daily values, which allows for day-to-day variation; conversion_rate (needs `goal`) and bounce_rate use a two-proportion z-test on visitors or visits. Makes at most 9 Plausible requests (1 Sites API lookup, then up to 8 in one parallel batch: per window a daily series for the counts, two totals for conversion_rate, one for bounce_rate). Example: did Tuesday's deploy change signups on /pricing?",
  inputSchema: z.object({
    site_id: siteId,
    event: z
      .string()
      .superRefine((value, ctx) => {
        const problem = dateRangeProblem([value, value]);
        if (problem)
          ctx.addIssue({
            code: "custom",
            message: `give a date "YYYY-MM-DD" (site's timezone) or a datetime with offset "YYYY-MM-DDTHH:MM:SSZ": ${problem}`,
          });
      })
      .describe('When it happened: a date "2024-05-14" (in the site\'s timezone) or a datetime with offset "2024-05-14T15:30:00+02:00"'),
    window_days: z.number().int().min(1).max(90).default(14).describe("Days on each side of the event"),
    metrics: z
      .array(z.enum([...COUNT_METRICS, ...RATE_METRICS]))
      .min(1)
      .superRefine(noRepeats)
      .default(["visitors"])
      .describe("Counts (visitors, visits, pageviews, events) and rates (conversion_rate with `goal`, bounce_rate)"),
    ...narrowing,
  }),
  outputSchema: z.object({
    site_id: z.string(),
    event: z.string(),
    window_days: z.number(),
    before: z.array(z.string()),
    after: z.array(z.string()),
    filters: z.array(z.unknown()),
    results: z.array(
      z.object({
        metric: z.string(),
        before: z.number(),
        after: z.number(),
        change: z.number(),
        change_percent: z.number().nullable(),
        ci95: z.array(z.number()),
        p_value: z.number(),
        test: z.string(),
        verdict: z.enum(["increase", "decrease", "no detectable change"]),
      }),
    ),
    notes: z.array(z.string()),
  }),
  async run(input, context) {
    const site = resolveSiteId(input.site_id, context);
    const metrics = input.metrics as ImpactMetric[];
    if (metrics.includes("conversion_rate") && !input.goal)
      throw new ToolInputError("goal", 'conversion_rate needs the goal to convert on, e.g. goal: "Signup"');
    const clock = await siteClock(context, site);
    const windows = windowsAround(input.event, input.window_days, clock.today, Date.now());
    const filters = buildFilters(input);
    const withoutGoal = buildFilters({ ...input, goal: undefined });
    const counts = metrics.filter(isCount);
    const body = (range: [string, string], metricNames: QueryBody["metrics"], where: typeof filters, dimensions?: string[]): QueryBody => ({
      site_id: site,
      metrics: metricNames,
      date_range: range,
      ...(where ? { filters: where } : {}),
      ...(dimensions ? { dimensions, include: { time_labels: true } } : {}),
    });
    const sides = [windows.before, windows.after];
    const plan: { key: string; body: QueryBody }[] = [];
    for (const [index, side] of sides.entries()) {
      if (counts.length > 0) plan.push({ key: `series${index}`, body: body(side, counts, filters, [windows.bucket]) });
      if (metrics.includes("conversion_rate")) {
        plan.push({ key: `all${index}`, body: body(side, ["visitors"], withoutGoal) });
        plan.push({ key: `converted${index}`, body: body(side, ["visitors"], filters) });
      }
      if (metrics.includes("bounce_rate")) plan.push({ key: `bounces${index}`, body: body(side, ["visits", "bounce_rate"], filters) });
    }
    const answers = await runQueries(
      context,
      plan.map((entry) => entry.body),
    );
    const answer = (key: string) => answers[plan.findIndex((entry) => entry.key === key)];

    const results = metrics.map((metric) => {
      let before: number;
      let after: number;
      let test: TestResult | undefined;
      if (isCount(metric)) {
        const index = counts.indexOf(metric);
        const daily = sides.map((side, which) => dailyValues(answer(`series${which}`)!, windows, side, index));
        [before, after] = daily.map(sum) as [number, number];
        const daysTested = Math.min(daily[0]!.length, daily[1]!.length);
        const welch = welchTTest(daily[0]!, daily[1]!);
        // The test compares daily means; over equal windows the change in the total is that times the days.
        test = welch && {
          ...welch,
          difference: welch.difference * daysTested,
          ci95: [welch.ci95[0] * daysTested, welch.ci95[1] * daysTested],
        };
      } else if (metric === "conversion_rate") {
        const [all0, all1, converted0, converted1] = [
          first(answer("all0")),
          first(answer("all1")),
          first(answer("converted0")),
          first(answer("converted1")),
        ];
        before = all0 === 0 ? 0 : (converted0 / all0) * 100;
        after = all1 === 0 ? 0 : (converted1 / all1) * 100;
        test = twoProportionZTest(converted0, all0, converted1, all1);
      } else {
        const [visits0, visits1] = [first(answer("bounces0")), first(answer("bounces1"))];
        before = first(answer("bounces0"), 1);
        after = first(answer("bounces1"), 1);
        test = twoProportionZTest(Math.round((visits0 * before) / 100), visits0, Math.round((visits1 * after) / 100), visits1);
      }
      const scale = isCount(metric) ? 1 : 100; // proportions are tested as fractions and reported in percentage points
      return {
        metric,
        before: round(before),
        after: round(after),
        change: round(after - before),
        change_percent: before === 0 ? null : round(((after - before) / before) * 100, 1),
        ci95: test ? [round(test.ci95[0] * scale), round(test.ci95[1] * scale)] : [],
        p_value: test ? round(test.pValue, 4) : 1,
        test: test?.test ?? "not enough data for a test",
        verdict: verdict(test),
      };
    });
    const notes = [
      ...windows.notes,
      ...(metrics.every(isCount) ? [] : ["Rates are in %, their change and 95 % CI in percentage points."]),
      ...(clock.note ? [clock.note] : []),
    ];
    return {
      structured: {
        site_id: site,
        event: input.event,
        window_days: windows.days,
        before: windows.before,
        after: windows.after,
        filters: filters ?? [],
        results,
        notes,
      },
      text: [
        `${site}, around ${input.event}: ${windows.days} days before (${windows.before[0]} to ${windows.before[1]}) vs ${windows.days} days after (${windows.after[0]} to ${windows.after[1]})`,
        table(
          ["metric", "before", "after", "change", "change %", "95% CI", "p", "verdict"],
          results.map((row) => [
            row.metric,
            row.before,
            row.after,
            row.change,
            row.change_percent,
            row.ci95.length ? `${row.ci95[0]} to ${row.ci95[1]}` : "–",
            formatPValue(row.p_value),
            row.verdict,
          ]),
        ),
        ...notes,
      ].join("\n"),
    };
  },
});
