import { z } from "zod";
import type { QueryBody, QueryResult } from "../plausible";
import { addDays, datesBetween, daysBetween, resolveRange, resolvedDates, siteClock, weekday, type SiteClock } from "./dates";
import { DEFAULT_SUMMARY_METRICS } from "./get-aggregate";
import { buildFilters, metricRecord, resolveSiteId, runQueries, type MetricValue } from "./query-parts";
import { describeRange, formatPValue, table } from "./render";
import { dateRange, dateRangeOutput, metricList, metricValues, narrowing, siteId } from "./schemas";
import { welchTTest } from "./statistics";
import { defineTool, ToolInputError } from "./types";

/** Metrics that have a value per day (a time:day query), so their days can be tested; the others have no significance. */
const DAILY_TESTABLE = new Set<string>([
  "visitors",
  "visits",
  "pageviews",
  "events",
  "bounce_rate",
  "visit_duration",
  "conversion_rate",
  "total_revenue",
  "average_revenue",
]);

const isDays = (range: string | readonly string[]) => typeof range === "string" && /^\d+d$/.test(range);

/**
 * The period just before `current`, of the same length, as explicit dates. Only
 * date pairs and "Nd" have an unambiguous length; "Nd" is resolved in the
 * site's timezone, as Plausible reads it, so both periods are counted the same way.
 */
export function precedingPeriod(
  current: string | [string, string],
  clock?: SiteClock,
): { current: [string, string]; previous: [string, string] } | undefined {
  const isDatePair = Array.isArray(current) && /^\d{4}-\d{2}-\d{2}$/.test(current[0] ?? "");
  if (!isDatePair && !(clock && isDays(current))) return undefined;
  const [first, last] = isDatePair ? (current as [string, string]) : resolveRange(current, clock!)!;
  const length = daysBetween(first, last);
  return { current: [first, last], previous: [addDays(first, -length), addDays(last, -length)] };
}

const valueOf = (value: MetricValue | undefined) => (typeof value === "object" && value !== null ? value.value : (value ?? null));

const COUNTS = new Set<string>(["visitors", "visits", "pageviews", "events"]);

/**
 * Per-day values of each metric from a time:day answer. Plausible leaves out days without data:
 * for a count that day is a zero (when the period's dates are known), for a rate or an average it has no value.
 */
function dailySeries(
  answer: QueryResult | undefined,
  metrics: readonly string[],
  dates: [string, string] | undefined,
): Record<string, number[]> {
  const byDate = new Map((answer?.results ?? []).map((row) => [String(row.dimensions[0]), row.metrics]));
  const days = dates ? datesBetween(...dates) : [...byDate.keys()];
  return Object.fromEntries(
    metrics.map((name, index) => {
      const values = days.map((date) => {
        const row = byDate.get(date);
        return row ? valueOf(row[index] as MetricValue) : COUNTS.has(name) ? 0 : null;
      });
      return [name, values.filter((value): value is number => value !== null)];
    }),
  );
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
  return `The periods differ in weekday mix (${now.weekend} of ${now.days} days are weekend days now, ${before.weekend} of ${before.days} before); weekday effects may explain part of the change.`;
}

function change(now: MetricValue, before: MetricValue): { absolute: number | null; percent: number | null } {
  const a = valueOf(now);
  const b = valueOf(before);
  if (a === null || b === null) return { absolute: null, percent: null };
  return { absolute: Math.round((a - b) * 100) / 100, percent: b === 0 ? null : Math.round(((a - b) / b) * 1000) / 10 };
}

export const comparePeriodsTool = defineTool({
  name: "compare_periods",
  title: "Compare two periods",
  description:
    'Compare metrics between two periods with absolute and % change, optionally narrowed to a page, goal or filter. Give `current` and `previous`; when `previous` is omitted and `current` is a date pair or "Nd" (resolved in the site\'s timezone), the period of equal length just before it is used. Each metric that has daily values gets a significance test (Welch\'s t-test on daily values: p-value and 95 % confidence interval of the difference in daily means), and a note says when the periods differ in weekday mix. Makes at most 5 Plausible requests (a Sites API lookup for "Nd", then 2 totals and 2 per-day series in parallel). Example: did traffic to /pricing change in the week after Tuesday\'s deploy versus the week before?',
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
      }),
    ),
    filters: z.array(z.unknown()),
    notes: z.array(z.string()),
  }),
  async run(input, context) {
    const site = resolveSiteId(input.site_id, context);
    const clock = !input.previous && isDays(input.current) ? await siteClock(context, site) : undefined;
    const periods = input.previous ? { current: input.current, previous: input.previous } : precedingPeriod(input.current, clock);
    if (!periods) {
      throw new ToolInputError(
        "previous",
        `cannot infer the period before "${describeRange(input.current)}": give \`previous\` explicitly, or use a date pair or "Nd" for \`current\``,
      );
    }
    const filters = buildFilters(input);
    const tested = input.metrics.filter((name) => DAILY_TESTABLE.has(name));
    const ranges = [periods.current, periods.previous];
    const totals: QueryBody[] = ranges.map((date_range) => ({ site_id: site, metrics: input.metrics, date_range, filters }));
    const series: QueryBody[] =
      tested.length === 0
        ? []
        : ranges.map((date_range) => ({ site_id: site, metrics: tested, date_range, dimensions: ["time:day"], filters }));
    // Both periods in one call: they run in parallel and share one rate-limit decision.
    const [now, before, nowDaily, beforeDaily] = await runQueries(context, [...totals, ...series]);
    const current = metricRecord(input.metrics, now!.results[0]?.metrics ?? []);
    const previous = metricRecord(input.metrics, before!.results[0]?.metrics ?? []);
    const changes = Object.fromEntries(input.metrics.map((name) => [name, change(current[name], previous[name])]));
    const resolved = [resolvedDates(now), resolvedDates(before)];
    const datesOf = (index: number, range: string | [string, string]) => resolved[index] ?? (Array.isArray(range) ? range : undefined);
    const daily = [
      dailySeries(nowDaily, tested, datesOf(0, periods.current)),
      dailySeries(beforeDaily, tested, datesOf(1, periods.previous)),
    ];
    const significance = Object.fromEntries(
      input.metrics.map((name) => {
        const result = DAILY_TESTABLE.has(name) ? welchTTest(daily[1]![name]!, daily[0]![name]!) : undefined;
        const round = (value: number) => Math.round(value * 100) / 100;
        return [
          name,
          result
            ? {
                test: result.test,
                p_value: Math.round(result.pValue * 10000) / 10000,
                ci95_daily_mean_difference: result.ci95.map(round),
                significant: result.pValue < 0.05,
              }
            : {
                test: DAILY_TESTABLE.has(name)
                  ? "not tested: fewer than 2 days with a value in a period"
                  : "not tested: this metric has no per-day values",
                p_value: null,
                ci95_daily_mean_difference: [],
                significant: false,
              },
        ];
      }),
    );
    const mix = weekdayMixNote(datesOf(0, periods.current), datesOf(1, periods.previous));
    const notes = [...(mix ? [mix] : []), ...(clock?.note ? [clock.note] : [])];
    return {
      structured: {
        site_id: site,
        current: { date_range: periods.current, ...(resolved[0] ? { date_range_resolved: resolved[0] } : {}), metrics: current },
        previous: { date_range: periods.previous, ...(resolved[1] ? { date_range_resolved: resolved[1] } : {}), metrics: previous },
        change: changes,
        significance,
        filters: filters ?? [],
        notes,
      },
      text: [
        `${site}: ${describeRange(periods.current)} vs ${describeRange(periods.previous)}`,
        table(
          ["metric", "current", "previous", "change", "change %", "p", "significant"],
          input.metrics.map((name) => [
            name,
            current[name],
            previous[name],
            changes[name]!.absolute,
            changes[name]!.percent,
            formatPValue(significance[name]!.p_value),
            significance[name]!.significant ? "yes" : "no",
          ]),
        ),
        ...notes,
      ].join("\n"),
    };
  },
});
