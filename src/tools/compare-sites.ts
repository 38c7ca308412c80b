import { z } from "zod";
import { isSitesApiMissing, type Site } from "../plausible";
import { comparePeriodsTool } from "./compare-periods";
import { describeRange, formatPValue, table } from "./render";
import { dateRange, dateRangeOutput, metricList, metricValue } from "./schemas";
import { defineTool, ToolInputError, type Cell, type ToolContext } from "./types";

/** Sites compared per call: each costs compare_periods' requests (4 for counts, at most 6). */
export const SITES_PER_PAGE = 4;
const MAX_METRICS = 3;

const isComparable = (range: string | readonly string[]) =>
  (typeof range === "string" && /^\d+d$/.test(range)) || (typeof range !== "string" && /^\d{4}-\d{2}-\d{2}$/.test(range[0] ?? ""));

const verdicts = z.enum(["increase", "decrease", "no detectable change", "not tested"]);

const siteRow = z.object({
  site_id: z.string(),
  current_dates: z.array(z.string()).optional().describe("The period's dates as Plausible resolved them in the site's timezone"),
  previous_dates: z.array(z.string()).optional().describe("The period before it"),
  metrics: z.record(
    z.string(),
    z.object({
      current: metricValue,
      previous: metricValue,
      change_percent: z.number().nullable(),
      p_value: z.number().nullable(),
      verdict: verdicts,
    }),
  ),
  error: z.string().optional().describe("Why this site could not be compared; the other sites are unaffected"),
});
type SiteRow = z.output<typeof siteRow>;

/** The sites the caller can read, sorted by domain, from the Sites API; refused with what to do where there is none. */
async function readableSites(context: ToolContext): Promise<string[]> {
  try {
    const [sites] = (await context.plausible([{ kind: "sites" }])) as [Site[]];
    return sites.map((site) => site.domain).sort();
  } catch (error) {
    if (!isSitesApiMissing(error)) throw error;
    throw new ToolInputError(
      "site_ids",
      "this Plausible instance has no Sites API (Community Edition or a plan without it), so the sites cannot be listed: " +
        'give the domains to compare, e.g. site_ids: ["example.com", "shop.example.com"]',
    );
  }
}

/** One site through compare_periods: the period against the one just before it, each metric tested against the site's own noise. */
async function compareSite(
  siteId: string,
  input: { metrics: string[]; date_range: string | [string, string] },
  context: ToolContext,
): Promise<{ row: SiteRow; notes: string[] }> {
  try {
    const args = comparePeriodsTool.inputSchema.parse({ site_id: siteId, current: input.date_range, metrics: input.metrics });
    const { structured } = await comparePeriodsTool.run(args, context);
    const metrics = Object.fromEntries(
      input.metrics.map((name) => [
        name,
        {
          current: structured.current.metrics[name] ?? null,
          previous: structured.previous.metrics[name] ?? null,
          change_percent: structured.change[name]?.percent ?? null,
          p_value: structured.significance[name]?.p_value ?? null,
          verdict: structured.significance[name]?.verdict ?? ("not tested" as const),
        },
      ]),
    );
    const dates = {
      ...(structured.current.date_range_resolved ? { current_dates: structured.current.date_range_resolved } : {}),
      ...(structured.previous.date_range_resolved ? { previous_dates: structured.previous.date_range_resolved } : {}),
    };
    return { row: { site_id: siteId, ...dates, metrics }, notes: structured.notes };
  } catch (error) {
    return { row: { site_id: siteId, metrics: {}, error: (error as Error).message }, notes: [] };
  }
}

/** Each distinct note once: bare when every site has it, else after the sites it concerns. */
function sharedNotes(perSite: ReadonlyArray<readonly [string, readonly string[]]>): string[] {
  const sitesOf = new Map<string, string[]>();
  for (const [site, notes] of perSite) for (const note of notes) sitesOf.set(note, [...(sitesOf.get(note) ?? []), site]);
  return [...sitesOf].map(([note, sites]) => (sites.length === perSite.length ? note : `${sites.join(", ")}: ${note}`));
}

/** Largest change first; sites without a change (no previous value, or an error) last. */
function byChange(metric: string) {
  const change = (row: SiteRow) => row.metrics[metric]?.change_percent ?? Number.NEGATIVE_INFINITY;
  return (a: SiteRow, b: SiteRow) => change(b) - change(a) || a.site_id.localeCompare(b.site_id);
}

export const compareSitesTool = defineTool({
  name: "compare_sites",
  title: "Compare sites",
  description: [
    "Which of our sites grew most? One to three metrics over one period for every site this key can read (or `site_ids`),",
    "each against the equally long period just before it, with compare_periods' significance test per site",
    "(so each site's own noise and weekday pattern set its verdict: increase, decrease, no detectable change or not tested),",
    "sorted by the first metric's change.",
    `Sites are taken ${SITES_PER_PAGE} per call in alphabetical order; \`page\` gives the next ones and the answer says how many remain.`,
    `Makes 1 Sites API request (none with \`site_ids\`) and compare_periods' requests per site: 4 for counts, at most 6,`,
    `so at most ${1 + 6 * SITES_PER_PAGE} per call; the answer states the count.`,
    "Community Edition has no Sites API: give `site_ids` there.",
    "Example: which of our sites gained the most visitors in the last 28 days?",
  ],
  inputSchema: z.object({
    metrics: metricList
      .max(MAX_METRICS, `at most ${MAX_METRICS} metrics: ask again for others`)
      .default(["visitors"])
      .describe("Metrics to compare (default visitors); the first orders the sites"),
    date_range: dateRange
      .default("28d")
      .describe(
        'The period: "Nd" (the last N complete days) or a ["YYYY-MM-DD", "YYYY-MM-DD"] pair; compared with the period just before it',
      ),
    site_ids: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe("Domains to compare; omit for every site this key can read (needs the Sites API)"),
    page: z.number().int().min(1).default(1).describe(`Which ${SITES_PER_PAGE} sites: 1 for the first, 2 for the next, …`),
  }),
  outputSchema: z.object({
    date_range: dateRangeOutput,
    metrics: z.array(z.string()),
    sites: z.array(siteRow),
    sorted_by: z.string(),
    page: z.number(),
    sites_total: z.number(),
    sites_remaining: z.number().describe("Sites after this page; ask for the next page to see them"),
    next_page: z.number().nullable(),
    requests: z.number().describe("Plausible requests this call made"),
    notes: z.array(z.string()),
  }),
  async run(input, context) {
    if (!isComparable(input.date_range))
      throw new ToolInputError(
        "date_range",
        `the period before "${describeRange(input.date_range)}" is ambiguous: use "Nd" (e.g. "28d") or a ["YYYY-MM-DD", "YYYY-MM-DD"] pair`,
      );
    let requests = 0;
    const counted: ToolContext = {
      ...context,
      plausible(batch) {
        requests += batch.length;
        return context.plausible(batch);
      },
    };
    const all = input.site_ids ? [...new Set(input.site_ids)] : await readableSites(counted);
    const first = (input.page - 1) * SITES_PER_PAGE;
    if (all.length > 0 && first >= all.length)
      throw new ToolInputError(
        "page",
        `there are ${all.length} sites, ${SITES_PER_PAGE} per page: the last page is ${Math.ceil(all.length / SITES_PER_PAGE)}`,
      );
    const onPage = all.slice(first, first + SITES_PER_PAGE);
    const compared = await Promise.all(onPage.map((site) => compareSite(site, input, counted)));
    const sortedBy = input.metrics[0]!;
    const rows = compared.map((result) => result.row).sort(byChange(sortedBy));
    const remaining = Math.max(0, all.length - first - onPage.length);
    const notes = sharedNotes(compared.map((result) => [result.row.site_id, result.notes] as const));
    if (remaining > 0)
      notes.unshift(`${remaining} more sites: ask again with page ${input.page + 1}; sites are ordered by change within each page.`);
    if (all.length === 0) notes.push("This key can read no sites.");

    const withErrors = rows.some((row) => row.error !== undefined);
    const cells = rows.map((row): Cell[] => [
      row.site_id,
      ...input.metrics.flatMap((name): Cell[] => {
        const entry = row.metrics[name];
        return [entry?.current, entry?.previous, entry?.change_percent, entry ? formatPValue(entry.p_value) : undefined, entry?.verdict];
      }),
      ...(withErrors ? [row.error] : []),
    ]);
    const headers = [
      "site",
      ...input.metrics.flatMap((name) => [name, "previous", "change %", "p", "verdict"]),
      ...(withErrors ? ["error"] : []),
    ];
    return {
      structured: {
        date_range: input.date_range,
        metrics: input.metrics,
        sites: rows,
        sorted_by: sortedBy,
        page: input.page,
        sites_total: all.length,
        sites_remaining: remaining,
        next_page: remaining > 0 ? input.page + 1 : null,
        requests,
        notes,
      },
      text: [
        `${onPage.length} of ${all.length} sites, ${describeRange(input.date_range)} vs the period before, by ${sortedBy} change ` +
          `(${requests} Plausible requests)`,
        table(headers, cells),
        ...notes,
      ].join("\n"),
    };
  },
});
