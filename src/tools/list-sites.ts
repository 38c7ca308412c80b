import { z } from "zod";
import { isSitesApiMissing, type Site } from "../plausible";
import { truncation } from "./schemas";
import { defineTool } from "./types";

const NARROW = "ask the user for the site's domain and use it as site_id directly";

export const listSitesTool = defineTool({
  name: "list_sites",
  title: "List sites",
  description: [
    "The sites (domains) this server's Plausible key can read, with their timezones.",
    "Use a domain as `site_id` in the other tools.",
  ],
  inputSchema: z.object({}),
  outputSchema: z.object({
    sites: z.array(z.object({ domain: z.string(), timezone: z.string().optional() })),
    source: z.enum(["sites_api", "default_site"]),
    note: z.string().optional(),
    ...truncation,
  }),
  async run(_input, context) {
    try {
      const [sites] = (await context.plausible([{ kind: "sites" }])) as [Site[]];
      const listed = sites.map(({ domain, timezone }) => ({ domain, ...(timezone ? { timezone } : {}) }));
      return {
        structured: { sites: listed, source: "sites_api" as const },
        text: "",
        listing: {
          key: "sites",
          headers: ["domain", "timezone"],
          cells: listed.map((site) => [site.domain, site.timezone]),
          narrow: NARROW,
        },
      };
    } catch (error) {
      if (!isSitesApiMissing(error)) throw error;
      const note = context.defaultSiteId
        ? "This Plausible instance has no Sites API (Community Edition or a plan without it), so only the " +
          "server's default site is listed. Other sites can still be queried by domain."
        : "This Plausible instance has no Sites API (Community Edition or a plan without it) and the " +
          "server has no default site: ask the user for the site's domain.";
      const sites = context.defaultSiteId ? [{ domain: context.defaultSiteId }] : [];
      return {
        structured: { sites, source: "default_site" as const, note },
        text: note,
        listing: { key: "sites", headers: ["domain"], cells: sites.map((site) => [site.domain]), narrow: NARROW },
      };
    }
  },
});
