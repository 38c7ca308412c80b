import { z } from "zod";
import type { Filter, QueryBody, QueryResult } from "../plausible";
import {
  addDays,
  clipToDataStart,
  completeDaysOf,
  datesBetween,
  daysBetween,
  resolveRange,
  resolvedDates,
  siteDataSpan,
  weekday,
  type DataSpan,
} from "./dates";
import { DEFAULT_SUMMARY_METRICS } from "./get-aggregate";
import { buildFilters, metricRecord, resolveSiteId, runQueries } from "./query-parts";
import { describeRange, formatPValue, round, table } from "./render";
import { dateRange, dateRangeOutput, metricList, metricValues, narrowing, siteId } from "./schemas";
import { clusteredRatioTest, placeboLogRatioTest, verdict, welchTTest, type RateDay, type TestResult } from "./statistics";
import { defineTool, ToolInputError, type MetricValue } from "./types";
const COUNTS = new Set<string>(["visitors", "visits", "pageviews", "events"]);
const RATES = new Set<string>(["conversion_rate", "bounce_rate"]);
/** Averages and sums with a value per day, tested with Welch's t-test on their daily values. */
const DAILY_AVERAGES = new Set<string>(["visit_duration", "total_revenue", "average_revenue"]);
const isTestable = (name: string) => COUNTS.has(name) || RATES.has(name) || DAILY_AVERAGES.has(name);

/** Days of history before both periods whose shifted copies give the counts' null scale (26 weeks). */
const HISTORY_DAYS = 182;
/** The fewest (overlapping) shifted copies, in period lengths, a count test uses: about 3 degrees of freedom. */
const MINIMUM_DEGREES = 3;
/** Each period's whole-percent bounce_rate may be off by up to 0.5 pp: uniform, independent per period (as fractions). */
const BOUNCE_ROUNDING_VARIANCE = (2 * 0.005 ** 2) / 3;

const isDays = (range: string | readonly string[]) => typeof range === "string" && /^\d+d$/.test(range);
const isDatePair = (range: string | readonly string[]) => typeof range !== "string" && /^\d{4}-\d{2}-\d{2}$/.test(range[0] ?? "");

/** A period as sent to Plausible, and the complete days with data it covers (none for "24h" and datetime pairs). */
interface Period {
  range: string | [string, string];
  dates?: [string, string];
  /** Why its days cannot be tested. */
  untestable?: string;
}

/**
 * The complete days with data a period covers: relative ranges resolved in the site's timezone as
 * Plausible reads them, today left out (it is not over), days before the site's first day with data
 * left out (they are no data, not zero traffic). The note says what was cut.
 */
function completePeriod(name: string, range: string | [string, string], span: DataSpan, notes: string[]): Period {
  const resolved = range === "all" ? ([span.firstDay, span.today] as [string, string]) : resolveRange(range, { today: span.today });
  if (!resolved || (Array.isArray(range) && !isDatePair(range)))
    return { range, untestable: `\`${name}\` is not a span of whole days; give dates to test daily values` };
  const complete = completeDaysOf(resolved, span.today);
  if (!complete) {
    throw new ToolInputError(
      name,
      `${describeRange(range)} holds no complete day yet (today, ${span.today}, is not over); compare ` +
        `complete days, e.g. "7d" or a date pair`,
    );
  }
  if (complete[1] !== resolved[1])
    notes.push(`\`${name}\` (${describeRange(range)}) is compared through ${complete[1]}: today (${span.today}) is not over.`);
  const withData = clipToDataStart(complete, span.firstDay);
  if (!withData)
    return { range: complete, dates: complete, untestable: `\`${name}\` lies before the site's first day with data (${span.firstDay})` };
  if (withData[0] !== complete[0])
    notes.push(
      `\`${name}\` starts at the site's first day with data (${span.firstDay}); the days before it are not counted as zero traffic.`,
    );
  return { range: withData, dates: withData };
}

/**
 * The period just before `current`, of the same length, as explicit dates. Only
 * date pairs and "Nd" have an unambiguous length; "Nd" is resolved in the
 * site's timezone, as Plausible reads it, so both periods are counted the same way.
 */
export function precedingPeriod(current: [string, string]): [string, string] {
  const length = daysBetween(current[0], current[1]);
  return [addDays(current[0], -length), addDays(current[1], -length)];
}

const valueOf = (value: MetricValue | undefined) => (typeof value === "object" && value !== null ? value.value : (value ?? null));

/** Per-date values of a metric from a time:day answer (dates without a row are absent). */
function byDate(answer: QueryResult | undefined, index: number): Map<string, number | null> {
  return new Map((answer?.results ?? []).map((row) => [String(row.dimensions[0]), valueOf(row.metrics[index] as MetricValue)]));
}

/** Says how the two periods' weekday mixes differ, when they do: weekends are usually quieter. */
function weekdayMixNote(current: [string, string] | undefined, previous: [string, string] | undefined): string | undefined {
  if (!current || !previous) return undefined;
  const weekendShare = ([first, last]: [string, string]) => {
    const days = daysBetween(first, last);
    let weekend = 0;
    for (let index = 0; index < days; index++) if ([0, 6].includes(weekday(addDays(first, index)))) weekend++;
    return { weekend, days };
  };
  const now = weekendShare(current);
  const before = weekendShare(previous);
  if (now.weekend * before.days === before.weekend * now.days) return undefined;
  return (
    `The periods differ in weekday mix (${now.weekend} of ${now.days} days are weekend days now, ` +
    `${before.weekend} of ${before.days} before); counts are compared after removing the site's ` +
    "weekday pattern, rates and averages are not."
  );
}

function change(now: MetricValue, before: MetricValue): { absolute: number | null; percent: number | null } {
  const a = valueOf(now);
  const b = valueOf(before);
  if (a === null || b === null) return { absolute: null, percent: null };
  return { absolute: Math.round((a - b) * 100) / 100, percent: b === 0 ? null : Math.round(((a - b) / b) * 1000) / 10 };
}

/**
 * A count's test: the log ratio of the periods' weekday-adjusted daily means against the same ratio with
 * both periods moved back day by day through the history. The weekday pattern is each weekday's mean over
 * the days outside the current period, relative to the mean of the seven.
 */
function countTest(
  daily: Map<string, number | null>,
  seriesStart: string,
  current: [string, string],
  previous: [string, string],
): TestResult | undefined {
  const dates = datesBetween(seriesStart, current[1] > previous[1] ? current[1] : previous[1]);
  const values = dates.map((date) => daily.get(date) ?? 0);
  const outside = dates.flatMap((date, index) =>
    date >= current[0] && date <= current[1] ? [] : [[weekday(date), values[index]!] as const],
  );
  const weekdayMeans = Array.from({ length: 7 }, (_, day) => {
    const same = outside.filter(([wd]) => wd === day).map(([, value]) => value);
    return same.length === 0 ? Number.NaN : same.reduce((total, value) => total + value, 0) / same.length;
  });
  const overall = weekdayMeans.reduce((total, value) => total + value, 0) / 7;
  const usable = weekdayMeans.every((value) => value > 0) && overall > 0;
  const adjusted = values.map((value, index) => (usable ? value / (weekdayMeans[weekday(dates[index]!)]! / overall) : value));
  const indexOf = (date: string) => daysBetween(seriesStart, date) - 1;
  const indices = ([first, last]: [string, string]) => datesBetween(first, last).map(indexOf);
  const currentIndices = indices(current);
  const previousIndices = indices(previous);
  const latest = Math.max(currentIndices.at(-1)!, previousIndices.at(-1)!);
  // Shifted copies must end before the current period starts and begin within the series.
  const shifts = Array.from(
    { length: Math.max(0, Math.min(currentIndices[0]!, previousIndices[0]!) - (latest - currentIndices[0]!)) },
    (_, index) => latest - currentIndices[0]! + 1 + index,
  );
  return placeboLogRatioTest(adjusted, currentIndices, previousIndices, shifts, MINIMUM_DEGREES);
}

const rateDays = (
  numerators: Map<string, number | null>,
  denominators: Map<string, number | null>,
  [first, last]: [string, string],
): RateDay[] =>
  datesBetween(first, last).map((date) => ({ numerator: numerators.get(date) ?? 0, denominator: denominators.get(date) ?? 0 }));

/** Top-level filters without those Plausible drops from conversion_rate's denominator (goals and event properties). */
const withoutGoalFilters = (filters: Filter[] | undefined) =>
  (filters ?? []).filter(
    (filter) => !(typeof filter[1] === "string" && (filter[1] === "event:goal" || filter[1].startsWith("event:props:"))),
  );

interface Significance {
  test: string;
  p_value: number | null;
  ci95_daily_mean_difference: number[];
  significant: boolean;
  verdict: ReturnType<typeof verdict>;
  reason?: string;
}

function significanceOf(test: TestResult | undefined, reason: string | undefined, interval: (bound: number) => number): Significance {
  if (!test || reason)
    return {
      test: "not tested",
      p_value: null,
      ci95_daily_mean_difference: [],
      significant: false,
      verdict: "not tested",
      reason: reason ?? "no variation to test against",
    };
  return {
    test: test.test,
    p_value: Math.round(test.pValue * 10000) / 10000,
    ci95_daily_mean_difference: test.ci95.map((bound) => round(interval(bound), 2)),
    significant: test.pValue < 0.05,
    verdict: verdict(test),
  };
}

export const comparePeriodsTool = defineTool({
  name: "compare_periods",
  title: "Compare two periods",
  description: [
    "Compare metrics between two periods with absolute and % change, optionally narrowed to a page, goal or filter.",
    "Give `current` and `previous`; when `previous` is omitted",
    'and `current` is a date pair or "Nd" (resolved in the site\'s timezone),',
    "the period of equal length just before it is used.",
    "Periods are tested over complete days with data:",
    'today and the days before the site\'s first day with data are left out, with a note ("month" and "year" end yesterday).',
    "Each metric with daily values gets a significance test with a verdict (increase, decrease, no detectable change,",
    "or not tested with the reason): counts (visitors, visits, pageviews,",
    "events) by the log ratio of the periods' daily means with the site's weekday pattern removed,",
    "against the same ratio with both periods moved back through the 26 weeks before them (so the site's own noise and",
    "carry-over set the scale); conversion_rate (converters and visitors per day) and bounce_rate (bounces",
    "and visits per day) by a day-clustered ratio test; visit_duration and revenue by Welch's t-test on daily values.",
    'Makes at most 6 Plausible requests: one for the "all" range (its echo gives the site\'s today and first day with',
    "data), then in one parallel batch 2 totals, a daily series over both periods and their history,",
    "visitors per day without the goal for conversion_rate,",
    "and visits and bounce_rate per day for bounce_rate with `page` (its base is entries on the page).",
    "Example: did traffic to /pricing change in the week after Tuesday's deploy versus the week before?",
  ],
  inputSchema: z.object({
    site_id: siteId,
    current: dateRange.describe('The period of interest, e.g. ["2024-05-07", "2024-05-13"] or "7d"'),
    previous: dateRange.optional().describe("The period to compare against; omit for the equally long period just before `current`"),
    metrics: metricList.default([...DEFAULT_SUMMARY_METRICS]),
    ...narrowing,
  }),
  outputSchema: z.object({
    site_id: z.string(),
    current: z.object({ date_range: dateRangeOutput, date_range_resolved: z.array(z.string()).optional(), metrics: metricValues }),
    previous: z.object({ date_range: dateRangeOutput, date_range_resolved: z.array(z.string()).optional(), metrics: metricValues }),
    change: z.record(z.string(), z.object({ absolute: z.number().nullable(), percent: z.number().nullable() })),
    significance: z.record(
      z.string(),
      z.object({
        test: z.string(),
        p_value: z.number().nullable(),
        ci95_daily_mean_difference: z.array(z.number()),
        significant: z.boolean(),
        verdict: z.enum(["increase", "decrease", "no detectable change", "not tested"]),
        reason: z.string().optional().describe('Why no test was possible, with verdict "not tested"'),
      }),
    ),
    filters: z.array(z.unknown()),
    notes: z.array(z.string()),
  }),
  async run(input, context) {
    const site = resolveSiteId(input.site_id, context);
    if (!input.previous && !isDatePair(input.current) && !isDays(input.current)) {
      throw new ToolInputError(
        "previous",
        `cannot infer the period before "${describeRange(input.current)}": give \`previous\` explicitly, ` +
          `or use a date pair or "Nd" for \`current\``,
      );
    }
    const filters = buildFilters(input);
    const span = await siteDataSpan(context, site);
    const notes: string[] = [];
    const current = completePeriod("current", input.current, span, notes);
    const previousRange = input.previous ?? precedingPeriod(resolveRange(input.current, { today: span.today })!);
    const previous = completePeriod("previous", previousRange, span, notes);

    const tested = input.metrics.filter(isTestable);
    const bothDated = current.dates && previous.dates ? ([current.dates, previous.dates] as const) : undefined;
    const earliest = bothDated && (bothDated[0][0] < bothDated[1][0] ? bothDated[0][0] : bothDated[1][0]);
    const latest = bothDated && (bothDated[0][1] > bothDated[1][1] ? bothDated[0][1] : bothDated[1][1]);
    const seriesStart = earliest && (addDays(earliest, -HISTORY_DAYS) > span.firstDay ? addDays(earliest, -HISTORY_DAYS) : span.firstDay);
    // The series also carries what the rates need per day: converters (visitors under the goal) and visits.
    const seriesMetrics = [
      ...new Set([
        ...tested.filter((name) => !RATES.has(name)),
        ...(tested.includes("conversion_rate") ? ["visitors"] : []),
        ...(tested.includes("bounce_rate") && !input.page ? ["visits", "bounce_rate"] : []),
      ]),
    ] as QueryBody["metrics"];
    const dailyBody = (metrics: QueryBody["metrics"], where: Filter[] | undefined, first: string): QueryBody => ({
      site_id: site,
      metrics,
      date_range: [first, latest!],
      dimensions: ["time:day"],
      ...(where && where.length > 0 ? { filters: where } : {}),
    });
    const plan: { key: string; body: QueryBody }[] = [current, previous].map((period, index) => ({
      key: `total${index}`,
      body: { site_id: site, metrics: input.metrics, date_range: period.range, ...(filters ? { filters } : {}) },
    }));
    if (bothDated && seriesMetrics.length > 0) plan.push({ key: "daily", body: dailyBody(seriesMetrics, filters, seriesStart!) });
    if (bothDated && tested.includes("conversion_rate"))
      plan.push({ key: "visitors", body: dailyBody(["visitors"], withoutGoalFilters(filters), earliest!) });
    // With a page, Plausible's bounce_rate counts visits that entered on it: their base is the page's entries.
    if (bothDated && tested.includes("bounce_rate") && input.page) {
      const entries: Filter[] = [...(buildFilters({ ...input, page: undefined }) ?? []), ["is", "visit:entry_page", [input.page]]];
      plan.push({ key: "entries", body: dailyBody(["visits", "bounce_rate"], entries, earliest!) });
    }
    // Both periods in one call: they run in parallel and share one rate-limit decision.
    const answers = await runQueries(
      context,
      plan.map((entry) => entry.body),
    );
    const answer = (key: string) => answers[plan.findIndex((entry) => entry.key === key)];
    const [now, before] = [answer("total0")!, answer("total1")!];
    const currentValues = metricRecord(input.metrics, now.results[0]?.metrics ?? []);
    const previousValues = metricRecord(input.metrics, before.results[0]?.metrics ?? []);
    const changes = Object.fromEntries(input.metrics.map((name) => [name, change(currentValues[name], previousValues[name])]));

    const untestable = current.untestable ?? previous.untestable;
    const seriesOf = (key: string, name: string) =>
      byDate(answer(key), (plan.find((entry) => entry.key === key)?.body.metrics ?? []).indexOf(name as never));
    const significance = Object.fromEntries(
      input.metrics.map((name): [string, Significance] => {
        if (!isTestable(name)) return [name, significanceOf(undefined, "this metric has no per-day values", () => 0)];
        if (untestable || !bothDated) return [name, significanceOf(undefined, untestable ?? "a period has no complete days", () => 0)];
        const [currentDates, previousDates] = bothDated;
        if (COUNTS.has(name)) {
          const daily = seriesOf("daily", name);
          const previousMean =
            datesBetween(...previousDates).reduce((total, date) => total + (daily.get(date) ?? 0), 0) / daysBetween(...previousDates);
          const test = countTest(daily, seriesStart!, currentDates, previousDates);
          const reason = test
            ? undefined
            : `the test learns the site's usual variation from about ${MINIMUM_DEGREES} period lengths of ` +
              `history before both periods; the site's data start on ${span.firstDay}`;
          return [name, significanceOf(test, reason, (bound) => previousMean * (Math.exp(bound) - 1))];
        }
        if (RATES.has(name)) {
          const [numerators, denominators] =
            name === "conversion_rate"
              ? [seriesOf("daily", "visitors"), seriesOf("visitors", "visitors")]
              : (() => {
                  const key = input.page ? "entries" : "daily";
                  const visits = seriesOf(key, "visits");
                  const percent = seriesOf(key, "bounce_rate");
                  return [new Map([...visits].map(([date, count]) => [date, ((percent.get(date) ?? 0) * (count ?? 0)) / 100])), visits];
                })();
          const test = clusteredRatioTest(
            rateDays(numerators, denominators, previousDates),
            rateDays(numerators, denominators, currentDates),
            name === "bounce_rate" ? BOUNCE_ROUNDING_VARIANCE : 0,
          );
          return [
            name,
            significanceOf(
              test,
              test ? undefined : "a rate needs at least 2 days with visits in each period, and some variation",
              (bound) => bound * 100,
            ),
          ];
        }
        // Averages and revenue: their daily values, on days that have one.
        const daily = seriesOf("daily", name);
        const valuesIn = (dates: [string, string]) =>
          datesBetween(...dates).flatMap((date) => {
            const value = daily.get(date);
            return value === undefined || value === null ? [] : [value];
          });
        const test = welchTTest(valuesIn(previousDates), valuesIn(currentDates));
        return [name, significanceOf(test, test ? undefined : "fewer than 2 days with a value in a period", (bound) => bound)];
      }),
    );
    const resolved = [resolvedDates(now), resolvedDates(before)];
    const mix = weekdayMixNote(current.dates, previous.dates);
    if (mix) notes.push(mix);
    if (bothDated && daysBetween(...bothDated[0]) !== daysBetween(...bothDated[1]))
      notes.push(
        `The periods differ in length (${daysBetween(...bothDated[0])} and ` +
          `${daysBetween(...bothDated[1])} days): the totals differ by that too; the tests compare daily ` +
          "levels.",
      );
    if (span.note) notes.push(span.note);
    return {
      structured: {
        site_id: site,
        current: { date_range: input.current, ...(resolved[0] ? { date_range_resolved: resolved[0] } : {}), metrics: currentValues },
        previous: { date_range: previousRange, ...(resolved[1] ? { date_range_resolved: resolved[1] } : {}), metrics: previousValues },
        change: changes,
        significance,
        filters: filters ?? [],
        notes,
      },
      text: [
        `${site}: ${describeRange(current.range)} vs ${describeRange(previous.range)}`,
        table(
          ["metric", "current", "previous", "change", "change %", "p", "verdict"],
          input.metrics.map((name) => [
            name,
            currentValues[name],
            previousValues[name],
            changes[name]!.absolute,
            changes[name]!.percent,
            formatPValue(significance[name]!.p_value),
            significance[name]!.verdict,
          ]),
        ),
        ...notes,
      ].join("\n"),
    };
  },
});
