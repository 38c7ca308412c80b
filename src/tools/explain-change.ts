import { z } from "zod";
import type { QueryBody, QueryResult } from "../plausible";
import { addDays, dataSpanFrom, dataSpanQuery, datesBetween, daysBetween, resolveRange, siteClock, weekday } from "./dates";
import { buildFilters, resolveSiteId, runQueries } from "./query-parts";
import { describeRange, formatPValue, round, table } from "./render";
import { dateRange, dimension, narrowing, noRepeats, siteId } from "./schemas";
import { median, studentTCdf, studentTQuantile } from "./statistics";
import { annotationOutput, annotationRecord } from "./memory-schemas";
import { defineTool, ToolInputError, type ToolContext } from "./types";

// ---- explain_change's statistics --------------------------------------------------------------------------------
//
// Every series (the site's total, or one value of a dimension) is read on the log scale, log(count + 1), where
// day-to-day noise is multiplicative and a zero stays finite. A day's expected value is the median of the same
// weekday in the baseline; its noise scale is what that very comparison shows inside the baseline: each baseline
// day against the median of its other same-weekday days (leave-one-out), pooled over the weekdays, robustly
// (1.4826 x the median absolute residual), with Poisson noise as a floor. The cut-offs hold the chance that a quiet
// period shows any flag below FALSE_ALARM (Bonferroni over the scored days, or over every value-day for anomalies,
// with a t quantile for the estimated scale, at DESIGN_LEVEL).

/** The chance, per call, that a period where nothing happened still shows a flagged day (and, separately, an anomaly). */
const FALSE_ALARM = 0.05;
/**
 * The level each family of cut-offs (days; value-days) is built for: a third of FALSE_ALARM, so that a quiet period
 * shows either kind of flag at most FALSE_ALARM of the time on each synthetic null scenario, with room for the
 * approximations (a MAD-based scale, correlated residuals).
 */
const DESIGN_LEVEL = FALSE_ALARM / 3;
/**
 * Degrees of freedom per leave-one-out residual behind a scale. A MAD of independent normal points carries 0.37 of
 * their information; residuals of one weekday share most of their median, so they carry less
 * (test/tools/explain-change-calibration.node.test.ts measures the outcome).
 */
const MAD_EFFICIENCY = 0.2;
/** Fewer leave-one-out residuals than this give no usable noise scale (3 weeks of one weekday give 3). */
const MIN_RESIDUALS = 7;

type Daily = Map<string, number>;

interface WeekdayBaseline {
  /** Per weekday (0 = Sunday), log(count + 1) of the baseline days that have data. */
  logs: number[][];
  /** Per baseline date, its count and what the median of its other same-weekday days expected (leave-one-out). */
  heldOut: Map<string, { actual: number; expected: number }>;
  /** Robust standard deviation of their log residuals; undefined when there are fewer than MIN_RESIDUALS. */
  scale: number | undefined;
}

const logCount = (count: number) => Math.log1p(Math.max(count, 0));

/** The baseline of one series: its same-weekday days and the leave-one-out noise scale. `dates` are the days with data. */
function weekdayBaseline(daily: Daily, dates: readonly string[]): WeekdayBaseline {
  const byWeekday: string[][] = Array.from({ length: 7 }, () => []);
  for (const date of dates) byWeekday[weekday(date)]!.push(date);
  const logs = byWeekday.map((group) => group.map((date) => logCount(daily.get(date) ?? 0)));
  const heldOut = new Map<string, { actual: number; expected: number }>();
  const absolute: number[] = [];
  byWeekday.forEach((group, day) => {
    if (group.length < 3) return;
    const values = logs[day]!;
    group.forEach((date, index) => {
      const center = median(values.filter((_, other) => other !== index));
      heldOut.set(date, { actual: daily.get(date) ?? 0, expected: Math.expm1(center) });
      absolute.push(Math.abs(values[index]! - center));
    });
  });
  return { logs, heldOut, scale: absolute.length < MIN_RESIDUALS ? undefined : 1.4826 * median(absolute) };
}

/** The standard deviation of log(count + 1) that Poisson counting alone gives, against a median of `sameWeekday` days. */
function poissonFloor(expected: number, sameWeekday: number): number {
  const mean = Math.max(expected, 1);
  return (Math.sqrt(mean) / (mean + 1)) * Math.sqrt(1 + Math.PI / (2 * sameWeekday));
}

/** Degrees of freedom of a scale estimated by a MAD of the held-out days' log residuals. */
function scaleDegreesOfFreedom(baseline: WeekdayBaseline): number {
  return Math.max(2, Math.round(MAD_EFFICIENCY * baseline.heldOut.size));
}

interface DayScore {
  /** exp(median of the same weekday's log counts) - 1: the median count for an odd number of days. */
  expected: number;
  /** (log(actual + 1) - median) / scale; null when the baseline has no such weekday or too few days for a scale. */
  score: number | null;
}

function scoreDay(baseline: WeekdayBaseline, date: string, actual: number): DayScore {
  const sameWeekday = baseline.logs[weekday(date)]!;
  if (sameWeekday.length === 0) return { expected: Number.NaN, score: null };
  const center = median(sameWeekday);
  const expected = Math.expm1(center);
  if (baseline.scale === undefined) return { expected, score: null };
  const scale = Math.max(baseline.scale, poissonFloor(expected, sameWeekday.length));
  return { expected, score: (logCount(actual) - center) / scale };
}

/** The |score| at which one of `tests` scores is flagged, so that all of them stay below it with probability 1 - DESIGN_LEVEL. */
function cutOff(tests: number, baseline: WeekdayBaseline): number {
  return studentTQuantile(1 - DESIGN_LEVEL / (2 * Math.max(tests, 1)), scaleDegreesOfFreedom(baseline));
}

type Verdict = "increase" | "decrease" | "no detectable change" | "not tested";

interface TotalTest {
  verdict: Verdict;
  p_value: number | null;
  /** Why there is no test, when verdict is "not tested". */
  reason: string | null;
  /** How many earlier same-weekday windows of the baseline set the noise. */
  placebo_windows: number;
}

/**
 * Tests the log ratio of the period's total to its expected total against the same statistic in placebo windows:
 * the period's days moved back (or forward) by whole multiples of its length in weeks, inside the baseline. The
 * windows keep the weekday mix and whatever carry-over the site's days have, so the noise comes from the site's
 * own history; Student's t with one degree of freedom per window, less one.
 */
function testTotal(baseline: WeekdayBaseline, days: readonly { date: string; actual: number; expected: number }[]): TotalTest {
  const notTested = (reason: string, windows = 0): TotalTest => ({
    verdict: "not tested",
    p_value: null,
    reason,
    placebo_windows: windows,
  });
  if (days.length === 0) return notTested("no complete day of the period has data and a same-weekday baseline");
  const logRatio = (entries: readonly { actual: number; expected: number }[]) =>
    Math.log1p(entries.reduce((sum, entry) => sum + entry.actual, 0)) - Math.log1p(entries.reduce((sum, entry) => sum + entry.expected, 0));
  const observed = logRatio(days);
  const stride = 7 * Math.ceil(daysBetween(days[0]!.date, days[days.length - 1]!.date) / 7);
  const placebos: number[] = [];
  for (let shift = -53; shift <= 53; shift++) {
    if (shift === 0) continue;
    const window = days.map((day) => baseline.heldOut.get(addDays(day.date, shift * stride)));
    if (window.every((entry) => entry !== undefined)) placebos.push(logRatio(window));
  }
  if (placebos.length < 2)
    return notTested(
      `the baseline holds ${placebos.length} earlier window${placebos.length === 1 ? "" : "s"} like ` +
        "the period (at least 2 are needed, 8 or more is better); give a longer baseline",
      placebos.length,
    );
  // The placebo windows' deviations are taken around medians they are part of, while the period is new to the
  // baseline: as for a prediction interval, (J + 1) / (J - 1) scales their mean square, with J - 1 degrees of freedom.
  const windows = placebos.length;
  const placeboVariance = (placebos.reduce((sum, value) => sum + value ** 2, 0) / windows) * ((windows + 1) / (windows - 1));
  // Poisson counting alone: the log of a total of n expected counts varies by about 1 / n.
  const poissonVariance = 1 / (1 + days.reduce((sum, day) => sum + day.expected, 0));
  const scale = Math.sqrt(Math.max(placeboVariance, poissonVariance));
  const t = observed / scale;
  const pValue = 2 * (1 - studentTCdf(Math.abs(t), windows - 1));
  return {
    verdict: pValue >= FALSE_ALARM ? "no detectable change" : observed > 0 ? "increase" : "decrease",
    p_value: pValue,
    reason: null,
    placebo_windows: windows,
  };
}

// ---- The tool ---------------------------------------------------------------------------------------------------

const COUNT_METRICS = ["visitors", "visits", "pageviews", "events"] as const;
const DEFAULT_DIMENSIONS = ["visit:source", "visit:channel", "event:page", "visit:country_name", "visit:device"];
const MAX_PERIOD_DAYS = 92;
const MAX_BASELINE_DAYS = 366;
const DEFAULT_BASELINE_WEEKS = 8;
const DRIVER_ROW_LIMIT = 10000;
const MAX_ANOMALIES = 20;
const WEEKDAY_NAMES = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

/** Per-date values of the first metric from a time:day query. */
function dailyTotals(answer: QueryResult): Daily {
  return new Map(answer.results.map((row) => [String(row.dimensions[0]), Number(row.metrics[0] ?? 0)]));
}

/** Per value of the dimension, its per-date values, from a [dimension, time:day] query. */
function dailyByValue(answer: QueryResult): Map<string, Daily> {
  const byValue = new Map<string, Daily>();
  for (const row of answer.results) {
    const value = String(row.dimensions[0] ?? "");
    const days = byValue.get(value) ?? new Map<string, number>();
    days.set(String(row.dimensions[1]), Number(row.metrics[0] ?? 0));
    byValue.set(value, days);
  }
  return byValue;
}

type PlacedAnnotation = ReturnType<typeof annotationRecord> & { within: "period" | "baseline" };

/** The annotations in the period and the baseline, each marked with the one it falls in. */
async function annotationsAround(
  context: ToolContext,
  site: string,
  period: [string, string],
  baseline: [string, string],
): Promise<PlacedAnnotation[]> {
  const within = (date: string) =>
    date >= period[0] && date <= period[1] ? "period" : date >= baseline[0] && date <= baseline[1] ? "baseline" : null;
  const from = period[0] < baseline[0] ? period[0] : baseline[0];
  const to = period[1] > baseline[1] ? period[1] : baseline[1];
  return (await context.memory.listAnnotations(site, from, to)).flatMap((annotation) => {
    const where = within(annotation.date);
    return where ? [{ ...annotationRecord(annotation), within: where }] : [];
  });
}

function annotationIdsOn(annotated: readonly PlacedAnnotation[], date: string): { annotation_ids?: string[] } {
  const ids = annotated.filter((annotation) => annotation.date === date).map((annotation) => annotation.id);
  return ids.length > 0 ? { annotation_ids: ids } : {};
}

/** "Noted in the period: 2026-05-12 deploy: Deployed the pricing page (ann_…)", period first. */
function annotationLines(annotated: readonly PlacedAnnotation[]): string[] {
  return (["period", "baseline"] as const).flatMap((where) => {
    const here = annotated.filter((annotation) => annotation.within === where);
    if (here.length === 0) return [];
    const listed = here.map((annotation) => `${annotation.date} ${annotation.kind}: ${annotation.text} (${annotation.id})`).join("; ");
    return [`Noted in the ${where}: ${listed}.`];
  });
}

/** Default baseline: the 8 weeks before the period, or four times a longer period's whole weeks (at most a year). */
function defaultBaseline(period: [string, string]): [string, string] {
  const weeks = Math.min(52, Math.max(DEFAULT_BASELINE_WEEKS, 4 * Math.ceil(daysBetween(...period) / 7)));
  return [addDays(period[0], -7 * weeks), addDays(period[0], -1)];
}

const percent = (actual: number, expected: number) => (expected === 0 ? null : round(((actual - expected) / expected) * 100, 1));
const signed = (value: number | null) => (value === null ? "–" : `${value >= 0 ? "+" : ""}${value}`);

export const explainChangeTool = defineTool({
  name: "explain_change",
  title: "Explain a change",
  description: [
    "What changed in a period and what drove it.",
    "Each day of the period is compared with the median of the same weekday in a baseline (default: the 8 weeks before the",
    "period) on the log scale, and flagged when it lies further out than the baseline's own days do (the cut-off keeps at",
    "least 95 % of quiet periods flag-free); the period's total is tested against earlier windows of the baseline (verdict",
    "increase, decrease, no detectable change, or not tested with the reason); per dimension (default source, channel,",
    "page, country, device) the values that account for most of the difference are ranked with their contribution (and",
    "share, when the total changed beyond its noise),",
    "and values that left their own baseline far behind on a day are listed as anomalies even when the total is quiet.",
    "Counts only (visitors, visits, pageviews, events).",
    "Relative periods resolve in the site's timezone;",
    "today (still in progress) and days before the site's first data are not scored.",
    "Makes at most 15 Plausible requests (1 Sites API lookup, 1 for today's date where the Sites API is missing,",
    "1 for the site's first day, 2 per-day series, 2 per dimension), in one parallel batch after the lookup.",
    "Annotations the team noted (add_annotation) in the period or the baseline are named next to their days.",
    "Example: what happened on Thursday, and where did the extra visitors come from?",
  ],
  inputSchema: z.object({
    site_id: siteId,
    metric: z.enum(COUNT_METRICS).default("visitors"),
    period: dateRange
      .default("7d")
      .describe(
        'The period to explain: "7d" (default: the last 7 full days), a date pair, or any range the ' +
          'other tools take except "all" and "24h"',
      ),
    baseline: dateRange
      .optional()
      .describe(
        "What normal looks like; default the 8 weeks before the period (four times a longer period, in " +
          "whole weeks). It must hold every weekday the period holds, ideally 3 or more of each",
      ),
    dimensions: z
      .array(dimension)
      .min(1)
      .max(5)
      .superRefine(noRepeats)
      .default(DEFAULT_DIMENSIONS)
      .describe("Dimensions to attribute the change to (at most 5)"),
    top: z.number().int().min(1).max(10).default(3).describe("Values listed per dimension"),
    ...narrowing,
  }),
  outputSchema: z.object({
    site_id: z.string(),
    metric: z.string(),
    date_range_resolved: z.array(z.string()),
    baseline_resolved: z.array(z.string()),
    filters: z.array(z.unknown()),
    days: z.array(
      z.object({
        date: z.string(),
        actual: z.number(),
        expected: z.number(),
        change_percent: z.number().nullable(),
        score: z.number().nullable(),
        flagged: z.boolean(),
        not_scored: z.string().nullable().describe("Why the day has no score (today in progress, before the site's data, no baseline)"),
        annotation_ids: z.array(z.string()).optional().describe("The annotations noted on this day (see annotations)"),
      }),
    ),
    flag_cut_off: z.number().nullable().describe("The |score| at which a day is flagged"),
    total: z.object({
      actual: z.number(),
      expected: z.number(),
      change: z.number(),
      change_percent: z.number().nullable(),
      verdict: z.enum(["increase", "decrease", "no detectable change", "not tested"]),
      p_value: z.number().nullable(),
      reason: z.string().nullable(),
      placebo_windows: z.number(),
    }),
    drivers: z.array(
      z.object({
        dimension: z.string(),
        values: z.array(
          z.object({
            value: z.string(),
            actual: z.number(),
            expected: z.number(),
            contribution: z.number(),
            share_of_change: z.number().nullable(),
          }),
        ),
        other: z
          .object({ actual: z.number(), expected: z.number(), contribution: z.number() })
          .describe("Everything not listed: the total minus the listed values, so the contributions add up to the total change"),
        truncated: z.boolean().describe("Plausible returned only part of the value-days (the rest are in other)"),
      }),
    ),
    anomalies: z.array(
      z.object({
        dimension: z.string(),
        value: z.string(),
        date: z.string(),
        actual: z.number(),
        expected: z.number(),
        score: z.number(),
      }),
    ),
    annotations: z
      .array(annotationOutput.extend({ within: z.enum(["period", "baseline"]) }))
      .optional()
      .describe("What the team noted happened in the period or the baseline (add_annotation); absent when nothing was noted"),
    notes: z.array(z.string()),
  }),
  async run(input, context) {
    const site = resolveSiteId(input.site_id, context);
    if (input.dimensions.some((name) => name.startsWith("time")))
      throw new ToolInputError("dimensions", "time dimensions cannot explain a change; use e.g. visit:source or event:page");
    const clock = await siteClock(context, site);
    const period = resolveRange(input.period, clock);
    if (!period)
      throw new ToolInputError("period", `"${describeRange(input.period)}" has no fixed dates; use "Nd", "month" or a date pair`);
    if (daysBetween(...period) > MAX_PERIOD_DAYS)
      throw new ToolInputError("period", `at most ${MAX_PERIOD_DAYS} days; split a longer period`);
    const baseline = input.baseline ? resolveRange(input.baseline, clock) : defaultBaseline(period);
    if (!baseline) throw new ToolInputError("baseline", `"${describeRange(input.baseline!)}" has no fixed dates; use "Nd" or a date pair`);
    if (daysBetween(...baseline) > MAX_BASELINE_DAYS) throw new ToolInputError("baseline", `at most ${MAX_BASELINE_DAYS} days`);
    const periodDates = datesBetween(...period);
    const baselineWeekdays = new Set(
      datesBetween(...baseline)
        .slice(0, 7)
        .map(weekday),
    );
    const missing = [...new Set(periodDates.map(weekday))].filter((day) => !baselineWeekdays.has(day));
    if (missing.length > 0)
      throw new ToolInputError(
        "baseline",
        `${baseline[0]} to ${baseline[1]} has no ${missing.map((day) => WEEKDAY_NAMES[day]).join(", ")}, ` +
          "which the period has: each day is compared with the same weekday; give a baseline of whole weeks " +
          "(e.g. the 8 weeks before the period) or leave it out",
      );

    const filters = buildFilters(input);
    const query = (range: [string, string], dimensions: string[]): QueryBody => ({
      site_id: site,
      metrics: [input.metric],
      date_range: range,
      dimensions,
      ...(filters ? { filters } : {}),
      ...(dimensions.length > 1
        ? { order_by: [[input.metric, "desc"]], pagination: { limit: DRIVER_ROW_LIMIT }, include: { total_rows: true } }
        : {}),
    });
    const [[siteHistory, periodAnswer, baselineAnswer, ...dimensionAnswers], annotated] = await Promise.all([
      runQueries(context, [
        dataSpanQuery(site),
        query(period, ["time:day"]),
        query(baseline, ["time:day"]),
        ...input.dimensions.flatMap((name) => [query(period, [name, "time:day"]), query(baseline, [name, "time:day"])]),
      ]),
      annotationsAround(context, site, period, baseline),
    ]);

    const dataStart = dataSpanFrom(siteHistory)?.firstDay;
    const withData = (date: string) => (dataStart === undefined || date >= dataStart) && date < clock.today;
    const baselineDates = datesBetween(...baseline).filter(withData);
    const actualDaily = dailyTotals(periodAnswer!);
    const totalBaseline = weekdayBaseline(dailyTotals(baselineAnswer!), baselineDates);

    // Days with no expected value are left out of the total, the drivers and the anomalies.
    const leftOut = (date: string): string | null => {
      if (date === clock.today) return "today, still in progress";
      if (date > clock.today) return "in the future";
      if (dataStart !== undefined && date < dataStart) return `before the site's first data (${dataStart})`;
      if (totalBaseline.logs[weekday(date)]!.length === 0) return `no ${WEEKDAY_NAMES[weekday(date)]} with data in the baseline`;
      return null;
    };
    const counted = periodDates.filter((date) => leftOut(date) === null);
    const scoredCount = totalBaseline.scale === undefined ? 0 : counted.length;
    const dayCutOff = scoredCount > 0 ? cutOff(scoredCount, totalBaseline) : null;
    const days = periodDates.map((date) => {
      const actual = actualDaily.get(date) ?? 0;
      const reason = leftOut(date);
      // A left-out day still shows what a full day would be expected to hold (the chart draws it), but no score.
      const scored = scoreDay(totalBaseline, date, actual);
      const expected = scored.expected;
      const score = reason === null ? scored.score : null;
      return {
        date,
        actual,
        expected: Number.isNaN(expected) ? 0 : round(expected, 1),
        change_percent: Number.isNaN(expected) || reason !== null ? null : percent(actual, expected),
        score: score === null ? null : round(score, 2),
        flagged: score !== null && dayCutOff !== null && Math.abs(score) >= dayCutOff,
        not_scored: reason ?? (score === null ? "too little baseline with data for a noise scale (about 3 weeks are needed)" : null),
        ...annotationIdsOn(annotated, date),
      };
    });
    const countedDays = days.filter((day) => leftOut(day.date) === null);
    const actualTotal = countedDays.reduce((sum, day) => sum + day.actual, 0);
    const expectedTotal = round(
      countedDays.reduce((sum, day) => sum + day.expected, 0),
      1,
    );
    const totalChange = round(actualTotal - expectedTotal, 1);
    const totalTest = testTotal(totalBaseline, countedDays);
    const changed = totalTest.verdict === "increase" || totalTest.verdict === "decrease";

    const anomalyCandidates: {
      anomaly: { dimension: string; value: string; date: string; actual: number; expected: number; score: number };
      history: WeekdayBaseline;
    }[] = [];
    const drivers = input.dimensions.map((name, index) => {
      const periodAnswerOf = dimensionAnswers[2 * index]!;
      const baselineAnswerOf = dimensionAnswers[2 * index + 1]!;
      const actualByValue = dailyByValue(periodAnswerOf);
      const baselineByValue = dailyByValue(baselineAnswerOf);
      const values = [...new Set([...actualByValue.keys(), ...baselineByValue.keys()])].map((value) => {
        const history = weekdayBaseline(baselineByValue.get(value) ?? new Map<string, number>(), baselineDates);
        const actualDays = actualByValue.get(value);
        let actual = 0;
        let expected = 0;
        for (const date of counted) {
          const count = actualDays?.get(date) ?? 0;
          const day = scoreDay(history, date, count);
          actual += count;
          expected += day.expected;
          if (day.score !== null)
            anomalyCandidates.push({
              anomaly: { dimension: name, value, date, actual: count, expected: round(day.expected, 1), score: day.score },
              history,
            });
        }
        const contribution = actual - expected;
        return {
          value,
          actual,
          expected: round(expected, 1),
          contribution: round(contribution, 1),
          share_of_change: changed && totalChange !== 0 ? round((contribution / totalChange) * 100, 1) : null,
        };
      });
      // Rank by contribution in the direction of the change: the values that explain it come first.
      const direction = totalChange < 0 ? -1 : 1;
      values.sort((a, b) => direction * (b.contribution - a.contribution));
      const listed = values.slice(0, input.top);
      const listedActual = listed.reduce((sum, value) => sum + value.actual, 0);
      const listedExpected = listed.reduce((sum, value) => sum + value.expected, 0);
      const truncated = [periodAnswerOf, baselineAnswerOf].some(
        (answer) => typeof answer.meta?.total_rows === "number" && answer.meta.total_rows > answer.results.length,
      );
      return {
        dimension: name,
        values: listed,
        other: {
          actual: round(actualTotal - listedActual, 1),
          expected: round(expectedTotal - listedExpected, 1),
          contribution: round(totalChange - (listedActual - listedExpected), 1),
        },
        truncated,
      };
    });
    const anomalyTests = anomalyCandidates.length;
    const anomalyCutOffs = new Map<number, number>();
    const anomalyCutOff = (history: WeekdayBaseline) => {
      const key = history.heldOut.size;
      if (!anomalyCutOffs.has(key)) anomalyCutOffs.set(key, cutOff(anomalyTests, history));
      return anomalyCutOffs.get(key)!;
    };
    const anomalies = anomalyCandidates
      .filter(({ anomaly, history }) => Math.abs(anomaly.score) >= anomalyCutOff(history))
      .map(({ anomaly }) => anomaly)
      .sort((a, b) => Math.abs(b.score) - Math.abs(a.score))
      .slice(0, MAX_ANOMALIES)
      .map((anomaly) => ({ ...anomaly, score: round(anomaly.score, 2) }));
    const typicalAnomalyCutOff = anomalyCandidates.length > 0 ? Math.min(...anomalyCutOffs.values()) : null;

    const skipped = days.filter((day) => leftOut(day.date) !== null);
    const truncated = drivers.filter((driver) => driver.truncated).map((driver) => driver.dimension);
    const notes = [
      `Expected values are the median of the same weekday in ${baseline[0]} to ${baseline[1]} (log ` +
        "scale); a day is flagged when its score (its log deviation over the baseline's leave-one-out " +
        `noise, Poisson noise as a floor) reaches ±${dayCutOff === null ? "–" : round(dayCutOff, 2)}, a ` +
        `cut-off that leaves at least ${Math.round((1 - FALSE_ALARM) * 100)} % of quiet periods without a ` +
        "flag.",
      totalTest.verdict === "not tested"
        ? `The total is not tested: ${totalTest.reason}.`
        : `The total is tested against ${totalTest.placebo_windows} earlier windows of the baseline with ` +
          `the same weekdays (p ${formatPValue(totalTest.p_value)}).`,
      ...(changed
        ? []
        : ["Shares of the change are withheld: the total change is within the baseline's noise, so its split among values is noise too."]),
      "Totals and contributions are sums of daily values: a visitor who came on two days counts twice. " +
        "For each dimension, other is the total minus the listed values (for event dimensions such as " +
        "pages, values overlap and other can be negative).",
      ...(skipped.length > 0
        ? [`Left out of the total, drivers and anomalies: ${skipped.map((day) => `${day.date} (${day.not_scored})`).join(", ")}.`]
        : []),
      ...(dataStart !== undefined && dataStart > baseline[0]
        ? [`The site's data starts on ${dataStart}: baseline days before it are left out, not counted as zero.`]
        : []),
      ...(truncated.length > 0
        ? [
            `Plausible returned only the first ${DRIVER_ROW_LIMIT} value-days for ${truncated.join(", ")}: ` +
              "the values beyond are in other; narrow the question (a filter, or a shorter baseline) for a full " +
              "split.",
          ]
        : []),
      "Anomalies are value-days whose score against their own baseline reaches " +
        `±${typicalAnomalyCutOff === null ? "–" : round(typicalAnomalyCutOff, 2)} or more (the cut-off is ` +
        `set over all ${anomalyTests} value-days tested, so at least 95 % of quiet periods show none).`,
      ...(clock.note ? [clock.note] : []),
    ];
    const flagged = days.filter((day) => day.flagged);
    const verdictText = totalTest.verdict === "not tested" ? "not tested" : `${totalTest.verdict}, p ${formatPValue(totalTest.p_value)}`;
    const headline =
      `${site}: ${input.metric} ${period[0]} to ${period[1]}: ${actualTotal} vs ${expectedTotal} ` +
      `expected (${signed(percent(actualTotal, expectedTotal))} %; ${verdictText}).`;
    const flaggedText =
      flagged.length === 0
        ? "No day stands out from its weekday baseline."
        : `Unusual: ${flagged.map((day) => `${day.date} (${signed(day.change_percent)} %, score ${day.score})`).join(", ")}.`;
    const anomalyText =
      anomalies.length === 0
        ? "No value of the dimensions stands out from its own baseline."
        : `Anomalies: ${anomalies
            .map(
              (anomaly) =>
                `${anomaly.dimension} ${anomaly.value} on ${anomaly.date}: ${anomaly.actual} vs ` +
                `${anomaly.expected} expected (score ${anomaly.score})`,
            )
            .join("; ")}.`;
    return {
      structured: {
        site_id: site,
        metric: input.metric,
        date_range_resolved: period,
        baseline_resolved: baseline,
        filters: filters ?? [],
        days,
        flag_cut_off: dayCutOff === null ? null : round(dayCutOff, 2),
        total: {
          actual: actualTotal,
          expected: expectedTotal,
          change: totalChange,
          change_percent: percent(actualTotal, expectedTotal),
          ...totalTest,
        },
        drivers,
        anomalies,
        ...(annotated.length > 0 ? { annotations: annotated } : {}),
        notes,
      },
      text: [
        headline,
        flaggedText,
        anomalyText,
        ...annotationLines(annotated),
        table(
          ["date", "actual", "expected", "change %", "score", ...(annotated.length > 0 ? ["annotated"] : [])],
          days.map((day) => [
            day.date,
            day.actual,
            day.expected,
            day.change_percent,
            day.score ?? day.not_scored,
            ...(annotated.length > 0
              ? [
                  annotated
                    .filter((note) => note.date === day.date)
                    .map((note) => note.text)
                    .join("; "),
                ]
              : []),
          ]),
        ),
        "Drivers (contribution to the change):",
        table(
          ["dimension", "value", "actual", "expected", "contribution", "share %"],
          drivers.flatMap((driver) => [
            ...driver.values.map((value) => [
              driver.dimension,
              value.value,
              value.actual,
              value.expected,
              value.contribution,
              value.share_of_change,
            ]),
            [driver.dimension, "(other)", driver.other.actual, driver.other.expected, driver.other.contribution, null],
          ]),
        ),
        ...notes,
      ].join("\n"),
    };
  },
});
