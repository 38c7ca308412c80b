// Deterministic synthetic analytics: three sites, 400 days of visits ending
// "now". Every number comes from one seeded PRNG, so the same seed and `now`
// always yield the same data.
//
// A visitor id lives for one site-local day, and all visits of a visitor share
// their visit attributes (source, device, country...). That keeps results
// internally consistent: daily visitors add up to the visitors of the whole
// range, and a breakdown by a visit dimension adds up to the total.

import { createRandom, type Random } from "./random.ts";
import { addDays, localDate, localMidnight } from "./time.ts";

export interface Goal {
  id: number;
  goal_type: "event" | "page" | "scroll";
  display_name: string;
  event_name: string | null;
  page_path: string | null;
  /** Scroll goals: completed by a pageview of `page_path` scrolled at least this far (percent). */
  scroll_threshold?: number;
  currency: string | null;
}

export interface SimEvent {
  name: string;
  page: string;
  hostname: string;
  props: Record<string, string>;
  /** Revenue in the goal's currency, only on revenue goal events. */
  revenue: number | null;
  /** Seconds on the page, only on pageviews. */
  timeOnPage: number;
  /** Percent of the page scrolled, only on pageviews. */
  scrollDepth: number;
  /** The site's goals this event completes. */
  goals: Goal[];
}

export interface Visit {
  visitorId: number;
  /** Whether the visitor made other visits that day. */
  repeatVisitor: boolean;
  start: number;
  /** Site-local calendar date and hour of `start`, precomputed for bucketing. */
  date: string;
  hour: number;
  duration: number;
  pageviews: number;
  attributes: VisitAttributes;
  entryPage: string;
  exitPage: string;
  entryHostname: string;
  exitHostname: string;
  events: SimEvent[];
}

export interface VisitAttributes extends SourceProfile, Place {
  utm_content: string;
  utm_term: string;
  device: string;
  screen: string;
  browser: string;
  browser_version: string;
  os: string;
  os_version: string;
}

export interface Site {
  domain: string;
  timezone: string;
  goals: Goal[];
  customProps: string[];
  /** Visits ordered by start. */
  visits: Visit[];
  statsStartDate: string;
  /** The events planted in this site's traffic, for demos and tests to find. */
  injected: InjectedEvents;
}

export interface Dataset {
  now: number;
  sites: Site[];
}

export interface DatasetOptions {
  seed: number;
  now: number;
  days?: number;
}

function pick<T>(random: Random, weighted: ReadonlyArray<readonly [T, number]>): T {
  const total = weighted.reduce((sum, [, weight]) => sum + weight, 0);
  let roll = random() * total;
  for (const [value, weight] of weighted) {
    roll -= weight;
    if (roll < 0) return value;
  }
  return weighted[weighted.length - 1]![0];
}

function between(random: Random, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

const NOT_SET = "(not set)";

interface SourceProfile {
  source: string;
  channel: string;
  referrer: string;
  utm_medium: string;
  utm_source: string;
  utm_campaign: string;
}

function source(
  source: string,
  channel: string,
  referrer: string,
  utm: [string, string, string] = [NOT_SET, NOT_SET, NOT_SET],
): SourceProfile {
  return { source, channel, referrer, utm_medium: utm[0], utm_source: utm[1], utm_campaign: utm[2] };
}

const SOURCES: ReadonlyArray<readonly [SourceProfile, number]> = [
  [source("Direct / None", "Direct", "Direct / None"), 30],
  [source("Google", "Organic Search", "https://www.google.com/"), 28],
  [source("Bing", "Organic Search", "https://www.bing.com/"), 5],
  [source("DuckDuckGo", "Organic Search", "https://duckduckgo.com/"), 4],
  [source("Twitter", "Organic Social", "https://t.co/"), 6],
  [source("Reddit", "Organic Social", "https://www.reddit.com/"), 5],
  [source("Hacker News", "Referral", "https://news.ycombinator.com/"), 5],
  [source("GitHub", "Referral", "https://github.com/"), 5],
  [source("Newsletter", "Email", NOT_SET, ["email", "newsletter", "weekly_digest"]), 6],
  [source("Google", "Paid Search", "https://www.google.com/", ["cpc", "google", "spring_sale"]), 6],
];

interface Place {
  country: string;
  country_name: string;
  region: string;
  region_name: string;
  city: number;
  city_name: string;
}

function place(country: string, country_name: string, region: string, region_name: string, city: number, city_name: string): Place {
  return { country, country_name, region, region_name, city, city_name };
}

const PLACES: ReadonlyArray<readonly [Place, number]> = [
  [place("US", "United States", "US-CA", "California", 5391959, "San Francisco"), 14],
  [place("US", "United States", "US-NY", "New York", 5128581, "New York"), 12],
  [place("DE", "Germany", "DE-BE", "Berlin", 2950159, "Berlin"), 10],
  [place("DE", "Germany", "DE-BY", "Bavaria", 2867714, "Munich"), 5],
  [place("GB", "United Kingdom", "GB-ENG", "England", 2643743, "London"), 10],
  [place("FR", "France", "FR-IDF", "Île-de-France", 2988507, "Paris"), 7],
  [place("NL", "Netherlands", "NL-NH", "North Holland", 2759794, "Amsterdam"), 5],
  [place("EE", "Estonia", "EE-37", "Harju County", 588409, "Tallinn"), 3],
  [place("IN", "India", "IN-KA", "Karnataka", 1277333, "Bengaluru"), 8],
  [place("BR", "Brazil", "BR-SP", "São Paulo", 3448439, "São Paulo"), 6],
  [place("JP", "Japan", "JP-13", "Tokyo", 1850147, "Tokyo"), 5],
  [place("CA", "Canada", "CA-ON", "Ontario", 6167865, "Toronto"), 5],
];

interface Device {
  device: string;
  screen: string;
  os: string;
  os_version: string;
  browsers: ReadonlyArray<readonly [[string, string], number]>;
}

const DEVICES: ReadonlyArray<readonly [Device, number]> = [
  [
    {
      device: "Desktop",
      screen: "Desktop",
      os: "Windows",
      os_version: "11",
      browsers: [
        [["Chrome", "131.0"], 6],
        [["Edge", "131.0"], 2],
        [["Firefox", "133.0"], 2],
      ],
    },
    22,
  ],
  [
    {
      device: "Desktop",
      screen: "Laptop",
      os: "Mac",
      os_version: "15.1",
      browsers: [
        [["Safari", "18.1"], 5],
        [["Chrome", "131.0"], 4],
        [["Firefox", "133.0"], 1],
      ],
    },
    18,
  ],
  [
    {
      device: "Desktop",
      screen: "Desktop",
      os: "GNU/Linux",
      os_version: NOT_SET,
      browsers: [
        [["Firefox", "133.0"], 5],
        [["Chrome", "131.0"], 4],
      ],
    },
    4,
  ],
  [
    {
      device: "Mobile",
      screen: "Mobile",
      os: "iOS",
      os_version: "18.1",
      browsers: [
        [["Safari", "18.1"], 8],
        [["Chrome", "131.0"], 2],
      ],
    },
    26,
  ],
  [
    {
      device: "Mobile",
      screen: "Mobile",
      os: "Android",
      os_version: "15",
      browsers: [
        [["Chrome", "131.0"], 8],
        [["Samsung Internet", "26.0"], 2],
      ],
    },
    22,
  ],
  [{ device: "Tablet", screen: "Tablet", os: "iOS", os_version: "18.1", browsers: [[["Safari", "18.1"], 1]] }, 8],
];

interface SiteBlueprint {
  domain: string;
  timezone: string;
  dailyVisitors: number;
  pages: ReadonlyArray<readonly [string, number]>;
  hostnameFor: (page: string) => string;
  goals: Goal[];
  customProps: string[];
  /** Custom events a visit fires after viewing `pages`. */
  customEvents: (random: Random, pages: string[]) => Array<Omit<SimEvent, "hostname" | "timeOnPage" | "scrollDepth" | "goals">>;
  pageProps: (page: string) => Record<string, string>;
}

function eventGoal(id: number, name: string, currency: string | null = null): Goal {
  return { id, goal_type: "event", display_name: name, event_name: name, page_path: null, currency };
}

function pageGoal(id: number, path: string): Goal {
  return { id, goal_type: "page", display_name: `Visit ${path}`, event_name: null, page_path: path, currency: null };
}

function scrollGoal(id: number, path: string, threshold: number): Goal {
  return {
    id,
    goal_type: "scroll",
    display_name: `Scroll ${threshold}% on ${path}`,
    event_name: null,
    page_path: path,
    scroll_threshold: threshold,
    currency: null,
  };
}

function customEvent(name: string, page: string, props: Record<string, string>, revenue: number | null = null) {
  return { name, page, props, revenue };
}

const BLUEPRINTS: SiteBlueprint[] = [
  {
    domain: "example.com",
    timezone: "Europe/Berlin",
    dailyVisitors: 110,
    pages: [
      ["/", 40],
      ["/pricing", 14],
      ["/features", 10],
      ["/docs", 10],
      ["/docs/getting-started", 8],
      ["/blog", 8],
      ["/signup", 6],
      ["/login", 6],
      ["/about", 3],
    ],
    hostnameFor: (page) => (page.startsWith("/docs") ? "docs.example.com" : "example.com"),
    goals: [eventGoal(1, "Signup"), eventGoal(2, "Purchase", "USD"), pageGoal(3, "/pricing")],
    customProps: ["plan"],
    customEvents: (random, pages) => {
      if (!pages.includes("/signup") || random() > 0.35) return [];
      const plan = pick(random, [
        ["free", 70],
        ["pro", 25],
        ["enterprise", 5],
      ] as const);
      const events = [customEvent("Signup", "/signup", { plan })];
      if (plan !== "free") {
        const price = plan === "pro" ? 29 : 499;
        events.push(customEvent("Purchase", "/signup", { plan }, price));
      }
      return events;
    },
    pageProps: () => ({}),
  },
  {
    domain: "shop.example.com",
    timezone: "America/New_York",
    dailyVisitors: 60,
    pages: [
      ["/", 30],
      ["/products", 20],
      ["/products/mug", 12],
      ["/products/t-shirt", 12],
      ["/products/hoodie", 8],
      ["/cart", 8],
      ["/checkout", 5],
    ],
    hostnameFor: () => "shop.example.com",
    goals: [eventGoal(4, "Purchase", "EUR"), eventGoal(5, "Add to Cart"), pageGoal(6, "/checkout")],
    customProps: ["product"],
    customEvents: (random, pages) => {
      const product = pages.find((page) => page.startsWith("/products/"))?.slice("/products/".length);
      if (!product || random() > 0.4) return [];
      const events = [customEvent("Add to Cart", `/products/${product}`, { product })];
      if (pages.includes("/checkout") || random() < 0.3) {
        const price = { mug: 12, "t-shirt": 25, hoodie: 55 }[product] ?? 20;
        events.push(customEvent("Purchase", "/checkout", { product }, price * between(random, 1, 3)));
      }
      return events;
    },
    pageProps: () => ({}),
  },
  {
    domain: "blog.example.com",
    timezone: "Etc/UTC",
    dailyVisitors: 35,
    pages: [
      ["/", 25],
      ["/posts/hello-world", 15],
      ["/posts/privacy-first-analytics", 20],
      ["/posts/self-hosting", 12],
      ["/tags/analytics", 5],
      ["/about", 6],
    ],
    hostnameFor: () => "blog.example.com",
    goals: [eventGoal(7, "Newsletter Signup"), pageGoal(8, "/about"), scrollGoal(9, "/posts/privacy-first-analytics", 75)],
    customProps: ["author"],
    customEvents: (random, pages) => (random() < 0.06 ? [customEvent("Newsletter Signup", pages[pages.length - 1] ?? "/", {})] : []),
    pageProps: (page): Record<string, string> => {
      if (!page.startsWith("/posts/")) return {};
      return { author: page.includes("privacy") ? "alice" : "bob" };
    },
  },
];

// Traffic peaks in the site's afternoon and dips at night.
const HOUR_WEIGHTS: ReadonlyArray<readonly [number, number]> = Array.from(
  { length: 24 },
  (_, hour) => [hour, 2 + 8 * Math.sin((Math.PI * Math.max(0, hour - 5)) / 19) ** 2] as const,
);

function visitAttributes(random: Random): VisitAttributes {
  const from = pick(random, SOURCES);
  const where = pick(random, PLACES);
  const device = pick(random, DEVICES);
  const [browser, browser_version] = pick(random, device.browsers);
  return {
    ...from,
    utm_content: NOT_SET,
    utm_term: NOT_SET,
    ...where,
    device: device.device,
    screen: device.screen,
    browser,
    browser_version,
    os: device.os,
    os_version: device.os_version,
  };
}

function goalsOf(event: Pick<SimEvent, "name" | "page" | "scrollDepth">, goals: Goal[]): Goal[] {
  return goals.filter((goal) => {
    if (goal.goal_type === "event") return goal.event_name === event.name;
    const pageview = event.name === "pageview" && event.page === goal.page_path;
    return goal.goal_type === "scroll" ? pageview && event.scrollDepth >= (goal.scroll_threshold ?? 0) : pageview;
  });
}

function buildVisit(
  random: Random,
  blueprint: SiteBlueprint,
  visitorId: number,
  repeatVisitor: boolean,
  attributes: VisitAttributes,
  start: number,
  date: string,
  hour: number,
): Visit {
  const pageCount = Math.min(6, 1 + Math.floor(-Math.log(1 - random()) * 1.4));
  const pages: string[] = [pick(random, blueprint.pages)];
  while (pages.length < pageCount) pages.push(pick(random, blueprint.pages));

  const events: SimEvent[] = pages.map((page) => {
    const pageview = {
      name: "pageview",
      page,
      hostname: blueprint.hostnameFor(page),
      props: blueprint.pageProps(page),
      revenue: null,
      timeOnPage: pageCount === 1 ? between(random, 3, 40) : between(random, 8, 240),
      scrollDepth: between(random, 15, 100),
    };
    return { ...pageview, goals: goalsOf(pageview, blueprint.goals) };
  });
  for (const custom of blueprint.customEvents(random, pages)) {
    events.push({
      ...custom,
      hostname: blueprint.hostnameFor(custom.page),
      timeOnPage: 0,
      scrollDepth: 0,
      goals: goalsOf({ ...custom, scrollDepth: 0 }, blueprint.goals),
    });
  }

  const entryPage = pages[0]!;
  const exitPage = pages[pages.length - 1]!;
  return {
    visitorId,
    repeatVisitor,
    start,
    date,
    hour,
    duration: pageCount === 1 ? 0 : events.reduce((sum, event) => sum + event.timeOnPage, 0),
    pageviews: pageCount,
    attributes,
    entryPage,
    exitPage,
    entryHostname: blueprint.hostnameFor(entryPage),
    exitHostname: blueprint.hostnameFor(exitPage),
    events,
  };
}

// Traffic shape: weekday seasonality, and on every site one source spike on a
// recent day and one page whose views step up after a "deploy". Dates are
// counted back from the site-local today, so they move with `now`.

/** Share of a typical weekday's traffic, Sunday first: quieter weekends, a Tuesday peak, a softer Friday. */
const WEEKDAY_FACTORS = [0.62, 1.0, 1.08, 1.05, 1.02, 0.9, 0.58] as const;

export interface InjectedEvents {
  /** On `date` (site-local) `source` brings `factor` times a normal day's visitors on top of the usual traffic. */
  spike: { date: string; source: string; factor: number };
  /** From the day after `date` (site-local) on, `page` is picked `factor` times as often when a visit chooses its pages. */
  deploy: { date: string; page: string; factor: number };
}

const INJECTIONS: Record<
  string,
  { spike: { daysAgo: number; source: string; factor: number }; deploy: { daysAgo: number; page: string; factor: number } }
> = {
  "example.com": { spike: { daysAgo: 3, source: "Hacker News", factor: 1.2 }, deploy: { daysAgo: 20, page: "/pricing", factor: 1.8 } },
  "shop.example.com": {
    spike: { daysAgo: 4, source: "Reddit", factor: 1.5 },
    deploy: { daysAgo: 17, page: "/products/hoodie", factor: 2 },
  },
  "blog.example.com": {
    spike: { daysAgo: 2, source: "Hacker News", factor: 2 },
    deploy: { daysAgo: 24, page: "/posts/self-hosting", factor: 2 },
  },
};

function injectedEvents(domain: string, today: string): InjectedEvents {
  const { spike, deploy } = INJECTIONS[domain]!;
  return {
    spike: { date: addDays(today, -spike.daysAgo), source: spike.source, factor: spike.factor },
    deploy: { date: addDays(today, -deploy.daysAgo), page: deploy.page, factor: deploy.factor },
  };
}

/** The blueprint a day's visits are drawn from: after the deploy, the deployed page weighs more. */
function blueprintOn(blueprint: SiteBlueprint, date: string, deploy: InjectedEvents["deploy"]): SiteBlueprint {
  if (date <= deploy.date) return blueprint;
  return {
    ...blueprint,
    pages: blueprint.pages.map(([page, weight]) => [page, page === deploy.page ? weight * deploy.factor : weight] as const),
  };
}

/** Visit attributes of a visitor the spike brought: the usual mix, but from the spike's source. */
function spikeAttributes(random: Random, spike: InjectedEvents["spike"]): VisitAttributes {
  const profile = SOURCES.find(([candidate]) => candidate.source === spike.source)![0];
  return { ...visitAttributes(random), ...profile };
}

function buildSite(random: Random, blueprint: SiteBlueprint, now: number, days: number): Site {
  const today = localDate(now, blueprint.timezone);
  const firstDate = addDays(today, -(days - 1));
  const injected = injectedEvents(blueprint.domain, today);
  const visits: Visit[] = [];
  let nextVisitorId = 1;

  for (let index = 0; index < days; index++) {
    const date = addDays(firstDate, index);
    const dayStart = localMidnight(date, blueprint.timezone);
    const dayLength = localMidnight(addDays(date, 1), blueprint.timezone) - dayStart;
    const weekday = new Date(`${date}T12:00:00Z`).getUTCDay();
    const growth = 0.75 + (0.5 * index) / days;
    const typicalDay = blueprint.dailyVisitors * WEEKDAY_FACTORS[weekday]! * growth;
    const visitors = Math.round(typicalDay * (0.85 + 0.3 * random()));
    const spikeVisitors = date === injected.spike.date ? Math.round(typicalDay * injected.spike.factor) : 0;
    const dayBlueprint = blueprintOn(blueprint, date, injected.deploy);

    const dayVisits: Visit[] = [];
    for (let visitor = 0; visitor < visitors + spikeVisitors; visitor++) {
      const visitorId = nextVisitorId++;
      const attributes = visitor < visitors ? visitAttributes(random) : spikeAttributes(random, injected.spike);
      const visitCount = random() < 0.12 ? 2 : 1;
      for (let visit = 0; visit < visitCount; visit++) {
        const hour = pick(random, HOUR_WEIGHTS);
        const offset = Math.min(dayLength - 1, hour * 3_600_000 + Math.floor(random() * 3_600_000));
        const start = dayStart + offset;
        const built = buildVisit(random, dayBlueprint, visitorId, visitCount > 1, attributes, start, date, Math.floor(offset / 3_600_000));
        // Today is only generated up to now; the RNG is still consumed so
        // earlier days do not depend on the time of day.
        if (start <= now) dayVisits.push(built);
      }
    }
    dayVisits.sort((a, b) => a.start - b.start);
    visits.push(...dayVisits);
  }

  return {
    domain: blueprint.domain,
    timezone: blueprint.timezone,
    goals: blueprint.goals,
    customProps: blueprint.customProps,
    visits,
    statsStartDate: firstDate,
    injected,
  };
}

const cache = new Map<string, Dataset>();

/** Builds (or reuses) the dataset for a seed and a moment. */
export function createDataset(options: DatasetOptions): Dataset {
  const days = options.days ?? 400;
  const key = `${options.seed}:${options.now}:${days}`;
  const cached = cache.get(key);
  if (cached) return cached;

  const dataset: Dataset = {
    now: options.now,
    // Each site gets its own stream, so adding a site never reshuffles another.
    sites: BLUEPRINTS.map((blueprint, index) => buildSite(createRandom(options.seed * 7919 + index), blueprint, options.now, days)),
  };
  // A handful of entries covers restarts in one test run without letting a
  // long-lived process that keeps changing `now` grow without bound.
  if (cache.size >= 4) cache.delete(cache.keys().next().value ?? "");
  cache.set(key, dataset);
  return dataset;
}
