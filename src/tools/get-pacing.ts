import { z } from "zod";
import type { QueryResult } from "../plausible";
import { addDays, dataSpanQuery, dataSpanFrom, dateIn, datesBetween, daysBetween, weekday } from "./dates";
import { COVERAGE, forecastTotal, LEVEL_DAYS, MINIMUM_HISTORY_DAYS, PROFILE_DAYS, type Forecast } from "./forecast";
import { resolveSiteId, runQueries } from "./query-parts";
import { table } from "./render";
import { siteId } from "./schemas";
import { defineTool, ToolInputError } from "./types";

const COUNTS = ["visitors", "visits", "pageviews", "events"] as const;
type Count = (typeof COUNTS)[number];
/** Complete days before today whose values give the forecast and its back-tests (52 weeks). */
const HISTORY_DAYS = 364;

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;
const QUARTER = /^(\d{4})-Q([1-4])$/;

/** The first and last date of a "YYYY-MM" or "YYYY-Qn" period; undefined when it is neither. */
export function periodDates(period: string): [string, string] | undefined {
  const month = MONTH.exec(period);
  const quarter = QUARTER.exec(period);
  if (!month && !quarter) return undefined;
  const year = Number((month ?? quarter)![1]);
  const firstMonth = month ? Number(month[2]) : 3 * Number(quarter![2]) - 2;
  const months = month ? 1 : 3;
  const first = new Date(Date.UTC(year, firstMonth - 1, 1)).toISOString().slice(0, 10);
  const last = new Date(Date.UTC(year, firstMonth - 1 + months, 0)).toISOString().slice(0, 10);
  return [first, last];
}

function countMetric(name: string): Count {
  if ((COUNTS as readonly string[]).includes(name)) return name as Count;
  if (/rate|duration|per_visit|revenue|percentage|time_on_page|scroll/.test(name))
    throw new ToolInputError(
      "metric",
      `${name} is a rate or an average: its value over a period is not the sum of its days, so there is no total to be on pace ` +
        `for. Pace a count (${COUNTS.join(", ")}), or follow ${name} with compare_periods or get_timeseries.`,
    );
  throw new ToolInputError("metric", `"${name}" is not a count this tool can pace: use one of ${COUNTS.join(", ")}.`);
}

/** On pace when the target lies below the interval, behind when above it, else too close to call. */
type Status = "reached" | "on pace" | "behind pace" | "too close to call" | "no target" | "no forecast";

function statusOf(target: number | null, soFar: number, low: number | null, high: number | null): Status {
  if (target === null) return "no target";
  if (soFar >= target) return "reached";
  if (low === null || high === null) return "no forecast";
  if (low >= target) return "on pace";
  if (high < target) return "behind pace";
  return "too close to call";
}

const rounded = (value: number) => Math.round(value);

function methodText(forecast: Forecast | undefined, historyDays: number, requests: number): string {
  const model =
    `Forecast: the recent level (weekday-adjusted daily mean of the last ${LEVEL_DAYS} complete days) times the weekday profile ` +
    `(each weekday's mean over the last ${PROFILE_DAYS} days, relative to the week's), summed over the days left, today included ` +
    `as a whole day.`;
  const interval = forecast?.interval
    ? `The ${100 * COVERAGE} % interval is the spread of the same forecast's log errors at ${forecast.backtests} earlier days of ` +
      `the site's ${historyDays} days of history for as many days ahead (RMS ${forecast.logErrorScale!.toFixed(3)}, Student's t ` +
      `with ${forecast.degreesOfFreedom.toFixed(1)} df); back-tested on synthetic sites to hold the period's end value in ` +
      `70–90 % of cases (docs/pacing.md).`
    : `No interval: the site's ${historyDays} days of history are too few to back-test a forecast this far ahead.`;
  return `${model} ${interval} ${requests} Plausible requests.`;
}

export const getPacingTool = defineTool({
  name: "get_pacing",
  title: "Pacing toward a target",
  description: [
    "Are we on track? A count's total so far in a month or quarter, the forecast for the period's end with an 80 % interval,",
    "the target set with set_target (null when none), and the daily rate needed from here to reach it.",
    "Only complete days count: today is not over, so it is forecast as a whole day and its partial count is left out.",
    `The forecast is the site's recent level (the last ${LEVEL_DAYS} days, weekday-adjusted) times its weekday profile`,
    `(the last ${PROFILE_DAYS} days); the interval is the spread of the same forecast's errors at earlier days of the site's`,
    `last ${HISTORY_DAYS} days for as many days ahead, back-tested to hold the end value in 70–90 % of cases.`,
    "Counts only (visitors, visits, pageviews, events): a rate or average has no total to pace toward.",
    'Makes at most 3 Plausible requests: the "all" range (its echo gives the site\'s today and first day with data),',
    "then in one parallel batch the daily series of the history and the period's total so far.",
    "Example: are we on pace for 120,000 visitors this month?",
  ],
  inputSchema: z.object({
    site_id: siteId,
    metric: z.string().default("visitors").describe("A count: visitors, visits, pageviews or events (default visitors)"),
    period: z
      .string()
      .regex(/^\d{4}-((0[1-9]|1[0-2])|Q[1-4])$/, 'a month "YYYY-MM" or a quarter "YYYY-Qn", e.g. "2026-06" or "2026-Q3"')
      .optional()
      .describe('A month "YYYY-MM" or a quarter "YYYY-Qn"; default the current month in the site\'s timezone'),
  }),
  outputSchema: z.object({
    site_id: z.string(),
    metric: z.string(),
    period: z.string(),
    period_dates: z.array(z.string()),
    today: z.string().describe("Today in the site's timezone; not over, so not counted in so_far"),
    target: z.number().nullable().describe("The target set with set_target, or null when none is set"),
    so_far: z.number().describe("The total over the period's complete days (through yesterday)"),
    days_left: z.number().describe("Days of the period still to come, today included"),
    forecast: z.object({
      value: z.number().nullable().describe("Forecast total at the period's end"),
      low: z.number().nullable().describe("Lower end of the 80 % interval"),
      high: z.number().nullable().describe("Upper end of the 80 % interval"),
    }),
    forecast_daily_rate: z.number().nullable().describe("The forecast's mean per remaining day"),
    required_daily_rate: z.number().nullable().describe("The mean per remaining day that reaches the target"),
    status: z.enum(["reached", "on pace", "behind pace", "too close to call", "no target", "no forecast"]),
    method: z.string(),
    notes: z.array(z.string()),
  }),
  async run(input, context) {
    const site = resolveSiteId(input.site_id, context);
    const metric = countMetric(input.metric);
    const [spanAnswer] = await runQueries(context, [dataSpanQuery(site)]);
    const span = dataSpanFrom(spanAnswer);
    const notes: string[] = [];
    if (!span)
      notes.push("Plausible did not echo the dates it covers, so today is UTC's and days before the site's data count as zero traffic.");
    const today = span?.today ?? dateIn("UTC", new Date());
    const firstDay = span?.firstDay ?? addDays(today, -HISTORY_DAYS);
    const period = input.period ?? today.slice(0, 7);
    const [periodFirst, periodLast] = periodDates(period)!;
    const yesterday = addDays(today, -1);

    const historyStart = addDays(today, -HISTORY_DAYS) > firstDay ? addDays(today, -HISTORY_DAYS) : firstDay;
    const countedFirst = periodFirst > firstDay ? periodFirst : firstDay;
    const countedLast = periodLast < yesterday ? periodLast : yesterday;
    // A period that is over needs only its total.
    const hasHistory = periodLast >= today && historyStart <= yesterday;
    const hasCounted = countedFirst <= countedLast;
    const bodies = [
      ...(hasHistory
        ? [{ site_id: site, metrics: [metric], date_range: [historyStart, yesterday] as [string, string], dimensions: ["time:day"] }]
        : []),
      ...(hasCounted ? [{ site_id: site, metrics: [metric], date_range: [countedFirst, countedLast] as [string, string] }] : []),
    ];
    const answers: QueryResult[] = bodies.length > 0 ? await runQueries(context, bodies) : [];
    const daily = hasHistory ? answers[0] : undefined;
    const total = hasCounted ? answers[hasHistory ? 1 : 0] : undefined;
    const soFar = Number(total?.results[0]?.metrics[0] ?? 0);

    const byDate = new Map((daily?.results ?? []).map((row) => [String(row.dimensions[0]), Number(row.metrics[0] ?? 0)]));
    const historyDates = hasHistory ? datesBetween(historyStart, yesterday) : [];
    const history = { values: historyDates.map((date) => byDate.get(date) ?? 0), weekdays: historyDates.map(weekday) };
    // The days still to come: from today (or the period's start, when it lies ahead) to the period's end.
    const aheadFirst = periodFirst > today ? periodFirst : today;
    const daysLeft = periodLast < today ? 0 : daysBetween(aheadFirst, periodLast);
    const forecast = daysLeft > 0 ? forecastTotal(history, daysBetween(today, aheadFirst) - 1, daysLeft) : undefined;

    const over = daysLeft === 0;
    const value = over ? soFar : forecast ? soFar + forecast.total : null;
    const [low, high] = over ? [soFar, soFar] : forecast?.interval ? forecast.interval.map((bound) => soFar + bound) : [null, null];
    const target = (await context.memory.getTarget(site, metric, period))?.value ?? null;
    const required = target === null || over ? null : Math.max(0, target - soFar) / daysLeft;

    if (over) notes.push(`${period} is over: so_far is its final total.`);
    else if (periodFirst > today) notes.push(`${period} has not started; the forecast covers all its ${daysLeft} days.`);
    else notes.push(`Today (${today}) is not over: its partial count is not in so_far; it is forecast as a whole day.`);
    if (!over && !forecast)
      notes.push(`No forecast: it needs at least ${MINIMUM_HISTORY_DAYS} complete days of history; the site's data start on ${firstDay}.`);
    if (span && firstDay > periodLast) notes.push(`The site's data start on ${firstDay}, after ${period}: there is nothing to count.`);
    else if (span && firstDay > periodFirst) notes.push(`The site's data start on ${firstDay}, within ${period}.`);
    if (target === null)
      notes.push(
        `No target is set for ${metric} in ${period}: set one with set_target {site_id: "${site}", metric: "${metric}", ` +
          `period: "${period}", value}.`,
      );
    const status = statusOf(target, soFar, low, high);
    const requests = 1 + bodies.length;
    const method = over
      ? `The period is over: its total as Plausible counts it. ${requests} Plausible requests.`
      : methodText(forecast, historyDates.length, requests);
    const round = (bound: number | null) => (bound === null ? null : rounded(bound));
    const forecastDaily = forecast && daysLeft > 0 ? rounded(forecast.total / daysLeft) : null;
    return {
      structured: {
        site_id: site,
        metric,
        period,
        period_dates: [periodFirst, periodLast],
        today,
        target,
        so_far: soFar,
        days_left: daysLeft,
        forecast: { value: round(value), low: round(low ?? null), high: round(high ?? null) },
        forecast_daily_rate: forecastDaily,
        required_daily_rate: required === null ? null : rounded(required),
        status,
        method,
        notes,
      },
      text: [
        `${site}: ${metric} in ${period} (${periodFirst} to ${periodLast}), ${status}`,
        table(
          ["so far", "forecast", "80 % low", "80 % high", "target", "days left", "needed per day", "forecast per day"],
          [
            [
              soFar,
              round(value),
              round(low ?? null),
              round(high ?? null),
              target,
              daysLeft,
              required === null ? null : rounded(required),
              forecastDaily,
            ],
          ],
        ),
        method,
        ...notes,
      ].join("\n"),
    };
  },
});
