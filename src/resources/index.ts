import type { CacheHint } from "@modelcontextprotocol/server";
import { METRICS } from "../plausible";
import type { ToolContext, ToolDefinition } from "../tools";
import { getBreakdownTool } from "../tools/get-breakdown";
import { listAnnotationsTool } from "../tools/list-annotations";
import { listCustomPropsTool } from "../tools/list-custom-props";
import { listGoalsTool } from "../tools/list-goals";
import { listSitesTool } from "../tools/list-sites";
import { QUERY_LANGUAGE_REFERENCE } from "./query-language";

/** The Plausible view of the caller, fetched only by the reads and completions that need it. */
export type ContextSource = () => Promise<ToolContext>;

export interface ResourceDefinition {
  name: string;
  title: string;
  description: string;
  mimeType: string;
  /** A fixed URI, or an RFC 6570 template whose variables `read` receives. */
  uri: string;
  template: boolean;
  /** How long a client may keep a read (2026-07-28 cache hints): per-caller data is private, the reference is public. */
  cacheHint: CacheHint;
  /** Whether reading asks Plausible, so it is counted, logged and audited like a tool call. */
  usesPlausible: boolean;
  /** `_meta` on both the listing and the contents. */
  meta?: Record<string, unknown>;
  read(variables: Record<string, string>, context: ContextSource): Promise<string>;
}

const MINUTE = 60_000;
const PER_CALLER: CacheHint = { cacheScope: "private", ttlMs: 5 * MINUTE };
const SAME_FOR_EVERYONE: CacheHint = { cacheScope: "public", ttlMs: 24 * 60 * MINUTE };

/** A list tool's structured result, as the JSON a resource holds: the same data, fallbacks and notes as the tool. */
async function toolJson(tool: ToolDefinition, input: Record<string, unknown>, context: ContextSource): Promise<string> {
  const { structured } = await tool.run(tool.inputSchema.parse(input), await context());
  return JSON.stringify(structured, null, 2);
}

/** Team memory changes whenever someone writes to it: never kept, and private to the caller's scope. */
const TEAM_MEMORY: CacheHint = { cacheScope: "private", ttlMs: 0 };

const SITE_GOALS_TEMPLATE = "plausible://sites/{site_id}/goals";
const SITE_ANNOTATIONS_TEMPLATE = "plausible://sites/{site_id}/annotations";
const SITE_CONTEXT_TEMPLATE = "plausible://sites/{site_id}/context";
const SITE_CUSTOM_PROPS_TEMPLATE = "plausible://sites/{site_id}/custom-props";

export const RESOURCES: readonly ResourceDefinition[] = [
  {
    name: "sites",
    title: "Sites",
    description: "The sites (domains) you can read, with their timezones: the values to use as site_id.",
    mimeType: "application/json",
    uri: "plausible://sites",
    template: false,
    cacheHint: PER_CALLER,
    usesPlausible: true,
    read: (_variables, context) => toolJson(listSitesTool, {}, context),
  },
  {
    name: "site-goals",
    title: "Goals of a site",
    description: "The goals configured for a site (custom events, pageview and scroll goals): the names to use as goal.",
    mimeType: "application/json",
    uri: SITE_GOALS_TEMPLATE,
    template: true,
    cacheHint: PER_CALLER,
    usesPlausible: true,
    read: ({ site_id }, context) => toolJson(listGoalsTool, { site_id }, context),
  },
  {
    name: "site-custom-props",
    title: "Custom properties of a site",
    description: "The custom properties configured for a site: break down or filter by event:props:<name>.",
    mimeType: "application/json",
    uri: SITE_CUSTOM_PROPS_TEMPLATE,
    template: true,
    cacheHint: PER_CALLER,
    usesPlausible: true,
    read: ({ site_id }, context) => toolJson(listCustomPropsTool, { site_id }, context),
  },
  {
    name: "site-annotations",
    title: "Annotations of a site",
    description: "Everything the team noted happened on a site (deploys, campaigns, releases, outages), oldest first, with ids.",
    mimeType: "application/json",
    uri: SITE_ANNOTATIONS_TEMPLATE,
    template: true,
    cacheHint: TEAM_MEMORY,
    usesPlausible: false,
    read: ({ site_id }, context) => toolJson(listAnnotationsTool, { site_id, date_range: "all" }, context),
  },
  {
    name: "site-context",
    title: "Context of a site",
    description: "The team's notes on a site: what each goal means, which pages matter, known seasonality. Read before analysing a site.",
    mimeType: "text/markdown",
    uri: SITE_CONTEXT_TEMPLATE,
    template: true,
    cacheHint: TEAM_MEMORY,
    usesPlausible: false,
    read: async ({ site_id = "" }, context) =>
      (await (await context()).memory.getSiteContext(site_id)) ??
      `No context has been noted for ${site_id} yet. ` +
        "When the user explains the site (what a goal means, which pages matter), offer to save it with set_site_context.",
  },
  {
    name: "query-language",
    title: "Plausible query language",
    description:
      "Metrics, dimensions, which combinations Plausible allows, date-range forms, filters and what needs which Community Edition version.",
    mimeType: "text/markdown",
    uri: "plausible://reference/query-language",
    template: false,
    cacheHint: SAME_FOR_EVERYONE,
    usesPlausible: false,
    read: async () => QUERY_LANGUAGE_REFERENCE,
  },
];

/** The prompt and resource-template arguments `completion/complete` suggests values for. */
export const COMPLETABLE_ARGUMENTS = ["site_id", "goal", "page", "metric"] as const;
export type CompletableArgument = (typeof COMPLETABLE_ARGUMENTS)[number];

/** Most suggestions one answer carries (the protocol's limit). */
const MAX_SUGGESTIONS = 100;
const PAGES_RANGE = "28d";

export function isCompletable(argument: string): argument is CompletableArgument {
  return (COMPLETABLE_ARGUMENTS as readonly string[]).includes(argument);
}

/** Whether `completion/complete` asks Plausible for this argument. */
export function completionUsesPlausible(argument: CompletableArgument): boolean {
  return argument !== "metric";
}

async function candidates(argument: CompletableArgument, site: string | undefined, context: ContextSource): Promise<string[]> {
  if (argument === "metric") return [...METRICS];
  const plausible = await context();
  if (argument === "site_id") {
    const { structured } = await listSitesTool.run({}, plausible);
    return structured.sites.map((entry) => entry.domain);
  }
  const siteId = site || plausible.defaultSiteId;
  // Goals and pages belong to a site: without one there is nothing to suggest yet.
  if (!siteId) return [];
  if (argument === "goal") {
    const { structured } = await listGoalsTool.run({ site_id: siteId }, plausible);
    return structured.goals.map((entry) => entry.name);
  }
  const input = getBreakdownTool.inputSchema.parse({
    site_id: siteId,
    dimension: "event:page",
    date_range: PAGES_RANGE,
    limit: MAX_SUGGESTIONS,
  });
  const { structured } = await getBreakdownTool.run(input, plausible);
  return structured.rows.map((row) => String(row.value));
}

/**
 * Suggestions for one argument: the values that contain what was typed
 * (case-insensitive), those starting with it first. `site` is the site the
 * other arguments name, for goals and pages.
 */
export async function completeArgument(
  argument: CompletableArgument,
  typed: string,
  site: string | undefined,
  context: ContextSource,
): Promise<{ values: string[]; total: number; hasMore: boolean }> {
  const needle = typed.toLowerCase();
  const matching = [...new Set(await candidates(argument, site, context))].filter((value) => value.toLowerCase().includes(needle));
  matching.sort((a, b) => Number(!a.toLowerCase().startsWith(needle)) - Number(!b.toLowerCase().startsWith(needle)));
  return { values: matching.slice(0, MAX_SUGGESTIONS), total: matching.length, hasMore: matching.length > MAX_SUGGESTIONS };
}
