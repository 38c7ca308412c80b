import { z } from "zod";
import type { QueryBody, QueryResult } from "../plausible";
import { addDays, datesBetween, daysBetween, resolveRange, siteClock, weekday } from "./dates";
import { buildFilters, resolveSiteId, runQueries } from "./query-parts";
import { describeRange, table } from "./render";
import { dateRange, dimension, narrowing, noRepeats, siteId } from "./schemas";
import { mean, median, robustZScore } from "./statistics";
import { defineTool, ToolInputError } from "./types";

const COUNT_METRICS = ["visitors", "visits", "pageviews", "events"] as const;
const DEFAULT_DIMENSIONS = ["visit:source", "visit:channel", "event:page", "visit:country_name", "visit:device"];
const MAX_PERIOD_DAYS = 92;
/** A day is flagged when it lies this many robust standard deviations from its same-weekday baseline (Iglewicz and Hoaglin's cut-off for modified z-scores). */
const FLAG_AT = 3.5;

type Daily = Map<string, number>;

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

/** The baseline dates that share each weekday (0 = Sunday). */
function baselineByWeekday(baselineDates: string[]): string[][] {
  return Array.from({ length: 7 }, (_, day) => baselineDates.filter((date) => weekday(date) === day));
}

/**
 * The baseline's typical relative day-to-day deviation from its weekday median, robustly
 * (1.4826 x the median absolute relative residual), pooled over every weekday.
 */
function dayToDayNoise(sameWeekday: string[][], daily: Daily): number {
  const residuals = sameWeekday.flatMap((dates) => {
    const values = dates.map((date) => daily.get(date) ?? 0);
    const center = median(values);
    return values.length < 2 || center === 0 ? [] : values.map((value) => Math.abs(value / center - 1));
  });
  return residuals.length === 0 ? 0 : 1.4826 * median(residuals);
}

const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;
const percent = (actual: number, expected: number) => (expected === 0 ? null : round(((actual - expected) / expected) * 100));

export const explainChangeTool = defineTool({
  name: "explain_change",
  title: "Explain a change",
  description:
    "What changed in a period and what drove it. Each day of the period is compared with the median of the same weekday in a baseline (default: the 4 weeks before the period), with a robust deviation score (median/MAD) that flags unusual days; the period's total is set against its expected value; per dimension (default source, channel, page, country, device) the values that account for most of the difference are ranked, with their contribution and share of the change. Counts only (visitors, visits, pageviews, events), summed over days. Relative periods resolve in the site's timezone. Makes at most 13 Plausible requests (1 Sites API lookup, 2 per-day series, 2 per dimension), in one parallel batch after the lookup. Example: what happened on Thursday, and where did the extra visitors come from?",
  inputSchema: z.object({
    site_id: siteId,
    metric: z.enum(COUNT_METRICS).default("visitors"),
    period: dateRange
      .default("7d")
      .describe(
        'The period to explain: "7d" (default: the last 7 full days), a date pair, or any range the other tools take except "all" and "24h"',
      ),
    baseline: dateRange
      .optional()
      .describe("What normal looks like; default the 28 days before the period (so each weekday appears 4 times)"),
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
      }),
    ),
    total: z.object({ actual: z.number(), expected: z.number(), change: z.number(), change_percent: z.number().nullable() }),
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
      }),
    ),
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
    const baseline = input.baseline
      ? resolveRange(input.baseline, clock)
      : ([addDays(period[0], -28), addDays(period[0], -1)] as [string, string]);
    if (!baseline) throw new ToolInputError("baseline", `"${describeRange(input.baseline!)}" has no fixed dates; use "Nd" or a date pair`);
    if (daysBetween(...baseline) > 366) throw new ToolInputError("baseline", "at most 366 days");

    const filters = buildFilters(input);
    const query = (range: [string, string], dimensions: string[]): QueryBody => ({
      site_id: site,
      metrics: [input.metric],
      date_range: range,
      dimensions,
      ...(filters ? { filters } : {}),
      ...(dimensions.length > 1 ? { order_by: [[input.metric, "desc"]], pagination: { limit: 10000 } } : {}),
    });
    const answers = await runQueries(context, [
      query(period, ["time:day"]),
      query(baseline, ["time:day"]),
      ...input.dimensions.flatMap((name) => [query(period, [name, "time:day"]), query(baseline, [name, "time:day"])]),
    ]);

    const periodDates = datesBetween(...period);
    const sameWeekday = baselineByWeekday(datesBetween(...baseline));
    const actualDaily = dailyTotals(answers[0]!);
    const baselineDaily = dailyTotals(answers[1]!);
    const noise = dayToDayNoise(sameWeekday, baselineDaily);
    const days = periodDates.map((date) => {
      const reference = sameWeekday[weekday(date)]!.map((day) => baselineDaily.get(day) ?? 0);
      const actual = actualDaily.get(date) ?? 0;
      const expected = reference.length > 0 ? median(reference) : Number.NaN;
      // Four same-weekday values give an unsteady MAD: the noise of the whole baseline, and at least
      // Poisson noise (the square root of the count), set a floor under the scale.
      const score =
        reference.length > 0 ? robustZScore(actual, reference, Math.max(noise * expected, Math.sqrt(Math.max(expected, 1)))) : null;
      return {
        date,
        actual,
        expected: Number.isNaN(expected) ? 0 : round(expected),
        change_percent: percent(actual, expected),
        score: score === null ? null : round(score, 2),
        flagged: score !== null && Math.abs(score) >= FLAG_AT,
      };
    });
    const actualTotal = days.reduce((sum, day) => sum + day.actual, 0);
    const expectedTotal = round(days.reduce((sum, day) => sum + day.expected, 0));
    const totalChange = round(actualTotal - expectedTotal);

    const drivers = input.dimensions.map((name, index) => {
      const actualByValue = dailyByValue(answers[2 + 2 * index]!);
      const baselineByValue = dailyByValue(answers[3 + 2 * index]!);
      const values = [...new Set([...actualByValue.keys(), ...baselineByValue.keys()])].map((value) => {
        const actual = [...(actualByValue.get(value)?.values() ?? [])].reduce((sum, count) => sum + count, 0);
        const history = baselineByValue.get(value);
        const expected = periodDates.reduce((sum, date) => {
          const reference = sameWeekday[weekday(date)]!;
          return sum + (reference.length > 0 ? mean(reference.map((day) => history?.get(day) ?? 0)) : 0);
        }, 0);
        const contribution = actual - expected;
        return {
          value,
          actual,
          expected: round(expected),
          contribution: round(contribution),
          share_of_change: totalChange === 0 ? null : round((contribution / totalChange) * 100),
        };
      });
      // Rank by contribution in the direction of the change: the values that explain it come first.
      const direction = totalChange < 0 ? -1 : 1;
      values.sort((a, b) => direction * (b.contribution - a.contribution));
      return { dimension: name, values: values.slice(0, input.top) };
    });

    const notes = [
      `Expected values are the median of the same weekday in ${baseline[0]} to ${baseline[1]}; a day is flagged when its robust score (median/MAD; the baseline's pooled day-to-day noise and Poisson noise as floors) reaches ±${FLAG_AT}.`,
      "Totals and contributions are sums of daily values: a visitor who came on two days counts twice. Shares are of the total change; values of event dimensions (such as pages) overlap, so their shares can add up to more than 100 %.",
      ...(period[1] >= clock.today
        ? [`${clock.today} is today and still in progress: its value is partial, so it reads low against full baseline days.`]
        : []),
      ...(clock.note ? [clock.note] : []),
    ];
    const flagged = days.filter((day) => day.flagged);
    const headline = `${site}: ${input.metric} ${period[0]} to ${period[1]}: ${actualTotal} vs ${expectedTotal} expected (${totalChange >= 0 ? "+" : ""}${percent(actualTotal, expectedTotal) ?? "–"} %).`;
    const flaggedText =
      flagged.length === 0
        ? "No day stands out from its weekday baseline."
        : `Unusual: ${flagged.map((day) => `${day.date} (${day.change_percent !== null && day.change_percent >= 0 ? "+" : ""}${day.change_percent} %, score ${day.score})`).join(", ")}.`;
    return {
      structured: {
        site_id: site,
        metric: input.metric,
        date_range_resolved: period,
        baseline_resolved: baseline,
        filters: filters ?? [],
        days,
        total: { actual: actualTotal, expected: expectedTotal, change: totalChange, change_percent: percent(actualTotal, expectedTotal) },
        drivers,
        notes,
      },
      text: [
        headline,
        flaggedText,
        table(
          ["date", "actual", "expected", "change %", "score"],
          days.map((day) => [day.date, day.actual, day.expected, day.change_percent, day.score]),
        ),
        "Drivers (contribution to the change):",
        table(
          ["dimension", "value", "actual", "expected", "contribution", "share %"],
          drivers.flatMap((driver) =>
            driver.values.map((value) => [
              driver.dimension,
              value.value,
              value.actual,
              value.expected,
              value.contribution,
              value.share_of_change,
            ]),
          ),
        ),
        ...notes,
      ].join("\n"),
    };
  },
});
