// Runs the tools in src/tools in-process against synthetic sites: a ToolContext
// whose Plausible is a set of SyntheticSite objects, failing the way the real
// client does (PlausibleApiError with Plausible's status and text), so
// calibration can call a tool thousands of times without a server.

import { apiErrorFromResponse } from "../../src/plausible/api-error";
import type { PlausibleRequest, QueryBody } from "../../src/plausible";
import { DEFAULT_MAX_RESULT_CHARS } from "../../src/config";
import type { ToolContext } from "../../src/tools";
import { SyntheticQueryError } from "./synthetic.ts";
import type { SyntheticSite } from "./synthetic.ts";
import { inMemoryTeamMemory } from "./team-memory.ts";

export interface SyntheticContextOptions {
  /**
   * Whether the Sites API answers (Plausible Cloud; the default). When false,
   * sites/goals/custom-props requests fail as on Community Edition: 406 with
   * an HTML page.
   */
  sitesApi?: boolean;
  defaultSiteId?: string;
  maxResultChars?: number;
}

const INVALID_KEY_OR_SITE =
  "Invalid API key or site ID. Please make sure you're using a valid API key with access to the site you've requested.";
const COMMUNITY_EDITION_PAGE =
  '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Not Acceptable · Plausible ' +
  "Analytics</title></head><body><main><h1>Not Acceptable</h1><p>Oops! There was an error.</p>" +
  "</main></body></html>";

const failure = (status: number, text: string) => apiErrorFromResponse(status, JSON.stringify({ error: text }), new Headers());

export function syntheticContext(sites: readonly SyntheticSite[], options: SyntheticContextOptions = {}) {
  const requests: PlausibleRequest[] = [];
  const state = { batches: 0 };
  const byDomain = new Map(sites.map((site) => [site.domain, site]));
  const siteFor = (domain: string) => {
    const site = byDomain.get(domain);
    if (!site) throw failure(401, INVALID_KEY_OR_SITE);
    return site;
  };

  const answer = (request: PlausibleRequest): unknown => {
    if (request.kind !== "query" && request.kind !== "realtime" && options.sitesApi === false) {
      throw apiErrorFromResponse(406, COMMUNITY_EDITION_PAGE, new Headers());
    }
    switch (request.kind) {
      case "query":
        try {
          return siteFor((request.body as QueryBody).site_id).query(request.body);
        } catch (error) {
          if (error instanceof SyntheticQueryError) throw failure(error.status, error.message);
          throw error;
        }
      case "sites":
        return sites.map((site) => ({ domain: site.domain, timezone: site.timezone }));
      case "goals":
        return siteFor(request.siteId).goals.map(({ id, goal_type, display_name, event_name, page_path }) => ({
          id,
          goal_type,
          display_name,
          event_name,
          page_path,
          custom_props: {},
        }));
      case "customProps":
        siteFor(request.siteId);
        return [];
      case "realtime":
        siteFor(request.siteId);
        return 0;
    }
  };

  const context: ToolContext = {
    maxResultChars: options.maxResultChars ?? DEFAULT_MAX_RESULT_CHARS,
    memory: inMemoryTeamMemory(),
    ...(options.defaultSiteId === undefined ? {} : { defaultSiteId: options.defaultSiteId }),
    // Like the server's context, a batch fails as a whole when one of its requests fails.
    async plausible(batch) {
      state.batches += 1;
      requests.push(...batch);
      return batch.map(answer);
    },
  };
  return {
    context,
    requests,
    get batches() {
      return state.batches;
    },
  };
}
