import { z } from "zod";
import { isSitesApiMissing, PlausibleResponseError } from "./errors";
import { customPropsPageShape, goalsPageShape, queryResultShape, realtimeVisitorsShape, sitesPageShape } from "./response-shapes";
import { type ApiCall, callPlausible, type TransportConfig } from "./transport";
import type { Goal, PlausibleRequest, QueryBody, QueryResult, Site } from "./types";

export interface PlausibleClientOptions {
  // From parsePlausibleBaseUrl, which vets it before a key is sent there.
  baseUrl: URL;
  apiKey: string;
  // Per attempt. Default 15000.
  timeoutMs?: number;
  // Default 5_000_000.
  maxResponseBytes?: number;
  fetch?: typeof fetch;
  // Wait before the single retry; tests pass () => 0.
  retryDelayMs?: (attempt: number) => number;
  // Awaited before every HTTP request sent (retries and further pages too), e.g. to count them against a quota.
  beforeSend?: () => Promise<void>;
}

// A list endpoint is followed for at most this many pages (100 items each by
// default), so a server handing out cursors forever cannot keep a call alive.
const MAX_PAGES = 20;

const jitteredBackoff = (attempt: number) => 250 * 2 ** (attempt - 1) + Math.random() * 250;

// Plausible's HTTP API over plain fetch: runs on Workers and Node alike.
export class PlausibleClient {
  readonly #config: TransportConfig;

  constructor(options: PlausibleClientOptions) {
    this.#config = {
      baseUrl: options.baseUrl,
      apiKey: options.apiKey,
      timeoutMs: options.timeoutMs ?? 15_000,
      maxResponseBytes: options.maxResponseBytes ?? 5_000_000,
      // Bound late so a test's vi.spyOn(globalThis, "fetch") is seen, and
      // called unbound-safe because Workers' fetch rejects a foreign `this`.
      fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
      retryDelayMs: options.retryDelayMs ?? jitteredBackoff,
      ...(options.beforeSend ? { beforeSend: options.beforeSend } : {}),
    };
  }

  execute(request: PlausibleRequest): Promise<unknown> {
    switch (request.kind) {
      case "query":
        return this.query(request.body);
      case "sites":
        return this.listSites();
      case "goals":
        return this.listGoals(request.siteId);
      case "customProps":
        return this.listCustomProps(request.siteId);
      case "realtime":
        return this.realtimeVisitors(request.siteId);
    }
  }

  async query(body: QueryBody): Promise<QueryResult> {
    const call: ApiCall = { method: "POST", path: "api/v2/query", body };
    return this.#expect(call, queryResultShape, await callPlausible(this.#config, call));
  }

  // Sites API: Plausible Cloud only. Community Edition answers 406 with an
  // HTML page (other setups 404), which surfaces as a PlausibleApiError.
  async listSites(): Promise<Site[]> {
    const pages = await this.#allPages({ method: "GET", path: "api/v1/sites" }, sitesPageShape);
    return pages.flatMap((page) => page.sites.map(({ domain, timezone }) => (timezone === undefined ? { domain } : { domain, timezone })));
  }

  // Whether Plausible accepts the key, with one request: the first site of the
  // Sites API, which any Stats API key may read. Community Edition has no Sites
  // API; there the realtime count of `fallbackSiteId` asks instead, or, without
  // one, the key is left for the first tool call to prove. Plausible's refusal
  // surfaces as a PlausibleApiError with its own text.
  async checkKey(fallbackSiteId?: string): Promise<void> {
    try {
      await callPlausible(this.#config, { method: "GET", path: "api/v1/sites", params: { limit: "1" } });
    } catch (error) {
      if (!isSitesApiMissing(error)) throw error;
      if (fallbackSiteId) await this.realtimeVisitors(fallbackSiteId);
    }
  }

  async listGoals(siteId: string): Promise<Goal[]> {
    const pages = await this.#allPages({ method: "GET", path: "api/v1/sites/goals", params: { site_id: siteId } }, goalsPageShape);
    return pages.flatMap((page) => page.goals);
  }

  async listCustomProps(siteId: string): Promise<string[]> {
    const pages = await this.#allPages(
      { method: "GET", path: "api/v1/sites/custom-props", params: { site_id: siteId } },
      customPropsPageShape,
    );
    return pages.flatMap((page) => page.custom_properties.map(({ property }) => property));
  }

  // Visitors in the last 5 minutes.
  async realtimeVisitors(siteId: string): Promise<number> {
    const call: ApiCall = { method: "GET", path: "api/v1/stats/realtime/visitors", params: { site_id: siteId } };
    return this.#expect(call, realtimeVisitorsShape, await callPlausible(this.#config, call));
  }

  async #allPages<Shape extends z.ZodType<{ meta?: { after?: string | null | undefined } | undefined }>>(
    call: ApiCall,
    shape: Shape,
  ): Promise<z.output<Shape>[]> {
    const pages: z.output<Shape>[] = [];
    const seenCursors = new Set<string>();
    let after: string | undefined;
    do {
      const pageCall: ApiCall = after === undefined ? call : { ...call, params: { ...call.params, after } };
      const page = this.#expect(pageCall, shape, await callPlausible(this.#config, pageCall));
      pages.push(page);
      after = page.meta?.after ?? undefined;
      // A repeated cursor would loop forever; stop as if the list had ended.
      if (after !== undefined && seenCursors.has(after)) after = undefined;
      if (after !== undefined) seenCursors.add(after);
    } while (after !== undefined && pages.length < MAX_PAGES);
    return pages;
  }

  #expect<Shape extends z.ZodType>(call: ApiCall, shape: Shape, value: unknown): z.output<Shape> {
    const parsed = shape.safeParse(value);
    if (parsed.success) return parsed.data;
    const issue = parsed.error.issues[0];
    const where = issue === undefined || issue.path.length === 0 ? "" : ` at ${issue.path.join(".")}`;
    throw new PlausibleResponseError(
      `Plausible's answer to ${call.method} /${call.path} has an unexpected shape${where}: ` +
        `${issue?.message ?? "invalid"}. Check that the Plausible base URL points at a Plausible server ` +
        "of a supported version.",
    );
  }
}
