// A synthetic Plausible site for calibrating the analysis tools: traffic that
// behaves like real sites (weekday seasonality, lognormal day-to-day noise with
// AR(1) carry-over, Poisson counts, rates that wobble from day to day, holidays,
// a first day with data) with known effects planted in it, answered in the
// shapes the real server uses. Kept apart from the demo's friendly dataset
// (dataset.ts): everything here is per day and per cell, not per visit, so a
// year of 100,000 visitors a day is built in milliseconds.
//
// The model: on each day the site has a latent mean of visitors; every visitor
// makes one visit that day, from one source and country, entering on one page
// and following one of a few paths (a bounce, a second page, or a signup). The
// number of visits of each (source, country, path) cell is Poisson around its
// share of the latent mean, so counts are Poisson and shares are stable.

import type { Goal, SimEvent, Visit } from "./dataset.ts";
import { resolveDateRange } from "./date-range.ts";
import { createRandom, type Random } from "./random.ts";
import type { ResolvedRange } from "./date-range.ts";
import { compileFilters } from "./filters.ts";
import type { Predicate } from "./filters.ts";
import { defaultOrderBy, percentOf, queryAnswer, sortRows } from "./query.ts";
import { inspectElixir } from "./schema.ts";
import { addDays, datesFrom, daysBetween, isCalendarDate, localDate, localMidnight, startOfMonth, startOfWeek } from "./time.ts";
import { isTimeDimension, leaves, ruleViolation, structuralErrors, toQueryRequest } from "./validate.ts";
import type { Filter, Metric, QueryRequest } from "./validate.ts";

export type SyntheticDimension = "visit:source" | "visit:country" | "event:page";

export type SyntheticEffect =
  | { kind: "step"; from: string; factor: number; metric?: "visitors" | "conversion_rate" | "bounce_rate" }
  | { kind: "spike"; date: string; dimension: SyntheticDimension; value: string; factor: number };

export interface SyntheticSiteOptions {
  domain: string;
  seed: number;
  /** Mean visitors a day (300..100000), before weekday, holiday and effect multipliers. */
  level: number;
  /** First day with data (YYYY-MM-DD); days before it have no rows, as in Plausible. */
  firstDay: string;
  /** The instant that is "now" (ISO 8601); today, in `timezone`, holds only the elapsed fraction of its traffic. */
  now: string;
  /** IANA timezone of the site; default "UTC". */
  timezone?: string;
  /** Weekday multipliers, Monday first (normalised to mean 1); true is a typical web pattern with quieter weekends. */
  weekly?: boolean | readonly number[];
  /** Standard deviation of the log of the daily level (lognormal day-to-day noise); default 0.05. */
  sigma?: number;
  /** AR(1) carry-over of that log noise from one day to the next, 0..<1; default 0. */
  rho?: number;
  /** Share of visitors who sign up; default 0.03. */
  conversionRate?: number;
  /** Standard deviation of the log of each day's conversion rate (overdispersion); default 0. */
  conversionWobble?: number;
  /** Share of visits that view one page only; default 0.45 (entry pages differ around it). */
  bounceRate?: number;
  /** Standard deviation of the log of each day's bounce rate; default 0. */
  bounceWobble?: number;
  /** Days at `holidayFactor` of normal traffic. */
  holidays?: readonly string[];
  /** Traffic on a holiday relative to a normal day; default 0.5. */
  holidayFactor?: number;
  effects?: readonly SyntheticEffect[];
}

/** What was planted, per day from the first day with data to today. */
export interface SyntheticTruth {
  firstDay: string;
  today: string;
  /** The elapsed fraction of today in the site's timezone. */
  todayFraction: number;
  days: Array<{
    date: string;
    /** Expected visitors of the whole day (today's rows hold only `todayFraction` of it). */
    mean: number;
    /** Expected share of visitors who convert (Signup). */
    conversionRate: number;
    /** Expected share of visits that bounce, over all entry pages. */
    bounceRate: number;
  }>;
}

/** A query Plausible would refuse, with the status and text it would send. */
export class SyntheticQueryError extends Error {
  override name = "SyntheticQueryError";
  readonly status: number;

  constructor(status: number, text: string) {
    super(text);
    this.status = status;
  }
}

export interface SyntheticQueryResult {
  results: Array<{ metrics: number[]; dimensions: string[] }>;
  meta: Record<string, unknown>;
  query: Record<string, unknown>;
}

/** Sources with their share of visits and their channel. */
const SOURCES: ReadonlyArray<readonly [string, number, string]> = [
  ["Google", 0.5, "Organic Search"],
  ["Direct / None", 0.25, "Direct"],
  ["Twitter", 0.12, "Organic Social"],
  ["Newsletter", 0.1, "Email"],
  // A small referrer: a spike of it can hide inside the site's total noise.
  ["Hacker News", 0.03, "Referral"],
];
const COUNTRIES: ReadonlyArray<readonly [string, number, string]> = [
  ["US", 0.4, "United States"],
  ["DE", 0.25, "Germany"],
  ["GB", 0.2, "United Kingdom"],
  ["FR", 0.15, "France"],
];
/** Devices follow the entry page and country (a simplification that keeps their shares stable). */
const DEVICES = ["Desktop", "Mobile", "Tablet"] as const;
/** Entry pages: share of visits and how their bounce rate compares with the site's. */
const ENTRY_PAGES: ReadonlyArray<readonly [string, number, number]> = [
  ["/", 0.45, 1.0],
  ["/blog/launch", 0.25, 1.3],
  ["/pricing", 0.2, 0.75],
  ["/docs", 0.1, 0.9],
];
const ENTRY_BOUNCE_NORM = ENTRY_PAGES.reduce((sum, [, share, bounce]) => sum + share * bounce, 0);
/** The highest entry page's bounce rate relative to the site's. */
const ENTRY_BOUNCE_MAX = Math.max(...ENTRY_PAGES.map(([, , bounce]) => bounce)) / ENTRY_BOUNCE_NORM;
/** Converting visits: most see /pricing on the way to /signup. */
const VIA_PRICING = 0.7;

/** Monday first: busy midweek, quieter weekends. */
const WEB_WEEK = [1.08, 1.1, 1.09, 1.05, 0.97, 0.8, 0.91] as const;

export const SYNTHETIC_GOALS: readonly Goal[] = [
  { id: 1, goal_type: "event", display_name: "Signup", event_name: "Signup", page_path: null, currency: null },
  { id: 2, goal_type: "page", display_name: "Visit /pricing", event_name: null, page_path: "/pricing", currency: null },
];

type PathKind = "bounce" | "browse" | "convert-via-pricing" | "convert-direct";

interface Path {
  entry: string;
  entryIndex: number;
  kind: PathKind;
  pages: string[];
}

const PATHS: Path[] = ENTRY_PAGES.flatMap(([entry], entryIndex) => {
  const next = entry === "/" ? "/pricing" : "/";
  return [
    { entry, entryIndex, kind: "bounce" as const, pages: [entry] },
    { entry, entryIndex, kind: "browse" as const, pages: [entry, next] },
    {
      entry,
      entryIndex,
      kind: "convert-via-pricing" as const,
      pages: entry === "/pricing" ? [entry, "/signup"] : [entry, "/pricing", "/signup"],
    },
    { entry, entryIndex, kind: "convert-direct" as const, pages: [entry, "/signup"] },
  ];
});

/** One cell: the visits of a day from one source and country that followed one path. */
interface Cell {
  source: number;
  country: number;
  path: Path;
  /** The cell's share of the day's visits before the path is chosen: source × country × entry page. */
  share: number;
  /** A representative visit, for the simulator's filter predicates. */
  visit: Visit;
}

function goalsOf(name: string, page: string): Goal[] {
  return SYNTHETIC_GOALS.filter((goal) =>
    goal.goal_type === "event" ? goal.event_name === name : name === "pageview" && goal.page_path === page,
  );
}

function cellVisit(sourceIndex: number, countryIndex: number, path: Path): Visit {
  const hostname = "synthetic.test";
  const [source, , channel] = SOURCES[sourceIndex]!;
  const [country, , country_name] = COUNTRIES[countryIndex]!;
  const device = DEVICES[(path.entryIndex + countryIndex) % DEVICES.length]!;
  const event = (name: string, page: string): SimEvent => ({
    name,
    page,
    hostname,
    props: {},
    revenue: null,
    timeOnPage: 0,
    scrollDepth: 0,
    goals: goalsOf(name, page),
  });
  const events = path.pages.map((page) => event("pageview", page));
  if (path.kind.startsWith("convert")) events.push(event("Signup", "/signup"));
  return {
    visitorId: 0,
    repeatVisitor: false,
    start: 0,
    date: "",
    hour: 0,
    duration: 0,
    pageviews: path.pages.length,
    // The simulator's filters read visit dimensions from here; the model has only these.
    attributes: { source, channel, country, country_name, device } as unknown as Visit["attributes"],
    entryPage: path.entry,
    exitPage: path.pages[path.pages.length - 1]!,
    entryHostname: hostname,
    exitHostname: hostname,
    events,
  };
}

/** Every site has the same cells (only their counts differ), so how a query reads them is computed once. */
const CELLS: readonly Cell[] = SOURCES.flatMap((_, source) =>
  COUNTRIES.flatMap((__, country) =>
    PATHS.map((path) => ({
      source,
      country,
      path,
      share: SOURCES[source]![1] * COUNTRIES[country]![1] * ENTRY_PAGES[path.entryIndex]![1],
      visit: cellVisit(source, country, path),
    })),
  ),
);
const CELLS_PER_DAY = CELLS.length;

// --- Random numbers --------------------------------------------------------

/** The PRNG on a seed mixed with a stream number, so each part of the model has its own stream. */
function streamRandom(seed: number, stream: number): Random {
  return createRandom(Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(stream + 1, 0xc2b2ae35));
}

function normal(random: Random): number {
  const u = 1 - random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

const LOG_FACTORIALS = Array.from({ length: 11 }, (_, n) => {
  let sum = 0;
  for (let k = 2; k <= n; k++) sum += Math.log(k);
  return sum;
});

/** log(k!) by Stirling's series beyond the table. */
function logFactorial(k: number): number {
  if (k < LOG_FACTORIALS.length) return LOG_FACTORIALS[k]!;
  const n = k + 1;
  return (n - 0.5) * Math.log(n) - n + 0.5 * Math.log(2 * Math.PI) + 1 / (12 * n) - 1 / (360 * n ** 3) + 1 / (1260 * n ** 5);
}

/** An exact Poisson draw: multiplication of uniforms for small means, Hörmann's PTRS above. */
function poisson(random: Random, mean: number): number {
  if (mean <= 0) return 0;
  if (mean < 10) {
    const limit = Math.exp(-mean);
    let k = 0;
    let product = random();
    while (product > limit) {
      k += 1;
      product *= random();
    }
    return k;
  }
  const root = Math.sqrt(mean);
  const logMean = Math.log(mean);
  const b = 0.931 + 2.53 * root;
  const a = -0.059 + 0.02483 * b;
  const inverseAlpha = 1.1239 + 1.1328 / (b - 3.4);
  const vr = 0.9277 - 3.6224 / (b - 2);
  for (;;) {
    const u = random() - 0.5;
    const v = random();
    const us = 0.5 - Math.abs(u);
    const k = Math.floor(((2 * a) / us + b) * u + mean + 0.43);
    if (us >= 0.07 && v <= vr) return k;
    if (k < 0 || (us < 0.013 && v > us)) continue;
    if (Math.log(v) + Math.log(inverseAlpha) - Math.log(a / (us * us) + b) <= -mean + k * logMean - logFactorial(k)) return k;
  }
}

// --- The site ---------------------------------------------------------------

const SUPPORTED_METRICS = new Set<Metric>([
  "visitors",
  "visits",
  "pageviews",
  "events",
  "bounce_rate",
  "views_per_visit",
  "percentage",
  "conversion_rate",
  "group_conversion_rate",
]);
const SUPPORTED_DIMENSIONS = new Set([
  "visit:source",
  "visit:channel",
  "visit:country",
  "visit:country_name",
  "visit:device",
  "visit:entry_page",
  "event:page",
  "event:goal",
  "event:name",
]);
const SUPPORTED_TIME = new Set(["time", "time:day", "time:week", "time:month"]);

const INVALID_KEY_OR_SITE =
  "Invalid API key or site ID. Please make sure you're using a valid API key with access to the site you've requested.";

function weekdayFactors(weekly: SyntheticSiteOptions["weekly"]): readonly number[] {
  const raw = weekly === true ? WEB_WEEK : Array.isArray(weekly) ? weekly : [1, 1, 1, 1, 1, 1, 1];
  if (raw.length !== 7 || raw.some((factor) => !(factor > 0))) throw new Error("weekly needs 7 positive multipliers, Monday first.");
  const mean = raw.reduce((sum, factor) => sum + factor, 0) / 7;
  return raw.map((factor) => factor / mean);
}

/** Monday = 0 … Sunday = 6. */
const weekdayOf = (date: string) => (new Date(`${date}T00:00:00Z`).getUTCDay() + 6) % 7;

const KEY_SEPARATOR = "\u0000";

interface Contribution {
  cell: number;
  /** Values of the non-time dimensions, one combination per group the visit falls in. */
  groups: string[][];
  /** The same, each joined into one key. */
  keys: string[];
  pageviews: number[];
  events: number[];
  /** Whether the visit counts in the bounce rate's base (entries on the page with a page filter), per group. */
  bounceBase: boolean[];
  bounced: boolean;
  sessionPageviews: number;
}

interface Accumulator {
  dimensions: string[];
  visitors: number;
  pageviews: number;
  events: number;
  bounceBase: number;
  bounces: number;
  sessionPageviews: number;
}

export class SyntheticSite {
  readonly domain: string;
  readonly timezone: string;
  readonly firstDay: string;
  readonly truth: SyntheticTruth;
  readonly goals = SYNTHETIC_GOALS;
  readonly #now: number;
  readonly #seed: number;
  readonly #spikes: ReadonlyArray<Extract<SyntheticEffect, { kind: "spike" }>>;
  /**
   * Visits per cell of each day, drawn on first use from a stream of that
   * day's own (so a day's counts do not depend on which days were asked for first).
   */
  readonly #counts = new Map<number, Int32Array>();

  constructor(options: SyntheticSiteOptions) {
    this.domain = options.domain;
    this.timezone = options.timezone ?? "UTC";
    this.firstDay = options.firstDay;
    if (!isCalendarDate(options.firstDay)) throw new Error(`firstDay must be YYYY-MM-DD, got ${options.firstDay}.`);
    this.#now = Date.parse(options.now);
    if (!Number.isFinite(this.#now)) throw new Error(`now must be an ISO 8601 instant, got ${options.now}.`);
    const rho = options.rho ?? 0;
    if (!(rho >= 0 && rho < 1)) throw new Error(`rho must be in [0, 1), got ${rho}.`);

    const today = localDate(this.#now, this.timezone);
    const midnight = localMidnight(today, this.timezone);
    const todayFraction = (this.#now - midnight) / (localMidnight(addDays(today, 1), this.timezone) - midnight);
    const dayCount = Math.max(0, daysBetween(options.firstDay, today) + 1);

    const levelRandom = streamRandom(options.seed, 1);
    const rateRandom = streamRandom(options.seed, 2);
    const weekdays = weekdayFactors(options.weekly);
    const sigma = options.sigma ?? 0.05;
    const holidays = new Set(options.holidays ?? []);
    const effects = options.effects ?? [];
    const stepFactor = (date: string, metric: string) =>
      effects.reduce(
        (product, effect) =>
          effect.kind === "step" && (effect.metric ?? "visitors") === metric && date >= effect.from ? product * effect.factor : product,
        1,
      );

    const days: SyntheticTruth["days"] = [];
    this.#seed = options.seed;
    this.#spikes = effects.filter((effect) => effect.kind === "spike");
    let noise = sigma * normal(levelRandom);
    for (let index = 0; index < dayCount; index++) {
      const date = addDays(options.firstDay, index);
      if (index > 0) noise = rho * noise + Math.sqrt(1 - rho * rho) * sigma * normal(levelRandom);
      const mean =
        options.level *
        weekdays[weekdayOf(date)]! *
        (holidays.has(date) ? (options.holidayFactor ?? 0.5) : 1) *
        stepFactor(date, "visitors") *
        Math.exp(noise - (sigma * sigma) / 2);
      const wobble = (sd: number | undefined) => (sd ? Math.exp(sd * normal(rateRandom) - (sd * sd) / 2) : 1);
      const bounceRate = Math.min(
        0.9 / ENTRY_BOUNCE_MAX,
        (options.bounceRate ?? 0.45) * wobble(options.bounceWobble) * stepFactor(date, "bounce_rate"),
      );
      const conversionRate = Math.min(
        1 - bounceRate * ENTRY_BOUNCE_MAX,
        (options.conversionRate ?? 0.03) * wobble(options.conversionWobble) * stepFactor(date, "conversion_rate"),
      );
      days.push({ date, mean, conversionRate, bounceRate });
    }
    this.truth = { firstDay: options.firstDay, today, todayFraction, days };
  }

  /** Visits per cell of `date`, or null before the first day and after today. */
  #dayCounts(date: string): Int32Array | null {
    const index = daysBetween(this.firstDay, date);
    const day = this.truth.days[index];
    if (index < 0 || !day) return null;
    let counts = this.#counts.get(index);
    if (counts) return counts;
    counts = new Int32Array(CELLS_PER_DAY);
    const random = streamRandom(this.#seed, 1000 + index);
    const spikes = this.#spikes.filter((spike) => spike.date === date);
    const dayMean = date === this.truth.today ? day.mean * this.truth.todayFraction : day.mean;
    // Each path's share of the visits that enter on its page, on this day.
    const pathShares = new Map<Path, number>();
    for (const path of PATHS) {
      const bounce = (day.bounceRate * ENTRY_PAGES[path.entryIndex]![2]) / ENTRY_BOUNCE_NORM;
      const share =
        path.kind === "bounce"
          ? bounce
          : path.kind === "browse"
            ? 1 - bounce - day.conversionRate
            : day.conversionRate * (path.kind === "convert-via-pricing" ? VIA_PRICING : 1 - VIA_PRICING);
      pathShares.set(path, share);
    }
    for (let cellIndex = 0; cellIndex < CELLS_PER_DAY; cellIndex++) {
      const cell = CELLS[cellIndex]!;
      let cellMean = dayMean * cell.share * pathShares.get(cell.path)!;
      for (const spike of spikes) {
        const hit =
          spike.dimension === "visit:source"
            ? SOURCES[cell.source]![0] === spike.value
            : spike.dimension === "visit:country"
              ? COUNTRIES[cell.country]![0] === spike.value
              : cell.path.pages.includes(spike.value);
        if (hit) cellMean *= spike.factor;
      }
      counts[cellIndex] = poisson(random, cellMean);
    }
    this.#counts.set(index, counts);
    return counts;
  }

  /** Answers a POST /api/v2/query body as Plausible does, or throws a SyntheticQueryError with Plausible's status and text. */
  query(body: unknown): SyntheticQueryResult {
    const fields = body !== null && typeof body === "object" && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
    if (typeof fields.site_id !== "string" || fields.site_id === "")
      throw new SyntheticQueryError(400, "Missing site ID. Please provide the required site_id parameter with your request.");
    if (fields.site_id !== this.domain) throw new SyntheticQueryError(401, INVALID_KEY_OR_SITE);
    const lines = structuralErrors(fields);
    if (lines.length > 0) throw new SyntheticQueryError(400, lines.join("\n"));
    const query = toQueryRequest(fields);
    const violation = ruleViolation(
      query,
      this.goals.map((goal) => goal.display_name),
    );
    if (violation) throw new SyntheticQueryError(400, violation);
    this.#checkModelled(query);

    const range = resolveDateRange(
      query.date_range,
      { timezone: this.timezone, statsStartDate: this.firstDay },
      this.#now,
      query.include.trim_relative_date_range === true,
    );
    if (!range) throw new SyntheticQueryError(400, `#/date_range: Invalid date range ${inspectElixir(query.date_range)}`);
    return this.#run(query, range);
  }

  /** Refuses, with the reason, what this model has no data for rather than answering it wrongly. */
  #checkModelled(query: QueryRequest): void {
    const unsupported = (what: string, name: string, known: Iterable<string>) =>
      new SyntheticQueryError(400, `The synthetic site does not model the ${what} ${name}; it knows ${[...known].join(", ")}.`);
    for (const metric of query.metrics) if (!SUPPORTED_METRICS.has(metric)) throw unsupported("metric", metric, SUPPORTED_METRICS);
    for (const dimension of query.dimensions) {
      if (!SUPPORTED_DIMENSIONS.has(dimension) && !SUPPORTED_TIME.has(dimension))
        throw unsupported("dimension", dimension, [...SUPPORTED_DIMENSIONS, ...SUPPORTED_TIME]);
    }
    for (const { leaf } of leaves(query.filters)) {
      const dimension = String(leaf[1]);
      if (!SUPPORTED_DIMENSIONS.has(dimension)) throw unsupported("filter dimension", dimension, SUPPORTED_DIMENSIONS);
    }
  }

  #run(query: QueryRequest, range: ResolvedRange): SyntheticQueryResult {
    const timeDimension = query.dimensions.find((dimension) => isTimeDimension(dimension));
    const interval = timeDimension === undefined ? null : intervalOf(timeDimension, range);
    if (interval === "hour")
      throw new SyntheticQueryError(400, "The synthetic site has daily data only; ask for a range of more than one day or time:day.");
    const bucket = (date: string) => (interval === null ? "" : bucketOf(interval, date, range));
    const otherDimensions = query.dimensions.filter((dimension) => !isTimeDimension(dimension));
    const timePosition = timeDimension === undefined ? -1 : query.dimensions.indexOf(timeDimension);

    const dates = datesFrom(range.firstDate, range.lastDate);

    const main = this.#aggregate(query.filters, otherDimensions, dates, bucket);
    const needsBaseline = query.metrics.includes("conversion_rate") || query.metrics.includes("group_conversion_rate");
    const withoutGoals = query.filters.filter((filter) => filter[1] !== "event:goal");
    const goalFree = otherDimensions.filter((dimension) => dimension !== "event:goal");
    // Plausible v2: conversion_rate divides by the visitors of the whole range without goal filters and without dimensions.
    const rangeVisitors = needsBaseline ? this.#aggregate(withoutGoals, [], dates, () => "").total : 0;
    const groupBaseline = query.metrics.includes("group_conversion_rate")
      ? this.#aggregate(withoutGoals, goalFree, dates, bucket).groups
      : new Map<string, Accumulator>();
    const goalFreeKey = (row: Accumulator, time: string) =>
      [time, ...goalFree.map((dimension) => row.dimensions[otherDimensions.indexOf(dimension)]!)].join(KEY_SEPARATOR);

    const groups = [...main.groups.entries()];
    if (query.dimensions.length === 0 && groups.length === 0) groups.push(["", emptyAccumulator([])]);
    const rows = groups.map(([key, row]) => {
      const time = key.split(KEY_SEPARATOR)[0]!;
      const dimensions = [...row.dimensions];
      if (timePosition >= 0) dimensions.splice(timePosition, 0, time);
      const metrics = query.metrics.map((metric) => {
        switch (metric) {
          case "visitors":
          case "visits":
            return row.visitors;
          case "pageviews":
            return row.pageviews;
          case "events":
            return row.events;
          case "bounce_rate":
            return row.bounceBase === 0 ? 0 : Math.round((row.bounces / row.bounceBase) * 100);
          case "views_per_visit":
            return row.visitors === 0 ? 0 : Math.round((row.sessionPageviews / row.visitors) * 100) / 100;
          case "percentage":
            return percentOf(row.visitors, main.total);
          case "conversion_rate":
            return percentOf(row.visitors, rangeVisitors);
          case "group_conversion_rate":
            return percentOf(row.visitors, groupBaseline.get(goalFreeKey(row, time))?.visitors ?? 0);
          default:
            throw new SyntheticQueryError(400, `The synthetic site does not model the metric ${metric}.`);
        }
      });
      return { metrics, dimensions };
    });

    const orderBy = query.order_by ?? defaultOrderBy(query);
    sortRows(rows, query, orderBy);

    const meta: Record<string, unknown> = {};
    if (query.include.imports) {
      meta.imports_included = false;
      meta.imports_skip_reason = "no_imported_data";
    }
    if (query.include.time_labels && interval !== null) meta.time_labels = [...new Set(dates.map(bucket))];
    return queryAnswer(rows, meta, query, this, range, orderBy);
  }

  /**
   * Sums the cells of `dates` into groups keyed by time bucket and the values
   * of `dimensions`; `total` counts every matching visit once.
   */
  #aggregate(
    filters: Filter[],
    dimensions: string[],
    dates: string[],
    bucket: (date: string) => string,
  ): { groups: Map<string, Accumulator>; total: number } {
    const contributions = contributionsFor(filters, dimensions);
    // Groups get small integer ids, so the loop over days and cells builds no strings.
    const groupIds = new Map<string, number>();
    const groupDimensions: string[][] = [];
    const idsOf = contributions.map((contribution) =>
      contribution.keys.map((key, index) => {
        let id = groupIds.get(key);
        if (id === undefined) {
          groupIds.set(key, (id = groupDimensions.length));
          groupDimensions.push(contribution.groups[index]!);
        }
        return id;
      }),
    );
    const buckets: string[] = [];
    const bucketIds = new Map<string, number>();
    const rows = new Map<number, Accumulator>();
    let total = 0;
    for (const date of dates) {
      const counts = this.#dayCounts(date);
      if (!counts) continue;
      const time = bucket(date);
      let bucketId = bucketIds.get(time);
      if (bucketId === undefined) {
        bucketIds.set(time, (bucketId = buckets.length));
        buckets.push(time);
      }
      for (let position = 0; position < contributions.length; position++) {
        const contribution = contributions[position]!;
        const visits = counts[contribution.cell]!;
        if (visits === 0) continue;
        total += visits;
        const ids = idsOf[position]!;
        for (let index = 0; index < ids.length; index++) {
          const rowKey = bucketId * groupDimensions.length + ids[index]!;
          let row = rows.get(rowKey);
          if (!row) rows.set(rowKey, (row = emptyAccumulator(groupDimensions[ids[index]!]!)));
          row.visitors += visits;
          row.pageviews += visits * contribution.pageviews[index]!;
          row.events += visits * contribution.events[index]!;
          row.sessionPageviews += visits * contribution.sessionPageviews;
          if (contribution.bounceBase[index]) {
            row.bounceBase += visits;
            if (contribution.bounced) row.bounces += visits;
          }
        }
      }
    }
    const groups = new Map<string, Accumulator>();
    for (const [rowKey, row] of rows) {
      const time = buckets[Math.floor(rowKey / groupDimensions.length)]!;
      groups.set([time, ...row.dimensions].join(KEY_SEPARATOR), row);
    }
    return { groups, total };
  }
}

/** How one visit of each cell counts under `filters`, grouped by `dimensions` (no time dimension); memoized. */
function contributionsFor(filters: Filter[], dimensions: string[]): Contribution[] {
  const cacheKey = JSON.stringify([filters, dimensions]);
  const cached = CONTRIBUTIONS.get(cacheKey);
  if (cached) return cached;
  const computed = computeContributions(filters, dimensions);
  if (CONTRIBUTIONS.size >= 500) CONTRIBUTIONS.clear();
  CONTRIBUTIONS.set(cacheKey, computed);
  return computed;
}

const CONTRIBUTIONS = new Map<string, Contribution[]>();

function computeContributions(filters: Filter[], dimensions: string[]): Contribution[] {
  let predicate: Predicate;
  let entryPredicate: Predicate;
  try {
    predicate = compileFilters(filters);
    // With a page filter, the bounce rate counts the visits that entered on that page.
    entryPredicate = compileFilters(filters.filter((filter) => filter[1] === "event:page"));
  } catch (error) {
    throw new SyntheticQueryError(400, `Invalid filters. ${(error as Error).message}`);
  }
  const perEvent =
    leaves(filters).some(({ leaf, behavioralDepth }) => behavioralDepth === 0 && String(leaf[1]).startsWith("event:")) ||
    dimensions.some((dimension) => dimension.startsWith("event:"));
  const pagePosition = dimensions.indexOf("event:page");

  return CELLS.flatMap((cell, index) => {
    const { visit } = cell;
    const matching = perEvent ? visit.events.filter((event) => predicate(visit, event)) : predicate(visit, null) ? visit.events : [];
    if (matching.length === 0) return [];
    const entryEvent = visit.events[0]!;
    const byGroup = new Map<string, { values: string[]; pageviews: number; events: number }>();
    for (const event of matching) {
      for (const values of groupValues(dimensions, visit, event)) {
        const key = values.join(KEY_SEPARATOR);
        let group = byGroup.get(key);
        if (!group) byGroup.set(key, (group = { values, pageviews: 0, events: 0 }));
        group.events += 1;
        if (event.name === "pageview") group.pageviews += 1;
      }
    }
    const grouped = [...byGroup.values()];
    return [
      {
        cell: index,
        groups: grouped.map((group) => group.values),
        keys: grouped.map((group) => group.values.join(KEY_SEPARATOR)),
        pageviews: grouped.map((group) => group.pageviews),
        events: grouped.map((group) => group.events),
        bounceBase: grouped.map(
          (group) => entryPredicate(visit, entryEvent) && (pagePosition < 0 || group.values[pagePosition] === visit.entryPage),
        ),
        bounced: cell.path.kind === "bounce",
        sessionPageviews: visit.pageviews,
      },
    ];
  });
}

/** The value combinations of `dimensions` that `event` of `visit` falls in (several goals make several). */
function groupValues(dimensions: string[], visit: Visit, event: SimEvent): string[][] {
  let combinations: string[][] = [[]];
  for (const dimension of dimensions) {
    let values: string[];
    switch (dimension) {
      case "visit:source":
      case "visit:channel":
      case "visit:country":
      case "visit:country_name":
      case "visit:device":
        values = [String(visit.attributes[dimension.slice("visit:".length) as keyof Visit["attributes"]])];
        break;
      case "visit:entry_page":
        values = [visit.entryPage];
        break;
      case "event:page":
        values = [event.page];
        break;
      case "event:name":
        values = [event.name];
        break;
      default:
        values = event.goals.map((goal) => goal.display_name);
    }
    combinations = combinations.flatMap((combination) => values.map((value) => [...combination, value]));
  }
  return combinations;
}

function emptyAccumulator(dimensions: string[]): Accumulator {
  return { dimensions, visitors: 0, pageviews: 0, events: 0, bounceBase: 0, bounces: 0, sessionPageviews: 0 };
}

type Interval = "hour" | "day" | "week" | "month";

/** `time` picks its interval from the range length, as Plausible does. */
function intervalOf(dimension: string, range: ResolvedRange): Interval {
  if (dimension !== "time") return dimension.slice("time:".length) as Interval;
  const months =
    (Number(range.lastDate.slice(0, 4)) - Number(range.firstDate.slice(0, 4))) * 12 +
    Number(range.lastDate.slice(5, 7)) -
    Number(range.firstDate.slice(5, 7));
  if ((range.lastDate.slice(8) < range.firstDate.slice(8) ? months - 1 : months) > 0) return "month";
  return range.lastDate > range.firstDate ? "day" : "hour";
}

/** Like Plausible, a week or month that starts before the range is labelled with the range's first day. */
function bucketOf(interval: Interval, date: string, range: ResolvedRange): string {
  if (interval === "week") return startOfWeek(date) < range.firstDate ? range.firstDate : startOfWeek(date);
  if (interval === "month") return startOfMonth(date) < range.firstDate ? range.firstDate : startOfMonth(date);
  return date;
}
