import type { QueryBody, QueryResult, Site } from "../plausible";
import { DAY_MS } from "../shared/time";
import type { ToolContext } from "./types";

/**
 * Calendar dates ("YYYY-MM-DD") in a site's timezone. Plausible resolves a
 * relative range such as "7d" in the site's timezone; tools that split or
 * shift a period (baselines, before/after windows) resolve it the same way, so
 * their explicit dates cover the days Plausible would.
 */

export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

/** Every date from `first` to `last`, inclusive. */
export function datesBetween(first: string, last: string): string[] {
  const dates: string[] = [];
  for (let date = first; date <= last; date = addDays(date, 1)) dates.push(date);
  return dates;
}

export function daysBetween(first: string, last: string): number {
  return Math.round((Date.parse(`${last}T00:00:00Z`) - Date.parse(`${first}T00:00:00Z`)) / DAY_MS) + 1;
}

/** 0 = Sunday ... 6 = Saturday. */
export function weekday(date: string): number {
  return new Date(`${date}T12:00:00Z`).getUTCDay();
}

/** The calendar date at `instant` in `timezone`. */
export function dateIn(timezone: string, instant: Date): string {
  const parts = new Intl.DateTimeFormat("en-CA", { timeZone: timezone, year: "numeric", month: "2-digit", day: "2-digit" }).formatToParts(
    instant,
  );
  const part = (type: string) => parts.find((candidate) => candidate.type === type)?.value ?? "";
  return `${part("year")}-${part("month")}-${part("day")}`;
}

export interface SiteClock {
  /** The site's IANA timezone, when the Sites API named it. */
  timezone?: string;
  /** Today in the site's timezone. */
  today: string;
  /** Set when neither the Sites API nor Plausible's echo gave the site's today and UTC stands in. */
  note?: string;
}

/**
 * The site's timezone and today's date there, from the Sites API. Where the instance has none
 * (Community Edition, some plans) or the site is not listed, today comes from Plausible's own echo
 * of a "day" range (one more request), which is in the site's timezone on every edition.
 */
export async function siteClock(context: ToolContext, siteId: string, now = new Date()): Promise<SiteClock> {
  let timezone: string | undefined;
  let reason = "the site is not in the Sites API's list";
  try {
    const [sites] = (await context.plausible([{ kind: "sites" }])) as [Site[]];
    timezone = sites.find((site) => site.domain === siteId)?.timezone;
  } catch {
    reason = "this Plausible instance has no Sites API (Community Edition or a plan without it)";
  }
  if (timezone) {
    try {
      return { timezone, today: dateIn(timezone, now) };
    } catch {
      reason = `the site's timezone "${timezone}" is unknown here`;
    }
  }
  const [answer] = (await context.plausible([{ kind: "query", body: todayQuery(siteId) }])) as [QueryResult];
  const today = todayFrom(answer);
  if (today) return { today };
  return {
    timezone: "UTC",
    today: dateIn("UTC", now),
    note:
      `Relative dates were resolved in UTC because ${reason} and Plausible did not echo its dates; ` +
      "give explicit dates in the site's timezone if the site is elsewhere.",
  };
}

/** A query whose answer echoes the site's today: Plausible resolves "day" to today in the site's timezone. */
export function todayQuery(siteId: string): QueryBody {
  return { site_id: siteId, metrics: ["visitors"], date_range: "day" };
}

/** The site's today, from the answer to `todayQuery` (or `dataSpanQuery`, which also ends today). */
export function todayFrom(answer: QueryResult | undefined): string | undefined {
  return resolvedDates(answer)?.[1];
}

/**
 * A query whose answer echoes the site's span of data: Plausible resolves "all" from the site's first
 * day with stats (its stats_start_date; today for a site without data) to today, in the site's timezone.
 */
export function dataSpanQuery(siteId: string): QueryBody {
  return { site_id: siteId, metrics: ["visitors"], date_range: "all" };
}

export interface DataSpan {
  /** The site's first day with data. */
  firstDay: string;
  /** Today in the site's timezone. */
  today: string;
}

/** The site's first day with data and its today, from the answer to `dataSpanQuery`. */
export function dataSpanFrom(answer: QueryResult | undefined): DataSpan | undefined {
  const dates = resolvedDates(answer);
  return dates && { firstDay: dates[0], today: dates[1] };
}

/**
 * The site's span of data (one request), for tools that must not count the days before a site's
 * data starts as zero traffic. Where Plausible echoes no dates, today is UTC's, the first day is
 * unknown, and the note says so.
 */
export async function siteDataSpan(context: ToolContext, siteId: string, now = new Date()): Promise<DataSpan & { note?: string }> {
  const [answer] = (await context.plausible([{ kind: "query", body: dataSpanQuery(siteId) }])) as [QueryResult];
  return (
    dataSpanFrom(answer) ?? {
      firstDay: "0000-01-01",
      today: dateIn("UTC", now),
      note:
        "Plausible did not echo the dates it covers, so today is UTC's and days before the site's data " +
        "are not recognised; give explicit dates in the site's timezone.",
    }
  );
}

/** `range` without the days before `firstDay`; undefined when the whole range lies before it. */
export function clipToDataStart(range: readonly [string, string], firstDay: string): [string, string] | undefined {
  if (range[1] < firstDay) return undefined;
  return [range[0] < firstDay ? firstDay : range[0], range[1]];
}

/** `range` without today and later days (today is not over yet); undefined when nothing complete is left. */
export function completeDaysOf(range: readonly [string, string], today: string): [string, string] | undefined {
  const yesterday = addDays(today, -1);
  if (range[0] > yesterday) return undefined;
  return [range[0], range[1] > yesterday ? yesterday : range[1]];
}

/**
 * The first and last date a range covers, as Plausible reads it in the site's
 * timezone: "Nd" ends yesterday, "day" is today, "month"/"year" run to today,
 * "Nmo" are full months ending last month. A datetime pair gives its dates.
 * Undefined for "all" and "24h", whose dates depend on the data.
 */
export function resolveRange(range: string | readonly string[], clock: SiteClock): [string, string] | undefined {
  if (Array.isArray(range)) return [String(range[0]).slice(0, 10), String(range[1]).slice(0, 10)];
  const { today } = clock;
  const days = /^(\d+)d$/.exec(range as string);
  if (days) return [addDays(today, -Number(days[1])), addDays(today, -1)];
  const months = /^(\d+)mo$/.exec(range as string);
  const firstOfMonth = `${today.slice(0, 8)}01`;
  if (months) {
    const start = new Date(`${firstOfMonth}T00:00:00Z`);
    start.setUTCMonth(start.getUTCMonth() - Number(months[1]));
    return [start.toISOString().slice(0, 10), addDays(firstOfMonth, -1)];
  }
  if (range === "day") return [today, today];
  if (range === "month") return [firstOfMonth, today];
  if (range === "year") return [`${today.slice(0, 4)}-01-01`, today];
  return undefined;
}

/** The dates Plausible says a query covered (its answer echoes the resolved range as datetimes in the site's timezone). */
export function resolvedDates(answer: QueryResult | undefined): [string, string] | undefined {
  const range = (answer?.query as { date_range?: unknown } | undefined)?.date_range;
  if (!Array.isArray(range) || typeof range[0] !== "string" || typeof range[1] !== "string") return undefined;
  return [range[0].slice(0, 10), range[1].slice(0, 10)];
}
