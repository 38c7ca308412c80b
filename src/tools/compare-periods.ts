import { z } from "zod";
import { DEFAULT_SUMMARY_METRICS } from "./get-aggregate";
import { buildFilters, metricRecord, resolveSiteId, runQueries, type MetricValue } from "./query-parts";
import { describeRange, table } from "./render";
import { dateRange, dateRangeOutput, metricList, metricValues, narrowing, siteId } from "./schemas";
import { defineTool, ToolInputError } from "./types";

const DAY_MS = 86_400_000;
const isoDate = (time: number) => new Date(time).toISOString().slice(0, 10);

/**
 * The period just before `current`, of the same length, as explicit dates. Only
 * date pairs and "Nd" have an unambiguous length; "Nd" is turned into UTC dates
 * so both periods are counted the same way.
 */
export function precedingPeriod(current: string | [string, string], today: Date): { current: [string, string]; previous: [string, string] } | undefined {
  let start: number;
  let end: number;
  const days = typeof current === "string" ? /^(\d+)d$/.exec(current) : null;
  if (Array.isArray(current) && /^\d{4}-\d{2}-\d{2}$/.test(current[0] ?? "")) {
    start = Date.parse(`${current[0]}T00:00:00Z`);
    end = Date.parse(`${current[1]}T00:00:00Z`);
  } else if (days) {
    const yesterday = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate()) - DAY_MS;
    end = yesterday;
    start = yesterday - (Number(days[1]) - 1) * DAY_MS;
  } else {
    return undefined;
  }
  const length = end - start + DAY_MS;
  return { current: [isoDate(start), isoDate(end)], previous: [isoDate(start - length), isoDate(end - length)] };
}

function change(now: MetricValue, before: MetricValue): { absolute: number | null; percent: number | null } {
  const a = typeof now === "object" && now !== null ? now.value : now;
  const b = typeof before === "object" && before !== null ? before.value : before;
  if (a === null || b === null) return { absolute: null, percent: null };
  return { absolute: Math.round((a - b) * 100) / 100, percent: b === 0 ? null : Math.round(((a - b) / b) * 1000) / 10 };
}

export const comparePeriodsTool = defineTool({
  name: "compare_periods",
  title: "Compare two periods",
  description:
    'Compare metrics between two periods with absolute and % change, optionally narrowed to a page, goal or filter. Give `current` and `previous`; when `previous` is omitted and `current` is a date pair or "Nd", the period of equal length just before it is used. Example: did traffic to /pricing change in the week after Tuesday\'s deploy versus the week before?',
  inputSchema: z.object({
    site_id: siteId,
    current: dateRange.describe('The period of interest, e.g. ["2024-05-07", "2024-05-13"] or "7d"'),
    previous: dateRange.optional().describe("The period to compare against; omit for the equally long period just before `current`"),
    metrics: metricList.default([...DEFAULT_SUMMARY_METRICS]),
    ...narrowing,
  }),
  outputSchema: z.object({
    site_id: z.string(),
    current: z.object({ date_range: dateRangeOutput, metrics: metricValues }),
    previous: z.object({ date_range: dateRangeOutput, metrics: metricValues }),
    change: z.record(z.string(), z.object({ absolute: z.number().nullable(), percent: z.number().nullable() })),
  }),
  async run(input, context) {
    const site = resolveSiteId(input.site_id, context);
    const periods = input.previous ? { current: input.current, previous: input.previous } : precedingPeriod(input.current, new Date());
    if (!periods) {
      throw new ToolInputError("previous", `cannot infer the period before "${describeRange(input.current)}": give \`previous\` explicitly, or use a date pair or "Nd" for \`current\``);
    }
    const filters = buildFilters(input);
    // Both periods in one call: they run in parallel and share one rate-limit decision.
    const [now, before] = await runQueries(
      context,
      [periods.current, periods.previous].map((date_range) => ({ site_id: site, metrics: input.metrics, date_range, filters })),
    );
    const current = metricRecord(input.metrics, now!.results[0]?.metrics ?? []);
    const previous = metricRecord(input.metrics, before!.results[0]?.metrics ?? []);
    const changes = Object.fromEntries(input.metrics.map((name) => [name, change(current[name], previous[name])]));
    return {
      structured: {
        site_id: site,
        current: { date_range: periods.current, metrics: current },
        previous: { date_range: periods.previous, metrics: previous },
        change: changes,
      },
      text: `${site}: ${describeRange(periods.current)} vs ${describeRange(periods.previous)}\n${table(
        ["metric", "current", "previous", "change", "change %"],
        input.metrics.map((name) => [name, current[name], previous[name], changes[name]!.absolute, changes[name]!.percent]),
      )}`,
    };
  },
});
