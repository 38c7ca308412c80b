// Calendar helpers for site-local dates. Dates are "YYYY-MM-DD" strings and
// instants are epoch milliseconds; Intl supplies the timezone offsets so the
// simulator needs no date library. Nothing here comes from src/: a calibration run bundles the
// simulator with the tools of an older baseline (dev/calibration/main.ts), whose src/ may lack it.

export const DAY_MS = 86_400_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timezone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timezone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat("en-US", {
      timeZone: timezone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formatters.set(timezone, formatter);
  }
  return formatter;
}

/** Minutes to add to UTC to get the wall clock of `timezone` at `instant`. */
export function offsetMinutes(timezone: string, instant: number): number {
  const parts: Record<string, number> = {};
  for (const part of formatterFor(timezone).formatToParts(instant)) {
    if (part.type !== "literal") parts[part.type] = Number(part.value);
  }
  const wallClock = Date.UTC(
    parts.year ?? 1970,
    (parts.month ?? 1) - 1,
    parts.day ?? 1,
    parts.hour ?? 0,
    parts.minute ?? 0,
    parts.second ?? 0,
  );
  return Math.round((wallClock - Math.floor(instant / 1000) * 1000) / 60_000);
}

/** The instant at which `date` begins in `timezone`. */
export function localMidnight(date: string, timezone: string): number {
  const naive = dateToUtcMs(date);
  let guess = naive - offsetMinutes(timezone, naive) * 60_000;
  // A second pass settles days on which the offset changes.
  guess = naive - offsetMinutes(timezone, guess) * 60_000;
  return guess;
}

/** The site-local calendar date of `instant`. */
export function localDate(instant: number, timezone: string): string {
  return utcMsToDate(instant + offsetMinutes(timezone, instant) * 60_000);
}

function dateToUtcMs(date: string): number {
  return Date.parse(`${date}T00:00:00Z`);
}

function utcMsToDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export function addDays(date: string, days: number): string {
  return utcMsToDate(dateToUtcMs(date) + days * DAY_MS);
}

// Dates by days since the epoch. Spelling a date costs about a microsecond; a three-year series asks for a
// thousand of them on every query, and the simulator shares the CPU of whatever it is measured beside.
const dateByDay = new Map<number, string>();

/** Every date from `first` to `last`, both included, in order. */
export function datesFrom(first: string, last: string): string[] {
  const dates: string[] = [];
  for (let day = dateToUtcMs(first) / DAY_MS, end = dateToUtcMs(last) / DAY_MS; day <= end; day++) {
    let date = dateByDay.get(day);
    if (date === undefined) dateByDay.set(day, (date = utcMsToDate(day * DAY_MS)));
    dates.push(date);
  }
  return dates;
}

export function daysBetween(first: string, last: string): number {
  return Math.round((dateToUtcMs(last) - dateToUtcMs(first)) / DAY_MS);
}

export function startOfMonth(date: string): string {
  return `${date.slice(0, 7)}-01`;
}

export function endOfMonth(date: string): string {
  const [year, month] = date.split("-").map(Number) as [number, number];
  return utcMsToDate(Date.UTC(year, month, 0));
}

export function addMonths(date: string, months: number): string {
  const [year, month] = date.split("-").map(Number) as [number, number];
  return utcMsToDate(Date.UTC(year, month - 1 + months, 1));
}

/** Monday of the ISO week holding `date`. */
export function startOfWeek(date: string): string {
  const weekday = new Date(dateToUtcMs(date)).getUTCDay();
  return addDays(date, -((weekday + 6) % 7));
}

export function isCalendarDate(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const ms = dateToUtcMs(value);
  return Number.isFinite(ms) && utcMsToDate(ms) === value;
}

/** RFC 3339 date-time with an explicit offset, as Plausible's schema requires. */
export function isOffsetDateTime(value: string): boolean {
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i.exec(value);
  if (!match || !isCalendarDate(match[1] ?? "")) return false;
  return Number(match[2]) < 24 && Number(match[3]) < 60 && Number(match[4]) < 60 && Number.isFinite(Date.parse(value));
}

/** ISO 8601 with the site's offset, the way Plausible echoes its date range. */
export function toIsoInZone(instant: number, timezone: string): string {
  const offset = offsetMinutes(timezone, instant);
  const wall = new Date(Math.floor(instant / 1000) * 1000 + offset * 60_000).toISOString().slice(0, 19);
  if (offset === 0 && timezone === "Etc/UTC") return `${wall}Z`;
  const sign = offset < 0 ? "-" : "+";
  const abs = Math.abs(offset);
  const hours = String(Math.floor(abs / 60)).padStart(2, "0");
  const minutes = String(abs % 60).padStart(2, "0");
  return `${wall}${sign}${hours}:${minutes}`;
}
