import { z } from "zod";
import type { Filter, QueryBody, QueryResult } from "../plausible";
import { DAY_MS } from "../shared/time";
import { addDays, daysBetween, siteDataSpan } from "./dates";
import { buildFilters, resolveSiteId, runQueries } from "./query-parts";
import { formatPValue, round, table } from "./render";
import { dateOrDatetime, narrowing, noRepeats, siteId } from "./schemas";
import { clusteredRatioTest, placeboLogRatioTest, verdict, type RateDay, type TestResult } from "./statistics";
import { annotationOutput, annotationRecord } from "./memory-schemas";
import type { Annotation } from "./team-memory";
import { defineTool, ToolInputError, type ToolContext } from "./types";

const COUNT_METRICS = ["visitors", "visits", "pageviews", "events"] as const;
const RATE_METRICS = ["conversion_rate", "bounce_rate"] as const;
type ImpactMetric = (typeof COUNT_METRICS)[number] | (typeof RATE_METRICS)[number];
const isCount = (metric: ImpactMetric): metric is (typeof COUNT_METRICS)[number] => (COUNT_METRICS as readonly string[]).includes(metric);

/** Days of history before the windows whose pseudo-events give the counts' null scale (26 weeks). */
const HISTORY_DAYS = 182;
/**
 * Plausible reports bounce_rate in whole percent per bucket, so each window's rate may be off by up to
 * 0.5 percentage points; taken as uniform and independent per window, that adds 2 x 0.005² / 3 to the
 * variance of the difference (as fractions).
 */
const BOUNCE_ROUNDING_VARIANCE = (2 * 0.005 ** 2) / 3;
/** The fewest (overlapping) pseudo-event windows' worth of history a count test uses: about 3 degrees of freedom. */
const MINIMUM_DEGREES = 3;

const utcSeconds = (time: number) => new Date(time).toISOString().replace(/\.\d{3}Z$/, "Z");
const sum = (values: readonly number[]) => values.reduce((total, value) => total + value, 0);
const offsets = (first: number, last: number) => Array.from({ length: Math.max(0, last - first + 1) }, (_, index) => first + index);

/**
 * The windows as "blocks" counted from the event: block 0 is the event's day for a date (left out of
 * both windows) or the 24 hours from the event's moment for a datetime (the first block after it).
 */
interface Windows {
  days: number;
  /** Block offsets of each window. */
  afterBlocks: number[];
  beforeBlocks: number[];
  /** The first block of history the counts' series starts at (clipped to the site's data). */
  historyStart: number;
  /** Display range of each window (dates, or datetimes for a datetime event). */
  before: [string, string];
  after: [string, string];
  /** Why the windows cannot be tested, when they cannot. */
  untestable?: string;
  notes: string[];
}

interface Event {
  isDate: boolean;
  /** The event's date, or its moment in milliseconds. */
  date: string;
  moment: number;
}

function parseEvent(event: string): Event {
  const isDate = event.length === 10;
  return { isDate, date: isDate ? event : new Date(event).toISOString().slice(0, 10), moment: isDate ? 0 : Date.parse(event) };
}

/** The first day (date) or instant of block `offset`. */
function blockStart(event: Event, offset: number): string {
  return event.isDate ? addDays(event.date, offset) : utcSeconds(event.moment + offset * DAY_MS);
}

function blockEnd(event: Event, offset: number): string {
  return event.isDate ? addDays(event.date, offset) : utcSeconds(event.moment + (offset + 1) * DAY_MS - 1000);
}

/**
 * Equal windows on each side of the event, with the same weekdays on both sides: whole weeks when a
 * window is a week or longer, else the same weekdays a week earlier. Clipped to the days that are over
 * and to the site's first day with data (days before it are not zero traffic, they are no data).
 */
function windowsAround(event: Event, requestedDays: number, today: string, firstDay: string, now: number): Windows {
  const notes: string[] = [];
  const gap = event.isDate ? 1 : 0;
  const availableAfter = event.isDate ? daysBetween(event.date, today) - 2 : Math.floor((now - event.moment) / DAY_MS);
  if (availableAfter < 1)
    throw new ToolInputError(
      "event",
      `there is no full day of data after ${event.isDate ? event.date : utcSeconds(event.moment)} yet ` +
        `(today is ${today} in the site's timezone); try again later`,
    );
  // Whole blocks before the event that lie on or after the site's first day with data.
  const availableBefore = Math.max(0, daysBetween(firstDay, event.date) - 1);
  if (availableBefore < 1)
    throw new ToolInputError(
      "event",
      `the site's data start on ${firstDay}, so there is no day before the event to compare with; pick a later event or use get_timeseries`,
    );
  let days = Math.min(requestedDays, availableAfter);
  if (days < requestedDays)
    notes.push(`The windows were clipped to ${days} days: only ${availableAfter} full days of data follow the event.`);
  if (days >= 7 && availableBefore < days) {
    days = availableBefore;
    notes.push(
      `The windows were clipped to ${days} days: the site's data start on ${firstDay}; days before it are not counted as zero traffic.`,
    );
  }
  let untestable: string | undefined;
  let beforeBlocks: number[];
  if (days >= 7) {
    if (days % 7 !== 0) {
      days -= days % 7;
      notes.push(`Windows of ${days} days (whole weeks) keep the weekday mix of both sides equal.`);
    }
    beforeBlocks = offsets(-days, -1);
  } else if (availableBefore >= 7 - gap) {
    beforeBlocks = offsets(gap - 7, gap - 7 + days - 1);
    notes.push(`Windows shorter than a week: the ${days} day(s) after the event are compared with the same weekdays a week earlier.`);
  } else {
    days = Math.min(days, availableBefore);
    beforeBlocks = offsets(-days, -1);
    untestable =
      `the site's data start on ${firstDay}, ${availableBefore} day(s) before the event: too few to ` +
      "compare the same weekdays, so the change shown mixes in the weekday pattern";
  }
  const afterBlocks = offsets(gap, gap + days - 1);
  if (event.isDate) notes.push(`The event's own day (${event.date}) is left out of both windows.`);
  else
    notes.push(
      "The windows split at the event's moment; daily values are 24-hour blocks of hourly counts, so a " +
        "visitor active in two hours counts twice.",
    );
  const historyStart = Math.max(beforeBlocks[0]! - HISTORY_DAYS, -availableBefore);
  if (historyStart > beforeBlocks[0]! - HISTORY_DAYS)
    notes.push(`The history before the windows starts at the site's first day with data (${firstDay}).`);
  return {
    days,
    afterBlocks,
    beforeBlocks,
    historyStart,
    before: [blockStart(event, beforeBlocks[0]!), blockEnd(event, beforeBlocks.at(-1)!)],
    after: [blockStart(event, afterBlocks[0]!), blockEnd(event, afterBlocks.at(-1)!)],
    ...(untestable ? { untestable } : {}),
    notes,
  };
}

/**
 * Per-block values of metric `metricIndex` from a series that starts at block `first` and ends with the
 * after window. Days (or hours) without a row are zero: the series starts on or after the site's first day with data.
 */
function blockValues(answer: QueryResult, event: Event, first: number, last: number, metricIndex: number): Map<number, number> {
  const byBucket = new Map(answer.results.map((row) => [String(row.dimensions[0]), Number(row.metrics[metricIndex] ?? 0)]));
  const values = new Map<number, number>();
  if (event.isDate) {
    for (const offset of offsets(first, last)) values.set(offset, byBucket.get(addDays(event.date, offset)) ?? 0);
    return values;
  }
  const labels = Array.isArray(answer.meta?.time_labels) ? (answer.meta.time_labels as string[]) : [...byBucket.keys()];
  for (const offset of offsets(first, last)) {
    const start = (offset - first) * 24;
    if (start + 24 > labels.length) break;
    values.set(offset, sum(labels.slice(start, start + 24).map((label) => byBucket.get(label) ?? 0)));
  }
  return values;
}

/**
 * The placebo test of a count: the after/before log ratio against the same ratio at every earlier
 * position in the history, or why there is none.
 */
function countTest(values: Map<number, number>, windows: Windows, firstDay: string): { test?: TestResult; reason?: string } {
  if (windows.untestable) return { reason: windows.untestable };
  const first = windows.historyStart;
  const lastAfter = windows.afterBlocks.at(-1)!;
  const series = offsets(first, lastAfter).map((offset) => values.get(offset) ?? 0);
  const toIndex = (offset: number) => offset - first;
  // A pseudo-event's after window must end before the event's own block; its before window must start within the history.
  const shifts = offsets(lastAfter + 1, windows.beforeBlocks[0]! - first);
  const test = placeboLogRatioTest(series, windows.afterBlocks.map(toIndex), windows.beforeBlocks.map(toIndex), shifts, MINIMUM_DEGREES);
  if (test) return { test };
  if (shifts.length >= MINIMUM_DEGREES * windows.days) return { reason: "there is no traffic in the windows or their history to test" };
  const needed = MINIMUM_DEGREES * windows.days + lastAfter - windows.beforeBlocks[0]!;
  return {
    reason:
      `the site's data start on ${firstDay}: the test learns the site's usual variation from at least ` +
      `${needed} days of data before the event`,
  };
}

const countQueryMetrics = (metrics: readonly ImpactMetric[]) => {
  const counts = metrics.filter(isCount);
  return metrics.includes("conversion_rate") && !counts.includes("visitors") ? [...counts, "visitors" as const] : counts;
};

interface ResultRow {
  metric: string;
  before: number;
  after: number;
  change: number;
  change_percent: number | null;
  ci95: number[];
  p_value: number | null;
  test: string;
  verdict: ReturnType<typeof verdict>;
  reason?: string;
}

function resultRow(
  metric: ImpactMetric,
  before: number,
  after: number,
  test: TestResult | undefined,
  reason: string | undefined,
): ResultRow {
  const scale = isCount(metric) ? 1 : 100; // rates are tested as fractions and reported in percentage points
  // A count's test is on the log ratio of the windows; its interval is turned into one for the total's change.
  const interval = (bound: number) => (isCount(metric) ? before * (Math.exp(bound) - 1) : bound * scale);
  return {
    metric,
    before: round(before, 2),
    after: round(after, 2),
    change: round(after - before, 2),
    change_percent: before === 0 ? null : round(((after - before) / before) * 100, 1),
    ci95: test && !reason ? [round(interval(test.ci95[0]), 2), round(interval(test.ci95[1]), 2)] : [],
    p_value: test && !reason ? round(test.pValue, 4) : null,
    test: test && !reason ? test.test : "not tested",
    verdict: reason ? "not tested" : verdict(test),
    ...(reason || !test ? { reason: reason ?? "no variation to test against" } : {}),
  };
}

/** The event's date or datetime: as given, or an annotation's of this site. */
async function eventOf(
  input: { event?: string | undefined; annotation_id?: string | undefined },
  site: string,
  context: ToolContext,
): Promise<{ at: string; annotation?: Annotation }> {
  if (input.event !== undefined && input.annotation_id !== undefined)
    throw new ToolInputError("annotation_id", "give either event or annotation_id, not both");
  if (input.event !== undefined) return { at: input.event };
  if (input.annotation_id === undefined)
    throw new ToolInputError("event", 'say when it happened: a date "2024-05-14", a datetime with offset, or an annotation_id');
  const annotation = await context.memory.getAnnotation(input.annotation_id);
  if (!annotation)
    throw new ToolInputError("annotation_id", `there is no annotation ${input.annotation_id} here; list_annotations shows the ids`);
  if (annotation.siteId !== site)
    throw new ToolInputError(
      "annotation_id",
      `${input.annotation_id} is an annotation of ${annotation.siteId}, not ${site}; use that site_id`,
    );
  return { at: annotation.at, annotation };
}

export const measureImpactTool = defineTool({
  name: "measure_impact",
  title: "Measure the impact of an event",
  description: [
    "Before/after effect of a deploy, campaign or release, with a significance test.",
    "Compares equal windows on each side of `event` (default 14 days each; whole weeks,",
    "or for windows under a week the same weekdays a week earlier;",
    "clipped to complete days and to the site's first day with data;",
    "the event's own day is left out, a datetime splits at its moment).",
    "Per metric: before, after, absolute and relative change, a 95 % confidence interval, a p-value,",
    "the test used and a verdict (increase, decrease, no detectable change, or not tested with the reason).",
    "Counts (visitors, visits, pageviews, events): the log ratio of the after and before totals,",
    "tested against the same ratio at pseudo-events in the 26 weeks before (the site's own weekday pattern,",
    "day-to-day noise and carry-over).",
    "conversion_rate (needs `goal`; with `page`, converters who also viewed the page among the page's visitors)",
    "and bounce_rate (with `page`, visits that entered on the page): per-day numerators",
    "and denominators in a day-clustered ratio test.",
    "`goal` narrows only the conversion_rate numerator.",
    "Makes at most 4 Plausible requests: one for the \"all\" range (Plausible's echo gives the site's today and first day",
    "with data), then in one parallel batch a daily series of the counts over the windows and their history,",
    "converters per day for conversion_rate, visits and bounce_rate per day for bounce_rate.",
    "Give annotation_id instead of event to take an annotation's date or datetime (list_annotations shows ids).",
    "Example: did Tuesday's deploy change signups among visitors of /pricing?",
  ],
  inputSchema: z.object({
    site_id: siteId,
    event: dateOrDatetime
      .optional()
      .describe(
        [
          'When it happened: a date "2024-05-14" (in the site\'s timezone)',
          'or a datetime with offset "2024-05-14T15:30:00+02:00"; or give annotation_id',
        ].join(" "),
      ),
    annotation_id: z
      .string()
      .min(1)
      .optional()
      .describe("Instead of event: an annotation (list_annotations shows ids) whose date or datetime is the event"),
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
    annotation: annotationOutput.optional().describe("The annotation the event was taken from, with annotation_id"),
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
        p_value: z.number().nullable(),
        test: z.string(),
        verdict: z.enum(["increase", "decrease", "no detectable change", "not tested"]),
        reason: z.string().optional().describe('Why no test was possible, with verdict "not tested"'),
      }),
    ),
    notes: z.array(z.string()),
  }),
  async run(input, context) {
    const site = resolveSiteId(input.site_id, context);
    const { at, annotation } = await eventOf(input, site, context);
    const metrics = input.metrics as ImpactMetric[];
    if (metrics.includes("conversion_rate") && !input.goal)
      throw new ToolInputError("goal", 'conversion_rate needs the goal to convert on, e.g. goal: "Signup"');
    if (input.goal && !metrics.includes("conversion_rate"))
      throw new ToolInputError(
        "goal",
        'narrows only conversion_rate (the converters); add "conversion_rate" to metrics, or count goal ' +
          'completions with filters: [["is", "event:goal", ["<goal>"]]]',
      );
    const filters = buildFilters(input); // checks the shortcuts against the filters
    const span = await siteDataSpan(context, site);
    const event = parseEvent(at);
    const eventLabel = annotation ? `${at} (${annotation.kind}: ${annotation.text})` : at;
    const windows = windowsAround(event, input.window_days, span.today, span.firstDay, Date.now());

    // Counts and the conversion denominator: every visit that matches the filters (and the page), never only converters.
    const visitFilters = buildFilters({ ...input, goal: undefined });
    const unpaged = buildFilters({ ...input, page: undefined, goal: undefined }) ?? [];
    const goalFilter: Filter = ["is", "event:goal", [input.goal ?? ""]];
    // Plausible applies event:page and event:goal to the same event; "converted after viewing the page" is has_done on the page.
    const converterFilters: Filter[] = input.page
      ? [...unpaged, ["has_done", ["is", "event:page", [input.page]]], goalFilter]
      : [...unpaged, goalFilter];
    // With a page, Plausible's bounce_rate counts visits that entered on it: their base is the page's entries.
    const bounceFilters: Filter[] | undefined = input.page ? [...unpaged, ["is", "visit:entry_page", [input.page]]] : visitFilters;

    const bucket = event.isDate ? "time:day" : "time:hour";
    const rangeOf = (first: number, last: number): [string, string] => [blockStart(event, first), blockEnd(event, last)];
    const lastBlock = windows.afterBlocks.at(-1)!;
    const windowsStart = Math.min(windows.beforeBlocks[0]!, windows.afterBlocks[0]!);
    const series = (metricNames: QueryBody["metrics"], where: Filter[] | undefined, first: number): QueryBody => ({
      site_id: site,
      metrics: metricNames,
      date_range: rangeOf(first, lastBlock),
      dimensions: [bucket],
      ...(where && where.length > 0 ? { filters: where } : {}),
      include: { time_labels: true },
    });
    const countMetrics = countQueryMetrics(metrics);
    const plan: { key: string; body: QueryBody }[] = [];
    if (countMetrics.length > 0) plan.push({ key: "counts", body: series(countMetrics, visitFilters, windows.historyStart) });
    if (metrics.includes("conversion_rate")) plan.push({ key: "converters", body: series(["visitors"], converterFilters, windowsStart) });
    if (metrics.includes("bounce_rate"))
      plan.push({ key: "bounces", body: series(["visits", "bounce_rate"], bounceFilters, windowsStart) });
    const answers = await runQueries(
      context,
      plan.map((entry) => entry.body),
    );
    const answer = (key: string) => answers[plan.findIndex((entry) => entry.key === key)]!;
    const values = (key: string, first: number, metricIndex: number) => blockValues(answer(key), event, first, lastBlock, metricIndex);
    const windowSums = (blocks: Map<number, number>) =>
      [windows.beforeBlocks, windows.afterBlocks].map((window) => sum(window.map((offset) => blocks.get(offset) ?? 0))) as [number, number];
    const rateDays = (numerators: Map<number, number>, denominators: Map<number, number>) =>
      [windows.beforeBlocks, windows.afterBlocks].map((window) =>
        window.map((offset) => ({ numerator: numerators.get(offset) ?? 0, denominator: denominators.get(offset) ?? 0 })),
      ) as [RateDay[], RateDay[]];
    const rates = (days: RateDay[]) => {
      const denominator = sum(days.map((day) => day.denominator));
      return denominator === 0 ? 0 : (sum(days.map((day) => day.numerator)) / denominator) * 100;
    };

    const results = metrics.map((metric) => {
      if (isCount(metric)) {
        const blocks = values("counts", windows.historyStart, countMetrics.indexOf(metric));
        const [before, after] = windowSums(blocks);
        const { test, reason } = countTest(blocks, windows, span.firstDay);
        return resultRow(metric, before, after, test, reason);
      }
      const [beforeDays, afterDays] =
        metric === "conversion_rate"
          ? rateDays(values("converters", windowsStart, 0), values("counts", windows.historyStart, countMetrics.indexOf("visitors")))
          : (() => {
              const visits = values("bounces", windowsStart, 0);
              const percent = values("bounces", windowsStart, 1);
              const bounces = new Map([...visits].map(([offset, count]) => [offset, ((percent.get(offset) ?? 0) * count) / 100]));
              return rateDays(bounces, visits);
            })();
      const test = windows.untestable
        ? undefined
        : clusteredRatioTest(beforeDays, afterDays, metric === "bounce_rate" ? BOUNCE_ROUNDING_VARIANCE : 0);
      const reason =
        windows.untestable ??
        (test
          ? undefined
          : metric === "conversion_rate"
            ? "a rate needs at least 2 days with visitors in each window, and some variation"
            : "a rate needs at least 2 days with visits in each window, and some variation");
      return resultRow(metric, rates(beforeDays), rates(afterDays), test, reason);
    });
    const notes = [
      ...windows.notes,
      ...(metrics.some(isCount) && !windows.untestable
        ? [
            `Counts are tested against the same before/after ratio at pseudo-events in up to ${HISTORY_DAYS} ` +
              "days before the windows, so the site's usual weekly pattern, noise and carry-over from day to " +
              "day are not read as an effect.",
          ]
        : []),
      ...(metrics.every(isCount) ? [] : ["Rates are in %, their change and 95 % CI in percentage points; each day is one cluster."]),
      ...(input.page && metrics.includes("conversion_rate")
        ? [
            `conversion_rate with page: visitors who viewed ${input.page} and did ${input.goal} in a visit ` +
              "with that page view (Plausible does not check the order), among the page's visitors.",
          ]
        : []),
      ...(input.page && metrics.includes("bounce_rate")
        ? [`bounce_rate with page: visits that entered on ${input.page} and left without another page view, among those entries.`]
        : []),
      ...(metrics.includes("bounce_rate")
        ? ["Plausible reports bounce_rate in whole percent per day; up to 0.5 pp of rounding per window is part of the test's uncertainty."]
        : []),
      ...(span.note ? [span.note] : []),
    ];
    return {
      structured: {
        site_id: site,
        event: at,
        ...(annotation ? { annotation: annotationRecord(annotation) } : {}),
        window_days: windows.days,
        before: windows.before,
        after: windows.after,
        filters: filters ?? [],
        results,
        notes,
      },
      text: [
        `${site}, around ${eventLabel}: ${windows.days} days before (${windows.before[0]} to ` +
          `${windows.before[1]}) vs ${windows.days} days after (${windows.after[0]} to ${windows.after[1]}` +
          ")",
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
            row.reason ? `not tested: ${row.reason}` : row.verdict,
          ]),
        ),
        ...notes,
      ].join("\n"),
    };
  },
});
