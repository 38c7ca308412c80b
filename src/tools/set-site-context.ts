import { z } from "zod";
import { MEMORY_WRITE_HINTS } from "./memory-schemas";
import { resolveSiteId } from "./query-parts";
import { siteId } from "./schemas";
import { MAX_SITE_CONTEXT_CHARS } from "./team-memory";
import { defineTool } from "./types";

export const setSiteContextTool = defineTool({
  name: "set_site_context",
  title: "Set site context",
  description: [
    "Replaces the short notes that explain a site to whoever analyses it: what each goal means, which pages matter, known seasonality.",
    "Read them back from the resource plausible://sites/{site_id}/context. An empty text clears them.",
  ],
  hints: MEMORY_WRITE_HINTS,
  inputSchema: z.object({
    site_id: siteId,
    text: z.string().max(MAX_SITE_CONTEXT_CHARS).describe(`The notes, up to ${MAX_SITE_CONTEXT_CHARS} characters; empty clears them`),
  }),
  outputSchema: z.object({ site_id: z.string(), text: z.string() }),
  async run(input, context) {
    const site = resolveSiteId(input.site_id, context);
    await context.memory.setSiteContext(site, input.text);
    const text = input.text.trim();
    return {
      structured: { site_id: site, text },
      text: text ? `Site context of ${site} saved (${text.length} characters).` : `Site context of ${site} cleared.`,
    };
  },
});
