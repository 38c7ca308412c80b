// Turns a query's date_range into an instant range, following Plausible's
// rules: `Nd` is the N full days ending yesterday, `Nmo` the N full calendar
// months ending last month, `day`/`month`/`year` the current ones, all in the
// site's timezone.

import {
  addDays,
  addMonths,
  DAY_MS,
  endOfMonth,
  isCalendarDate,
  isOffsetDateTime,
  localDate,
  localMidnight,
  startOfMonth,
} from "./time.ts";

export interface ResolvedRange {
  /** First instant in the range. */
  first: number;
  /** Last instant in the range (inclusive, in milliseconds). */
  last: number;
  /** Site-local dates of `first` and `last`, for time buckets and labels. */
  firstDate: string;
  lastDate: string;
}

export interface RangeSite {
  timezone: string;
  statsStartDate: string;
}

const NAMED = new Set(["all", "day", "24h", "7d", "28d", "30d", "91d", "month", "6mo", "12mo", "year"]);

/** Whether `value` is a date_range Plausible accepts, apart from its order. */
export function isDateRangeShape(value: unknown): boolean {
  if (typeof value === "string") {
    if (NAMED.has(value)) return true;
    const days = /^(\d+)d$/.exec(value);
    if (days) return Number(days[1]) >= 1 && Number(days[1]) <= 5000;
    const months = /^(\d+)mo$/.exec(value);
    return months !== null && Number(months[1]) >= 1 && Number(months[1]) <= 100;
  }
  if (!Array.isArray(value) || value.length !== 2) return false;
  const [from, to] = value as unknown[];
  if (typeof from !== "string" || typeof to !== "string") return false;
  return (isCalendarDate(from) && isCalendarDate(to)) || (isOffsetDateTime(from) && isOffsetDateTime(to));
}

function dates(site: RangeSite, firstDate: string, lastDate: string): ResolvedRange {
  return {
    first: localMidnight(firstDate, site.timezone),
    last: localMidnight(addDays(lastDate, 1), site.timezone) - 1,
    firstDate,
    lastDate,
  };
}

function instants(site: RangeSite, first: number, last: number): ResolvedRange {
  return { first, last, firstDate: localDate(first, site.timezone), lastDate: localDate(last, site.timezone) };
}

/**
 * Resolves a date_range that passed `isDateRangeShape`. Returns null when an
 * explicit range ends before it starts.
 */
export function resolveDateRange(
  value: string | [string, string],
  site: RangeSite,
  now: number,
  trimToToday: boolean,
): ResolvedRange | null {
  const today = localDate(now, site.timezone);
  const trim = (last: string) => (trimToToday && last > today ? today : last);

  if (Array.isArray(value)) {
    const [from, to] = value;
    if (isCalendarDate(from)) return from <= to ? dates(site, from, to) : null;
    const first = Date.parse(from);
    const last = Date.parse(to);
    return first <= last ? instants(site, first, last) : null;
  }

  switch (value) {
    case "all":
      return dates(site, site.statsStartDate < today ? site.statsStartDate : today, today);
    case "day":
      return dates(site, today, today);
    case "24h":
      return instants(site, now - DAY_MS, now);
    case "month":
      return dates(site, startOfMonth(today), trim(endOfMonth(today)));
    case "year":
      return dates(site, `${today.slice(0, 4)}-01-01`, trim(`${today.slice(0, 4)}-12-31`));
  }

  const days = /^(\d+)d$/.exec(value);
  if (days) return dates(site, addDays(today, -Number(days[1])), addDays(today, -1));

  const months = Number(/^(\d+)mo$/.exec(value)?.[1]);
  return dates(site, addMonths(today, -months), endOfMonth(addMonths(today, -1)));
}
