import { z } from "zod";
import { resolveSiteId } from "./query-parts";
import { siteId } from "./schemas";
import { defineTool } from "./types";

export const getRealtimeVisitorsTool = defineTool({
  name: "get_realtime_visitors",
  title: "Visitors right now",
  description: ["The number of people on the site now (visitors in the last 5 minutes).", "Never cached."],
  inputSchema: z.object({ site_id: siteId }),
  outputSchema: z.object({ site_id: z.string(), visitors: z.number() }),
  async run(input, context) {
    const site = resolveSiteId(input.site_id, context);
    const [visitors] = (await context.plausible([{ kind: "realtime", siteId: site }])) as [number];
    return { structured: { site_id: site, visitors }, text: `${site}: ${visitors} visitors in the last 5 minutes` };
  },
});
