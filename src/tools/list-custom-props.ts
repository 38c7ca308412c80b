import { z } from "zod";
import { isSitesApiMissing } from "../plausible";
import { resolveSiteId } from "./query-parts";
import { siteId, truncation } from "./schemas";
import { defineTool } from "./types";

export const listCustomPropsTool = defineTool({
  name: "list_custom_props",
  title: "List custom properties",
  description: [
    "The custom properties configured for a site.",
    "Break down or filter by one with event:props:<name> (or its bare name in property_filters and get_breakdown).",
  ],
  inputSchema: z.object({ site_id: siteId }),
  outputSchema: z.object({
    site_id: z.string(),
    properties: z.array(z.string()),
    source: z.enum(["sites_api", "unavailable"]),
    note: z.string().optional(),
    ...truncation,
  }),
  async run(input, context) {
    const site = resolveSiteId(input.site_id, context);
    try {
      const [properties] = (await context.plausible([{ kind: "customProps", siteId: site }])) as [string[]];
      return {
        structured: { site_id: site, properties, source: "sites_api" as const },
        text: `${site}: custom properties`,
        listing: {
          key: "properties",
          headers: ["property"],
          cells: properties.map((name) => [name]),
          narrow: "ask the user which property they mean, then get_breakdown with event:props:<name>",
        },
      };
    } catch (error) {
      if (!isSitesApiMissing(error)) throw error;
      const note =
        "This Plausible instance has no Sites API, and the Stats API cannot list property names. Ask the " +
        "user which property they mean, then use get_breakdown with dimension event:props:<name>.";
      return { structured: { site_id: site, properties: [], source: "unavailable" as const, note }, text: note };
    }
  },
});
