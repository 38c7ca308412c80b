import { z } from "zod";
import { EVENT_DIMENSIONS, METRICS, NAMED_DATE_RANGES, TIME_DIMENSIONS, VISIT_DIMENSIONS } from "../plausible";

/**
 * Input pieces shared by the tools, faithful to Plausible's v2 query schema so a
 * model's mistake is caught here, with a message that names the fix, before a
 * Plausible request (and a rate-limit token) is spent.
 */

export const metric = z.enum(METRICS);

/** Plausible refuses a list that names an item twice. */
export function noRepeats(items: readonly string[], ctx: z.RefinementCtx): void {
  const repeated = items.filter((item, index) => items.indexOf(item) !== index);
  if (repeated.length > 0)
    ctx.addIssue({ code: "custom", message: `${[...new Set(repeated)].join(", ")} given more than once: name each at most once` });
}

export const metricList = z.array(metric).min(1).superRefine(noRepeats);

const FILTERABLE = new Set<string>([...EVENT_DIMENSIONS, ...VISIT_DIMENSIONS]);
const TIME = new Set<string>(TIME_DIMENSIONS);
const CUSTOM_PROPERTY = /^event:props:.+$/;

export function isFilterableDimension(name: string): boolean {
  return FILTERABLE.has(name) || CUSTOM_PROPERTY.test(name);
}

export function isDimension(name: string): boolean {
  return isFilterableDimension(name) || name === "event:goal" || TIME.has(name);
}

const DIMENSION_HINT =
  "use event:page, event:name, event:hostname, event:goal, event:props:<name>, " +
  "visit:<source|channel|referrer|utm_*|device|browser|os|country|region|city|*_name|entry_page|exit_page|...> " +
  "or time, time:hour, time:day, time:week, time:month";

export const dimension = z
  .string()
  .superRefine((value, ctx) => {
    if (!isDimension(value)) ctx.addIssue({ code: "custom", message: `unknown dimension "${value}": ${DIMENSION_HINT}` });
  })
  .describe("A Plausible dimension, e.g. event:page, visit:source, visit:country_name, event:props:plan, time:day");

const NAMED_RANGES: readonly string[] = NAMED_DATE_RANGES;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
// RFC 3339, as Plausible's schema asks: seconds are required, and so is the offset.
const DATETIME_WITH_OFFSET = /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-](\d{2}):(\d{2}))$/;

function isCalendarDate(text: string): boolean {
  if (!DATE.test(text)) return false;
  const parsed = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(parsed.getTime()) && parsed.toISOString().startsWith(text);
}

function isDatetimeWithOffset(text: string): boolean {
  const match = DATETIME_WITH_OFFSET.exec(text);
  if (!match) return false;
  const [, date = "", hour, minute, second, , , offsetHour = "0", offsetMinute = "0"] = match;
  const within = (value: string | undefined, max: number) => Number(value) <= max;
  return (
    isCalendarDate(date) &&
    within(hour, 23) &&
    within(minute, 59) &&
    within(second, 59) &&
    within(offsetHour, 23) &&
    within(offsetMinute, 59)
  );
}

/** Says what is wrong with a date range, or nothing when Plausible would accept it. */
function dateRangeProblem(range: string | readonly string[]): string | undefined {
  if (typeof range === "string") {
    if (NAMED_RANGES.includes(range)) return undefined;
    const days = /^(\d+)d$/.exec(range);
    if (days) return Number(days[1]) >= 1 && Number(days[1]) <= 5000 ? undefined : `"${range}": Nd takes 1 to 5000 days`;
    const months = /^(\d+)mo$/.exec(range);
    if (months) return Number(months[1]) >= 1 && Number(months[1]) <= 100 ? undefined : `"${range}": Nmo takes 1 to 100 months`;
    return (
      `"${range}" is not a date range: use one of ${NAMED_RANGES.join(", ")}, "Nd" (last N full days, ` +
      `ending yesterday), "Nmo" (last N full months), or ["YYYY-MM-DD", "YYYY-MM-DD"]`
    );
  }
  const [from, to] = range;
  if (range.length !== 2 || from === undefined || to === undefined) return "give exactly two dates: [start, end]";
  const bothDates = isCalendarDate(from) && isCalendarDate(to);
  const bothDatetimes = isDatetimeWithOffset(from) && isDatetimeWithOffset(to);
  if (!bothDates && !bothDatetimes) {
    return (
      'use two dates ["2024-01-01", "2024-01-31"] or two datetimes with offsets ' +
      '["2024-01-01T00:00:00Z", "2024-01-01T12:00:00+02:00"]; do not mix them'
    );
  }
  if (Date.parse(from) > Date.parse(to)) return `the start ${from} is after the end ${to}`;
  return undefined;
}

/**
 * A [start, end] pair. Declared as an array of exactly two strings rather than a tuple: a tuple's
 * JSON Schema (`prefixItems` with `items: false`) reads as "no items allowed" to the draft-07
 * validators of SDK v1 clients, which then reject every result that holds a date pair.
 */
const datePair = z.array(z.string()).length(2) as unknown as z.ZodType<[string, string]>;

export const dateRange = z
  .union([z.string(), datePair])
  .superRefine((range, ctx) => {
    const problem = dateRangeProblem(range);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  })
  .describe(
    'Period: "day" (today), "24h", "7d"/"28d"/"30d"/"91d" or any "Nd" (last N full days, ending ' +
      'yesterday), "month"/"year" (current, to date), "6mo"/"12mo"/"Nmo" (last N full months), "all", ' +
      'or an inclusive ["YYYY-MM-DD", "YYYY-MM-DD"] pair in the site\'s timezone.',
  );

/** One moment: a date in the site's timezone, or a datetime with its offset (callers add their own description). */
export const dateOrDatetime = z.string().superRefine((value, ctx) => {
  const problem = dateRangeProblem([value, value]);
  if (problem)
    ctx.addIssue({
      code: "custom",
      message: `give a date "YYYY-MM-DD" (site's timezone) or a datetime with offset "YYYY-MM-DDTHH:MM:SSZ": ${problem}`,
    });
});

export const siteId = z
  .string()
  .min(1)
  .optional()
  .describe("The site's domain as registered in Plausible, e.g. example.com. Omit to use the server's default site.");

/** Plausible's filter tree, as in its v2 query schema. */
const clauses = z.array(z.union([z.string(), z.number().int()])).min(1);
const modifiers = z.object({ case_sensitive: z.boolean().optional() }).strict();
const filterDimension = z.string().refine((name) => isFilterableDimension(name) || name === "event:goal" || name === "segment", {
  message: `not a filterable dimension (time dimensions cannot be filtered): ${DIMENSION_HINT}`,
});
const leafOperator = z.enum(["is", "is_not", "contains", "contains_not", "matches", "matches_not"]);

/** Which operator takes which dimension and modifier: Plausible's schema has one leaf shape per operator family. */
function leafProblem([operator, dimension, , modifiers]: [string, string, unknown, unknown?]): string | undefined {
  if ((operator === "matches" || operator === "matches_not") && modifiers !== undefined) {
    return `${operator} takes no {case_sensitive} modifier; for a case-insensitive regex start it with (?i)`;
  }
  if (dimension === "event:goal" && operator !== "is" && operator !== "contains") {
    return `event:goal takes only is and contains; for visitors who did not convert use ["has_not_done", ["is", "event:goal", [...]]]`;
  }
  if (dimension === "segment" && operator !== "is") return `a segment is selected only with ["is", "segment", [id]]`;
  return undefined;
}

const leafFilter = z.tuple([leafOperator, filterDimension, clauses, modifiers.optional()]).superRefine((leaf, ctx) => {
  const problem = leafProblem(leaf);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});
export type FilterInput = z.output<typeof leafFilter> | ["and" | "or", FilterInput[]] | ["not" | "has_done" | "has_not_done", FilterInput];
const filter: z.ZodType<FilterInput> = z.lazy(() =>
  z.union([
    leafFilter,
    z.tuple([z.enum(["and", "or"]), z.array(filter).min(1)]),
    z.tuple([z.enum(["not", "has_done", "has_not_done"]), filter]),
  ]),
);

export const filters = z
  .array(filter)
  .optional()
  .describe(
    'Plausible v2 filters, ANDed: ["is", "event:page", ["/pricing"]], ["contains", "visit:source", ' +
      '["google"], {"case_sensitive": false}], ["matches", "event:page", ["^/blog/"]], ["or", [f1, ' +
      'f2]], ["not", f], ["has_done", ["is", "event:goal", ["Signup"]]]. Operators: is, is_not, ' +
      "contains, contains_not, matches, matches_not (re2, no case_sensitive modifier; use (?i)). " +
      "event:goal takes only is and contains.",
  );

export const propertyFilters = z
  .array(
    z.object({
      property: z
        .string()
        .min(1)
        .describe(
          "A built-in dimension such as visit:country or event:page, or a bare custom property name such " +
            "as plan (meaning event:props:plan)",
        ),
      operator: z.enum(["is", "is_not", "contains", "contains_not"]).default("is"),
      value: z.union([z.string(), z.array(z.string()).min(1)]).describe("One value or a list (any of them matches)"),
    }),
  )
  .optional()
  .describe("Shortcut filters on built-in dimensions or custom properties, ANDed with each other and with `filters`.");

const page = z
  .string()
  .min(1)
  .optional()
  .describe('Only this page path, e.g. "/pricing" (same as the filter ["is", "event:page", [page]])');
const goal = z.string().min(1).optional().describe('Only this goal, e.g. "Signup" (same as the filter ["is", "event:goal", [goal]])');

/** The narrowing arguments most tools share. */
export const narrowing = { filters, property_filters: propertyFilters, page, goal };

/** Output pieces. */
export const metricValue = z.union([
  z.number(),
  z.null(),
  z.object({ value: z.number().nullable(), currency: z.string(), short: z.string(), long: z.string() }),
]);
export const metricValues = z.record(z.string(), metricValue);
/** Output fields of a tool whose rows may be cut to fit the result budget (MAX_RESULT_CHARS). */
export const truncation = {
  truncated: z.boolean().optional().describe("true when rows were left out to keep the result within the server's size limit"),
  rows_shown: z.number().int().optional().describe("With truncated: how many rows this result holds"),
  rows_available: z.number().int().optional().describe("With truncated: how many rows Plausible answered"),
};
/** A dimension value as Plausible sends it: a string, an integer GeoName id for visit:city, or null when unknown. */
export const dimensionValue = z.union([z.string(), z.number(), z.null()]);
export const dateRangeOutput = z.union([z.string(), datePair]);
/** The dates a query covered, as Plausible resolved them in the site's timezone, and the filters it sent. */
export const queryEchoOutput = {
  date_range_resolved: z.array(z.string()).optional().describe("First and last date the query covered, in the site's timezone"),
  filters: z.array(z.unknown()).describe("The filters sent to Plausible"),
};
