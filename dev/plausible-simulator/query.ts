// The query engine: filters a site's visits (and their events), groups them by
// the requested dimensions and computes Plausible's metrics per group.

import type { Goal, SimEvent, Site, Visit } from "./dataset.ts";
import { resolveDateRange } from "./date-range.ts";
import type { ResolvedRange } from "./date-range.ts";
import { compileFilters, dimensionReader } from "./filters.ts";
import type { Predicate } from "./filters.ts";
import { inspectElixir } from "./schema.ts";
import { addMonths, datesFrom, offsetMinutes, startOfMonth, startOfWeek, toIsoInZone } from "./time.ts";
import { isTimeDimension, leaves } from "./validate.ts";
import type { Metric, QueryRequest } from "./validate.ts";

export interface Money {
  value: number;
  currency: string;
  short: string;
  long: string;
}

export interface QueryResponse {
  results: Array<{ metrics: Array<number | Money | null>; dimensions: Array<string | number> }>;
  meta: Record<string, unknown>;
  query: Record<string, unknown>;
}

type Interval = "hour" | "day" | "week" | "month";

/**
 * Unique visitors without a set per group: a visitor id lives for one
 * site-local day (see dataset.ts) and visits arrive in time order, so
 * counting distinct ids per day and adding the days up is exact.
 */
class VisitorCounter {
  count = 0;
  private day = "";
  private seen = new Set<number>();

  add(visit: Visit): void {
    // Most visitors visit once a day; only repeat visitors need remembering.
    if (!visit.repeatVisitor) {
      this.count += 1;
      return;
    }
    if (visit.date !== this.day) {
      this.day = visit.date;
      this.seen.clear();
    }
    if (!this.seen.has(visit.visitorId)) {
      this.seen.add(visit.visitorId);
      this.count += 1;
    }
  }
}

interface Group {
  dimensions: Array<string | number>;
  visitors: VisitorCounter;
  /** The visit counted last: a visit's events arrive together, so this dedupes visits. */
  lastVisit: Visit | null;
  visits: number;
  sessionPageviews: number;
  bounces: number;
  duration: number;
  pageviews: number;
  events: number;
  revenue: number;
  revenueEvents: number;
  timeOnPage: number;
  scrollDepth: number;
  pageviewSamples: number;
}

interface Grouping {
  groups: Group[];
  totalVisitors: number;
}

const KEY_SEPARATOR = "\u0000";

function newGroup(dimensions: Array<string | number>): Group {
  return {
    dimensions,
    visitors: new VisitorCounter(),
    lastVisit: null,
    visits: 0,
    sessionPageviews: 0,
    bounces: 0,
    duration: 0,
    pageviews: 0,
    events: 0,
    revenue: 0,
    revenueEvents: 0,
    timeOnPage: 0,
    scrollDepth: 0,
    pageviewSamples: 0,
  };
}

/** Index of the first visit starting at or after `instant` (visits are sorted). */
function lowerBound(visits: Visit[], instant: number): number {
  let low = 0;
  let high = visits.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (visits[middle]!.start < instant) low = middle + 1;
    else high = middle;
  }
  return low;
}

function fullMonthsBetween(first: string, last: string): number {
  const months = (Number(last.slice(0, 4)) - Number(first.slice(0, 4))) * 12 + Number(last.slice(5, 7)) - Number(first.slice(5, 7));
  return last.slice(8) < first.slice(8) ? months - 1 : months;
}

/** `time` picks its interval from the range length, as Plausible does. */
function intervalOf(dimension: string, range: ResolvedRange): Interval {
  if (dimension !== "time") return dimension.slice("time:".length) as Interval;
  if (fullMonthsBetween(range.firstDate, range.lastDate) > 0) return "month";
  return range.lastDate > range.firstDate ? "day" : "hour";
}

const pad = (value: number) => String(value).padStart(2, "0");

function bucketOf(interval: Interval, date: string, hour: number, range: ResolvedRange): string {
  switch (interval) {
    case "hour":
      return `${date} ${pad(hour)}:00:00`;
    case "day":
      return date;
    // Like Plausible, a week or month that starts before the range is labelled with the range's first day.
    case "week": {
      const week = startOfWeek(date);
      return week < range.firstDate ? range.firstDate : week;
    }
    case "month": {
      const month = startOfMonth(date);
      return month < range.firstDate ? range.firstDate : month;
    }
  }
}

/** Buckets visits for one time dimension, memoized per date so each label string is built once. */
function bucketer(interval: Interval, range: ResolvedRange): (visit: Visit) => string {
  const byDate = new Map<string, string[]>();
  return (visit) => {
    let labels = byDate.get(visit.date);
    if (!labels) {
      labels =
        interval === "hour"
          ? Array.from({ length: 24 }, (_, hour) => bucketOf("hour", visit.date, hour, range))
          : [bucketOf(interval, visit.date, 0, range)];
      byDate.set(visit.date, labels);
    }
    return labels[interval === "hour" ? visit.hour : 0]!;
  };
}

function timeLabels(interval: Interval, range: ResolvedRange, timezone: string): string[] {
  const labels = new Set<string>();
  if (interval === "month") {
    for (let month = startOfMonth(range.firstDate); month <= range.lastDate; month = addMonths(month, 1)) {
      labels.add(bucketOf("month", month, 0, range));
    }
    return [...labels];
  }
  const hourOf = (instant: number) => new Date(instant + offsetMinutes(timezone, instant) * 60_000).getUTCHours();
  const firstHour = `${range.firstDate} ${pad(hourOf(range.first))}:00:00`;
  const lastHour = `${range.lastDate} ${pad(hourOf(range.last))}:00:00`;
  for (const date of datesFrom(range.firstDate, range.lastDate)) {
    if (interval !== "hour") {
      labels.add(bucketOf(interval, date, 0, range));
      continue;
    }
    for (let hour = 0; hour < 24; hour++) {
      const label = bucketOf("hour", date, hour, range);
      if (label >= firstHour && label <= lastHour) labels.add(label);
    }
  }
  return [...labels];
}

interface Plan {
  site: Site;
  range: ResolvedRange;
  dimensions: string[];
  intervals: Map<string, Interval>;
  buckets: Map<string, (visit: Visit) => string>;
  predicate: Predicate;
  /** Walk events rather than whole visits: some filter or dimension is about events. */
  perEvent: boolean;
  revenueGoals: Set<Goal>;
}

function eachVisitInRange(plan: Plan, visit: (visit: Visit) => void): void {
  const visits = plan.site.visits;
  for (let index = lowerBound(visits, plan.range.first); index < visits.length; index++) {
    const candidate = visits[index]!;
    if (candidate.start > plan.range.last) break;
    visit(candidate);
  }
}

/**
 * Groups keyed by their dimension values through nested maps, one level per
 * dimension: the values are mostly shared dataset strings, so lookups need
 * no key building.
 */
class GroupIndex {
  readonly groups: Group[] = [];
  private root = new Map<unknown, unknown>();

  find(values: Array<string | number>): Group {
    let node = this.root;
    for (let index = 0; index < values.length; index++) {
      let next = node.get(values[index]);
      if (!next) {
        next = index === values.length - 1 ? this.create(values) : new Map<unknown, unknown>();
        node.set(values[index], next);
      }
      if (index === values.length - 1) return next as Group;
      node = next as Map<unknown, unknown>;
    }
    // No dimensions: the aggregate's single group.
    let single = node.get(undefined) as Group | undefined;
    if (!single) {
      single = this.create(values);
      node.set(undefined, single);
    }
    return single;
  }

  private create(values: Array<string | number>): Group {
    const created = newGroup([...values]);
    this.groups.push(created);
    return created;
  }
}

function group(plan: Plan): Grouping {
  const index = new GroupIndex();
  const allVisitors = new VisitorCounter();
  let lastVisit: Visit | null = null;
  const goalPosition = plan.dimensions.indexOf("event:goal");
  const values: Array<string | number> = new Array(plan.dimensions.length);
  const readers = plan.dimensions.map((dimension) => {
    const bucket = plan.buckets.get(dimension);
    if (bucket) return bucket;
    // Goal values come from the fan-out in `add` instead.
    if (dimension === "event:goal") return () => "";
    const read = dimensionReader(dimension);
    return (visit: Visit, event: SimEvent | null) => read(visit, event) ?? "";
  });

  const addTo = (visit: Visit, event: SimEvent | null) => {
    const current = index.find(values);
    if (current.lastVisit !== visit) {
      current.lastVisit = visit;
      current.visits += 1;
      current.sessionPageviews += visit.pageviews;
      current.duration += visit.duration;
      if (visit.pageviews === 1) current.bounces += 1;
      current.visitors.add(visit);
    }
    if (!event) {
      current.pageviews += visit.pageviews;
      current.events += visit.events.length;
      return;
    }
    current.events += 1;
    if (event.name === "pageview") {
      current.pageviews += 1;
      current.timeOnPage += event.timeOnPage;
      current.scrollDepth += event.scrollDepth;
      current.pageviewSamples += 1;
    }
    if (event.revenue !== null && event.goals.some((goal) => plan.revenueGoals.has(goal))) {
      current.revenue += event.revenue;
      current.revenueEvents += 1;
    }
  };

  const add = (visit: Visit, event: SimEvent | null) => {
    for (let position = 0; position < readers.length; position++) {
      if (position !== goalPosition) values[position] = readers[position]!(visit, event);
    }
    if (lastVisit !== visit) {
      lastVisit = visit;
      allVisitors.add(visit);
    }
    if (goalPosition < 0) {
      addTo(visit, event);
      return;
    }
    // An event completing several goals counts once for each.
    for (const goal of event?.goals ?? []) {
      values[goalPosition] = goal.display_name;
      addTo(visit, event);
    }
  };

  eachVisitInRange(plan, (visit) => {
    if (!plan.perEvent) {
      if (plan.predicate(visit, null)) add(visit, null);
      return;
    }
    for (const event of visit.events) {
      if (plan.predicate(visit, event)) add(visit, event);
    }
  });
  return { groups: index.groups, totalVisitors: allVisitors.count };
}

export function percentOf(part: number, whole: number): number {
  return whole === 0 ? 0 : Math.round((part / whole) * 10_000) / 100;
}

function average(sum: number, count: number): number {
  return count === 0 ? 0 : Math.round(sum / count);
}

function money(value: number, currency: string): Money {
  const rounded = Math.round(value * 100) / 100;
  const long = new Intl.NumberFormat("en-US", { style: "currency", currency }).format(rounded);
  const short = new Intl.NumberFormat("en-US", { style: "currency", currency, notation: "compact", maximumFractionDigits: 1 }).format(
    rounded,
  );
  return { value: rounded, currency, short, long };
}

interface Baseline {
  total: number;
  /** Visitors per group of the non-goal dimensions. */
  byGroup: Map<string, number>;
  /** Positions of the non-goal dimensions within a result row. */
  positions: number[];
}

const isGoalFilter = (filter: unknown[]) => filter[1] === "event:goal";

function plan(site: Site, range: ResolvedRange, dimensions: string[], filters: QueryRequest["filters"]): Plan {
  const intervals = new Map<string, Interval>();
  const buckets = new Map<string, (visit: Visit) => string>();
  for (const dimension of dimensions) {
    if (!isTimeDimension(dimension)) continue;
    intervals.set(dimension, intervalOf(dimension, range));
    buckets.set(dimension, bucketer(intervalOf(dimension, range), range));
  }
  const eventFilter = leaves(filters).some(({ leaf, behavioralDepth }) => behavioralDepth === 0 && String(leaf[1]).startsWith("event:"));
  const goalNames = new Set(
    filters.filter((filter) => isGoalFilter(filter) && filter[0] === "is").flatMap((filter) => (filter[2] as unknown[]).map(String)),
  );
  const revenueGoals = new Set(
    site.goals.filter((goal) => goal.currency !== null && (dimensions.includes("event:goal") || goalNames.has(goal.display_name))),
  );
  return {
    site,
    range,
    dimensions,
    intervals,
    buckets,
    predicate: compileFilters(filters),
    perEvent: eventFilter || dimensions.some((dimension) => dimension.startsWith("event:")),
    revenueGoals,
  };
}

function baselineFor(site: Site, query: QueryRequest, range: ResolvedRange): Baseline {
  const positions = query.dimensions.flatMap((dimension, index) => (dimension === "event:goal" ? [] : [index]));
  const dimensions = positions.map((index) => query.dimensions[index]!);
  const { groups, totalVisitors } = group(
    plan(
      site,
      range,
      dimensions,
      query.filters.filter((filter) => !isGoalFilter(filter)),
    ),
  );
  const byGroup = new Map<string, number>();
  for (const current of groups) byGroup.set(current.dimensions.join(KEY_SEPARATOR), current.visitors.count);
  return { total: totalVisitors, byGroup, positions };
}

function revenueCurrency(site: Site, query: QueryRequest, current: Group, revenueGoals: Set<Goal>): string | null {
  if (query.dimensions.includes("event:goal")) {
    const name = current.dimensions[query.dimensions.indexOf("event:goal")];
    return site.goals.find((goal) => goal.display_name === name && revenueGoals.has(goal))?.currency ?? null;
  }
  const currencies = new Set([...revenueGoals].map((goal) => goal.currency));
  return currencies.size === 1 ? [...currencies][0]! : null;
}

function metricValue(
  metric: Metric,
  current: Group,
  context: { grouping: Grouping; baseline: Baseline | null; currency: string | null },
): number | Money | null {
  const visitors = current.visitors.count;
  switch (metric) {
    case "visitors":
      return visitors;
    case "visits":
      return current.visits;
    case "pageviews":
      return current.pageviews;
    case "events":
      return current.events;
    case "views_per_visit":
      return current.visits === 0 ? 0 : Math.round((current.sessionPageviews / current.visits) * 100) / 100;
    case "bounce_rate":
      return current.visits === 0 ? 0 : Math.round((current.bounces / current.visits) * 100);
    case "visit_duration":
      return average(current.duration, current.visits);
    case "percentage":
      return percentOf(visitors, context.grouping.totalVisitors);
    case "conversion_rate":
      return percentOf(visitors, context.baseline?.total ?? 0);
    case "group_conversion_rate": {
      const key = (context.baseline?.positions ?? []).map((index) => current.dimensions[index]).join(KEY_SEPARATOR);
      return percentOf(visitors, context.baseline?.byGroup.get(key) ?? 0);
    }
    case "time_on_page":
      return average(current.timeOnPage, current.pageviewSamples);
    case "scroll_depth":
      return average(current.scrollDepth, current.pageviewSamples);
    case "total_revenue":
      return context.currency === null ? null : money(current.revenue, context.currency);
    case "average_revenue":
      return context.currency === null
        ? null
        : money(current.revenueEvents === 0 ? 0 : current.revenue / current.revenueEvents, context.currency);
  }
}

type Row = QueryResponse["results"][number];

function compareValues(a: unknown, b: unknown): number {
  const left = a !== null && typeof a === "object" ? (a as Money).value : a;
  const right = b !== null && typeof b === "object" ? (b as Money).value : b;
  if (left === right) return 0;
  if (left === null || left === undefined) return -1;
  if (right === null || right === undefined) return 1;
  return (left as number | string) < (right as number | string) ? -1 : 1;
}

export function defaultOrderBy(query: QueryRequest): Array<[string, "asc" | "desc"]> {
  const time = query.dimensions.find((dimension) => isTimeDimension(dimension));
  return time
    ? [
        [time, "asc"],
        [query.metrics[0]!, "desc"],
      ]
    : [[query.metrics[0]!, "desc"]];
}

/** Sorts rows by `order_by` as Plausible does; dimension values break ties so equal rows keep one stable order. */
export function sortRows<R extends AnswerRow>(rows: R[], query: QueryRequest, orderBy: Array<[string, "asc" | "desc"]>): void {
  const accessors = orderBy.map(([name, direction]) => {
    const metricIndex = (query.metrics as string[]).indexOf(name);
    const dimensionIndex = query.dimensions.indexOf(name);
    const read = metricIndex >= 0 ? (row: R) => row.metrics[metricIndex] : (row: R) => row.dimensions[dimensionIndex];
    return { read, sign: direction === "asc" ? 1 : -1 };
  });
  rows.sort((a, b) => {
    for (const { read, sign } of accessors) {
      const order = compareValues(read(a), read(b)) * sign;
      if (order !== 0) return order;
    }
    for (let index = 0; index < a.dimensions.length; index++) {
      const order = compareValues(a.dimensions[index], b.dimensions[index]);
      if (order !== 0) return order;
    }
    return 0;
  });
}

const REVENUE_WARNING = {
  code: "no_revenue_goals_matching",
  warning: "Revenue metrics are null as there are no matching revenue goals.",
};

/** Runs a validated query. Returns an error text for problems only found while running. */
export function runQuery(site: Site, query: QueryRequest, now: number): QueryResponse | { error: string } {
  const range = resolveDateRange(query.date_range, site, now, query.include.trim_relative_date_range === true);
  if (!range) return { error: `#/date_range: Invalid date range ${inspectElixir(query.date_range)}` };

  let mainPlan: Plan;
  try {
    mainPlan = plan(site, range, query.dimensions, query.filters);
  } catch (error) {
    return { error: `Invalid filters. ${(error as Error).message}` };
  }
  const grouping = group(mainPlan);
  const needsBaseline = query.metrics.includes("conversion_rate") || query.metrics.includes("group_conversion_rate");
  const baseline = needsBaseline ? baselineFor(site, query, range) : null;

  // An aggregate always has its one row, even over an empty range.
  if (query.dimensions.length === 0 && grouping.groups.length === 0) grouping.groups.push(newGroup([]));

  const rows: Row[] = grouping.groups.map((current) => {
    const currency = revenueCurrency(site, query, current, mainPlan.revenueGoals);
    return {
      metrics: query.metrics.map((metric) => metricValue(metric, current, { grouping, baseline, currency })),
      dimensions: current.dimensions,
    };
  });
  const orderBy = query.order_by ?? defaultOrderBy(query);
  sortRows(rows, query, orderBy);

  const meta: Record<string, unknown> = {};
  if (query.include.imports) {
    meta.imports_included = false;
    meta.imports_skip_reason = "no_imported_data";
  }
  const revenueMetrics = query.metrics.filter((metric) => metric === "total_revenue" || metric === "average_revenue");
  if (revenueMetrics.length > 0 && mainPlan.revenueGoals.size === 0) {
    meta.metric_warnings = Object.fromEntries(revenueMetrics.map((metric) => [metric, REVENUE_WARNING]));
  }
  const timeDimension = query.dimensions.find((dimension) => isTimeDimension(dimension));
  if (query.include.time_labels && timeDimension) {
    meta.time_labels = timeLabels(mainPlan.intervals.get(timeDimension)!, range, site.timezone);
  }
  return queryAnswer(rows, meta, query, site, range, orderBy);
}

/** A row of an answer: metric values and dimension values, in the query's order. */
interface AnswerRow {
  metrics: readonly unknown[];
  dimensions: readonly unknown[];
}

/**
 * The answer as Plausible shapes it: the requested page of the sorted rows, `meta` with its keys sorted (and
 * `total_rows` when asked), and the query echoed back with the range resolved in the site's timezone.
 */
export function queryAnswer<R extends AnswerRow>(
  rows: R[],
  meta: Record<string, unknown>,
  query: QueryRequest,
  site: { domain: string; timezone: string },
  range: ResolvedRange,
  orderBy: Array<[string, "asc" | "desc"]>,
) {
  if (query.include.total_rows) meta.total_rows = rows.length;
  const { limit, offset } = query.pagination;
  return {
    results: rows.slice(offset, offset + limit),
    meta: Object.fromEntries(Object.entries(meta).sort(([a], [b]) => (a < b ? -1 : 1))),
    query: {
      site_id: site.domain,
      metrics: query.metrics,
      date_range: [toIsoInZone(range.first, site.timezone), toIsoInZone(range.last, site.timezone)],
      filters: query.filters,
      dimensions: query.dimensions,
      order_by: orderBy,
      include: Object.fromEntries(Object.entries(query.include).filter(([, flag]) => flag)),
      pagination: query.pagination,
    },
  };
}
