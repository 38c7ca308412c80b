// HTTP front of the simulator: Plausible's routes, auth, rate limit and error
// texts, plus loopback-only admin routes that tune latency and faults.

import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createDataset } from "./dataset.ts";
import type { Dataset, InjectedEvents, Site } from "./dataset.ts";
import { settingsProblem, takeFault } from "./faults.ts";
import type { FaultKind, FaultRule, RuntimeSettings } from "./faults.ts";
import { runQuery } from "./query.ts";
import { loadQuerySchema } from "./schema.ts";
import type { QuerySchema } from "./schema.ts";
import { SYNTHETIC_GOALS, SyntheticQueryError } from "./synthetic.ts";
import type { SyntheticSite } from "./synthetic.ts";
import { isSyntheticDomain, syntheticSiteFromDomain } from "./synthetic-domains.ts";
import { ruleViolation, structuralErrors, toQueryRequest } from "./validate.ts";

export type { FaultRule, RuntimeSettings } from "./faults.ts";

export interface SimulatorOptions {
  /** Port to listen on; 0 (the default) picks a free one. */
  port?: number;
  /** Interface to bind; defaults to 127.0.0.1. */
  host?: string;
  /** PRNG seed of the synthetic data; defaults to 1. */
  seed?: number;
  /** The moment the data ends ("now"); defaults to the time of start. */
  now?: Date | number;
  /**
   * Extra API keys: key -> "*" (all sites) or a list of site domains.
   * `demo-key` with access to all sites is always present.
   */
  keys?: Record<string, "*" | string[]>;
  /**
   * Plausible's query JSON schema. Defaults to $PLAUSIBLE_QUERY_SCHEMA, else
   * ../shared/plausible/query-api-schema.json beside the repository. null
   * turns schema validation off.
   */
  schemaPath?: string | null;
  latencyMs?: number;
  jitterMs?: number;
  hourlyLimit?: number;
  oversizedBytes?: number;
  faults?: FaultRule[];
  /**
   * Answer as Plausible Community Edition (3.2) does: no Sites API, so its
   * routes fall through to an HTML page that answers 406 to
   * `Accept: application/json`; and `date_range: "24h"` is refused.
   */
  communityEdition?: boolean;
  /**
   * Synthetic sites (domains ending in ".synthetic.test", see README) that the
   * Sites API lists. Every such domain answers queries whether listed or not.
   */
  syntheticSites?: string[];
  /** Where the one-line notices go; defaults to stderr. */
  log?: (line: string) => void;
}

export interface SimulatorStats {
  total: number;
  /** Requests per "METHOD /path". */
  byEndpoint: Record<string, number>;
  /** Responses per HTTP status (hung requests have none). */
  byStatus: Record<string, number>;
  /** Requests per API key the simulator knows (others are not counted here), to tell which key a server used. */
  byKey: Record<string, number>;
}

export interface SimulatorHandle {
  url: string;
  port: number;
  /** A snapshot of the request counters. */
  readonly stats: SimulatorStats;
  /** Whether request bodies are checked against the JSON schema. */
  schemaValidation: boolean;
  /** The sites, with the events planted in their traffic (see README, "Traffic structure"). */
  sites: Array<{ domain: string; timezone: string; injected: InjectedEvents }>;
  /** Changes latency, faults, hourly limit; `faults` replaces the list. */
  setFaults(patch: Partial<RuntimeSettings>): void;
  /** Clears counters, rate-limit windows and runtime settings back to the start options. */
  reset(): void;
  /** Revokes an API key: from now on Plausible answers it 401, as it does a key deleted in its settings. */
  revokeKey(key: string): void;
  close(): Promise<void>;
}

const MISSING_KEY = "Missing API key. Please use a valid Plausible API key as a Bearer Token.";
const INVALID_KEY_OR_SITE =
  "Invalid API key or site ID. Please make sure you're using a valid API key with access to the site you've requested.";
const INVALID_KEY_FOR_RESOURCE =
  "Invalid API key. Please make sure you're using a valid API key with access to the resource you've requested.";
const MISSING_SITE = "Missing site ID. Please provide the required site_id parameter with your request.";
const SITE_NOT_FOUND = "Site could not be found";
const MAX_BODY_BYTES = 1_048_576;
const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const DEFAULT_SCHEMA_PATH = resolve(REPO_ROOT, "../shared/plausible/query-api-schema.json");

// The newest servers' wording (older ones: "Your API key is limited to N requests per hour.").
const rateLimitText = (limit: number) =>
  `Too many API requests. The limit is ${limit} per hour. Please contact us to request more capacity.`;

interface Reply {
  status: number;
  body: string;
  contentType?: string;
}

const json = (status: number, value: unknown): Reply => ({ status, body: JSON.stringify(value) });
const error = (status: number, text: string): Reply => json(status, { error: text });

function encodeCursor(index: number): string {
  return Buffer.from(JSON.stringify({ index })).toString("base64url");
}

function decodeCursor(cursor: string): number | null {
  try {
    const { index } = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as { index: unknown };
    return Number.isInteger(index) ? (index as number) : null;
  } catch {
    return null;
  }
}

/** Plausible's cursor pagination: `after`/`before` cursors and a `limit` (default 100). */
function paginate<T>(
  items: T[],
  params: URLSearchParams,
): { page: T[]; meta: { after: string | null; before: string | null; limit: number } } | null {
  const requested = Number(params.get("limit") ?? 100);
  const limit = Number.isInteger(requested) && requested > 0 ? Math.min(requested, 1000) : 100;
  const after = params.get("after");
  const before = params.get("before");
  let start = 0;
  let end = Math.min(items.length, limit);
  if (after !== null) {
    const index = decodeCursor(after);
    if (index === null) return null;
    start = index + 1;
    end = Math.min(items.length, start + limit);
  } else if (before !== null) {
    const index = decodeCursor(before);
    if (index === null) return null;
    end = Math.min(items.length, index);
    start = Math.max(0, end - limit);
  }
  return {
    page: items.slice(start, end),
    meta: {
      after: end < items.length ? encodeCursor(end - 1) : null,
      before: start > 0 ? encodeCursor(start) : null,
      limit,
    },
  };
}

function isLoopback(request: IncomingMessage): boolean {
  const address = request.socket.remoteAddress ?? "";
  return address === "127.0.0.1" || address === "::1" || address === "::ffff:127.0.0.1";
}

function readBody(request: IncomingMessage): Promise<string | null> {
  return new Promise((done, fail) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    request.on("end", () => done(size > MAX_BODY_BYTES ? null : Buffer.concat(chunks).toString("utf8")));
    request.on("error", fail);
  });
}

function faultReply(kind: Exclude<FaultKind, "hang" | "truncated_json" | "oversized">, hourlyLimit: number): Reply {
  switch (kind) {
    case "429":
      return error(429, rateLimitText(hourlyLimit));
    case "500":
      return error(500, "Internal server error (simulated fault).");
    case "502":
      return { status: 502, body: "<html><body><h1>502 Bad Gateway</h1></body></html>", contentType: "text/html" };
    case "503":
      return { status: 503, body: "<html><body><h1>503 Service Unavailable</h1></body></html>", contentType: "text/html" };
    case "non_json":
      return { status: 200, body: "<html><body>Something went wrong</body></html>", contentType: "application/json; charset=utf-8" };
  }
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<SimulatorHandle> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const now = options.now === undefined ? Date.now() : Number(options.now);
  const dataset: Dataset = createDataset({ seed: options.seed ?? 1, now });
  const keys: Record<string, "*" | string[]> = { "demo-key": "*", ...options.keys };

  const schemaPath = options.schemaPath === undefined ? (process.env.PLAUSIBLE_QUERY_SCHEMA ?? DEFAULT_SCHEMA_PATH) : options.schemaPath;
  const schema: QuerySchema | null = schemaPath === null ? null : loadQuerySchema(schemaPath);
  if (!schema) {
    log(
      `plausible-simulator: no query schema${schemaPath ? ` at ${schemaPath}` : ""}; JSON schema ` +
        "validation is off (set PLAUSIBLE_QUERY_SCHEMA to a copy of Plausible's query-api-schema.json to " +
        "turn it on).",
    );
  }

  const initialSettings = (): RuntimeSettings => ({
    latencyMs: options.latencyMs ?? 0,
    jitterMs: options.jitterMs ?? 0,
    oversizedBytes: options.oversizedBytes ?? 5 * 1_048_576,
    hourlyLimit: options.hourlyLimit ?? 600,
    faults: (options.faults ?? []).map((rule) => ({ ...rule })),
    communityEdition: options.communityEdition ?? false,
  });
  let settings = initialSettings();
  let stats: SimulatorStats = { total: 0, byEndpoint: {}, byStatus: {}, byKey: {} };
  let windows = new Map<string, { start: number; count: number }>();

  const setFaults = (patch: Partial<RuntimeSettings>) => {
    settings = { ...settings, ...patch, faults: (patch.faults ?? settings.faults).map((rule) => ({ ...rule })) };
  };

  const siteByDomain = (domain: string) => dataset.sites.find((site) => site.domain === domain);
  const canAccess = (key: string, site: { domain: string }) => {
    const grant = keys[key];
    return grant === "*" || (grant ?? []).includes(site.domain);
  };

  const syntheticSites = new Map<string, SyntheticSite | null>();
  /** The synthetic site a domain names, built once; null (with a notice) when its settings can't be read. */
  const syntheticSite = (domain: string): SyntheticSite | null => {
    if (!isSyntheticDomain(domain)) return null;
    if (!syntheticSites.has(domain)) {
      const built = syntheticSiteFromDomain(domain, now);
      if ("error" in built) log(`plausible-simulator: no synthetic site ${domain}: ${built.error}`);
      syntheticSites.set(domain, "error" in built ? null : built);
    }
    return syntheticSites.get(domain) ?? null;
  };
  const listedSynthetic = () =>
    (options.syntheticSites ?? []).flatMap((domain) => {
      const site = syntheticSite(domain);
      return site ? [{ domain: site.domain, timezone: site.timezone }] : [];
    });

  /** Bearer auth and the hourly limit; returns the key or the error reply. */
  function authenticate(request: IncomingMessage, invalidKeyText: string): { key: string } | Reply {
    const match = /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? "");
    const key = match?.[1]?.trim();
    if (!key) return error(401, MISSING_KEY);
    if (!(key in keys)) return error(401, invalidKeyText);
    const clock = Date.now();
    let window = windows.get(key);
    if (!window || clock - window.start >= 3_600_000) {
      window = { start: clock, count: 0 };
      windows.set(key, window);
    }
    window.count += 1;
    if (window.count > settings.hourlyLimit) return error(429, rateLimitText(settings.hourlyLimit));
    return { key };
  }

  async function query(request: IncomingMessage): Promise<Reply> {
    const raw = await readBody(request);
    if (raw === null) return error(413, `Request body too large: the limit is ${MAX_BODY_BYTES} bytes.`);
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      return error(400, "Invalid JSON in the request body. Send a JSON object with site_id, metrics and date_range.");
    }
    const auth = authenticate(request, INVALID_KEY_OR_SITE);
    if ("status" in auth) return auth;
    const fields = body !== null && typeof body === "object" && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
    if (typeof fields.site_id !== "string" || fields.site_id === "") return error(400, MISSING_SITE);
    if (isSyntheticDomain(fields.site_id)) return syntheticQuery(auth.key, fields);
    const site = siteByDomain(fields.site_id);
    if (!site || !canAccess(auth.key, site)) return error(401, INVALID_KEY_OR_SITE);
    // CE 3.2's schema has no "24h" yet.
    if (settings.communityEdition && fields.date_range === "24h") return error(400, '#/date_range: Invalid date range "24h"');

    const schemaErrors = schema ? schema.check(body) : [];
    const lines = schemaErrors.length > 0 ? schemaErrors : structuralErrors(fields);
    if (lines.length > 0) return error(400, lines.join("\n"));
    const parsed = toQueryRequest(fields);
    const violation = ruleViolation(
      parsed,
      site.goals.map((goal) => goal.display_name),
    );
    if (violation) return error(400, violation);
    const result = runQuery(site, parsed, dataset.now);
    return "error" in result ? error(400, result.error) : json(200, result);
  }

  function syntheticQuery(key: string, fields: Record<string, unknown>): Reply {
    const site = syntheticSite(fields.site_id as string);
    if (!site || !canAccess(key, site)) return error(401, INVALID_KEY_OR_SITE);
    const schemaErrors = schema ? schema.check(fields) : [];
    if (schemaErrors.length > 0) return error(400, schemaErrors.join("\n"));
    try {
      return json(200, site.query(fields));
    } catch (failure) {
      if (failure instanceof SyntheticQueryError) return error(failure.status, failure.message);
      throw failure;
    }
  }

  function realtime(request: IncomingMessage, params: URLSearchParams): Reply {
    const auth = authenticate(request, INVALID_KEY_OR_SITE);
    if ("status" in auth) return auth;
    const domain = params.get("site_id");
    if (!domain) return error(400, MISSING_SITE);
    const synthetic = syntheticSite(domain);
    if (synthetic) {
      if (!canAccess(auth.key, synthetic)) return error(401, INVALID_KEY_OR_SITE);
      // Visitors of the last 5 minutes at today's planted rate.
      return json(200, Math.round(((synthetic.truth.days.at(-1)?.mean ?? 0) * 5) / 1440));
    }
    const site = siteByDomain(domain);
    if (!site || !canAccess(auth.key, site)) return error(401, INVALID_KEY_OR_SITE);
    const since = dataset.now - 5 * 60_000;
    const visitors = new Set<number>();
    for (let index = site.visits.length - 1; index >= 0; index--) {
      const visit = site.visits[index]!;
      if (visit.start < since - 3_600_000) break;
      if (visit.start <= dataset.now && visit.start + visit.duration * 1000 >= since) visitors.add(visit.visitorId);
    }
    return json(200, visitors.size);
  }

  /** Sites API lookups share their checks; `what` completes "is required to ...". */
  function sitesApiSite(
    request: IncomingMessage,
    params: URLSearchParams,
    what: string,
  ): { site: Pick<Site, "domain" | "goals" | "customProps"> } | Reply {
    const auth = authenticate(request, INVALID_KEY_FOR_RESOURCE);
    if ("status" in auth) return auth;
    const domain = params.get("site_id");
    if (!domain) return error(400, `Parameter \`site_id\` is required to ${what}`);
    const synthetic = syntheticSite(domain);
    const site = synthetic ? { domain: synthetic.domain, goals: [...SYNTHETIC_GOALS], customProps: [] } : siteByDomain(domain);
    if (!site) return error(404, SITE_NOT_FOUND);
    if (!canAccess(auth.key, site)) return error(401, INVALID_KEY_OR_SITE);
    return { site };
  }

  const INVALID_CURSOR = error(
    400,
    "Invalid pagination cursor. Pass back the `after` or `before` value of the previous response unchanged.",
  );

  function sites(request: IncomingMessage, params: URLSearchParams): Reply {
    const auth = authenticate(request, INVALID_KEY_FOR_RESOURCE);
    if ("status" in auth) return auth;
    const visible = [...dataset.sites.map(({ domain, timezone }) => ({ domain, timezone })), ...listedSynthetic()].filter((site) =>
      canAccess(auth.key, site),
    );
    const paged = paginate(visible, params);
    return paged ? json(200, { sites: paged.page, meta: paged.meta }) : INVALID_CURSOR;
  }

  function goals(request: IncomingMessage, params: URLSearchParams): Reply {
    const found = sitesApiSite(request, params, "list goals");
    if ("status" in found) return found;
    // Plausible lists the newest goal first.
    const listed = [...found.site.goals]
      .sort((a, b) => b.id - a.id)
      .map(({ id, goal_type, display_name, event_name, page_path, scroll_threshold }) => ({
        id,
        goal_type,
        display_name,
        event_name,
        page_path,
        ...(scroll_threshold === undefined ? {} : { scroll_threshold }),
        custom_props: {},
      }));
    const paged = paginate(listed, params);
    return paged ? json(200, { goals: paged.page, meta: paged.meta }) : INVALID_CURSOR;
  }

  function customProps(request: IncomingMessage, params: URLSearchParams): Reply {
    const found = sitesApiSite(request, params, "list custom properties");
    if ("status" in found) return found;
    return json(200, { custom_properties: found.site.customProps.map((property) => ({ property })) });
  }

  function schemaDocument(): Reply {
    if (!schema) {
      return error(
        404,
        "No query schema is loaded. Start the simulator with PLAUSIBLE_QUERY_SCHEMA pointing at Plausible's query-api-schema.json.",
      );
    }
    return { status: 200, body: schema.text, contentType: "application/json; charset=utf-8" };
  }

  async function admin(request: IncomingMessage, path: string): Promise<Reply> {
    if (!isLoopback(request)) return error(403, "The /__sim admin routes answer only on loopback.");
    if (request.method === "GET" && path === "/__sim/stats") return json(200, snapshot());
    if (request.method === "POST" && path === "/__sim/reset") {
      reset();
      return json(200, { reset: true });
    }
    if (request.method === "POST" && path === "/__sim/faults") {
      let patch: unknown;
      try {
        patch = JSON.parse((await readBody(request)) ?? "");
      } catch {
        patch = null;
      }
      const problem = settingsProblem(patch);
      if (problem) return error(400, problem);
      setFaults(patch as Partial<RuntimeSettings>);
      return json(200, settings);
    }
    return error(404, `No admin route ${request.method} ${path}. Known: GET /__sim/stats, POST /__sim/faults, POST /__sim/reset.`);
  }

  /**
   * Community Edition has no Sites API routes: the request reaches the HTML
   * catch-all, which answers 406 to a client that accepts only JSON.
   */
  function noSitesApi(request: IncomingMessage): Reply {
    const acceptsHtml = !/application\/json/.test(request.headers.accept ?? "") || /text\/html|\*\/\*/.test(request.headers.accept ?? "");
    const [status, title] = acceptsHtml ? [404, "Not Found"] : [406, "Not Acceptable"];
    const body =
      `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>${title} · Plausible ` +
      `Analytics</title></head><body><main><h1>${title}</h1><p>Oops! There was an error.</p></main>` +
      "</body></html>";
    return { status, body, contentType: "text/html; charset=utf-8" };
  }

  function route(request: IncomingMessage, path: string, params: URLSearchParams): Promise<Reply> | Reply {
    const endpoint = `${request.method} ${path}`;
    if (settings.communityEdition && path.startsWith("/api/v1/sites")) return noSitesApi(request);
    switch (endpoint) {
      case "POST /api/v2/query":
        return query(request);
      case "GET /api/v1/stats/realtime/visitors":
        return realtime(request, params);
      case "GET /api/v1/sites":
        return sites(request, params);
      case "GET /api/v1/sites/goals":
        return goals(request, params);
      case "GET /api/v1/sites/custom-props":
        return customProps(request, params);
      case "GET /api/docs/query/schema.json":
        return schemaDocument();
      default:
        return error(
          404,
          `Not found: ${endpoint}. The simulator serves POST /api/v2/query, GET /api/v1/sites, ` +
            "/api/v1/sites/goals, /api/v1/sites/custom-props, /api/v1/stats/realtime/visitors and " +
            "/api/docs/query/schema.json.",
        );
    }
  }

  function send(response: ServerResponse, reply: Reply): void {
    // A client that gave up (timeout, abort) gets no answer and no status count.
    if (response.destroyed) return;
    stats.byStatus[reply.status] = (stats.byStatus[reply.status] ?? 0) + 1;
    response.writeHead(reply.status, {
      "content-type": reply.contentType ?? "application/json; charset=utf-8",
      "content-length": Buffer.byteLength(reply.body),
    });
    response.end(reply.body);
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? "/", "http://simulator.local");
    if (url.pathname.startsWith("/__sim/")) {
      const reply = await admin(request, url.pathname);
      response.writeHead(reply.status, { "content-type": "application/json; charset=utf-8" }).end(reply.body);
      return;
    }

    stats.total += 1;
    const endpoint = `${request.method} ${url.pathname}`;
    stats.byEndpoint[endpoint] = (stats.byEndpoint[endpoint] ?? 0) + 1;
    const key = /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? "")?.[1]?.trim();
    if (key !== undefined && key in keys) stats.byKey[key] = (stats.byKey[key] ?? 0) + 1;

    const delay = settings.latencyMs + Math.random() * settings.jitterMs;
    if (delay > 0) await new Promise((wake) => setTimeout(wake, delay));

    const fault = takeFault(settings, url.pathname);
    if (fault === "hang") return;
    if (fault && fault !== "truncated_json" && fault !== "oversized") {
      request.resume();
      send(response, faultReply(fault, settings.hourlyLimit));
      return;
    }

    const reply = await route(request, url.pathname, url.searchParams);
    if (fault === "truncated_json") reply.body = reply.body.slice(0, Math.floor(reply.body.length / 2));
    // Trailing whitespace keeps the body valid JSON of the same shape, only larger.
    if (fault === "oversized") reply.body = reply.body.padEnd(settings.oversizedBytes, " ");
    send(response, reply);
  }

  function snapshot(): SimulatorStats {
    return structuredClone(stats);
  }

  function reset(): void {
    stats = { total: 0, byEndpoint: {}, byStatus: {}, byKey: {} };
    windows = new Map();
    settings = initialSettings();
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((failure: unknown) => {
      log(`plausible-simulator: request failed: ${(failure as Error).message}`);
      if (!response.headersSent) send(response, error(500, "The simulator failed to answer this request; see its log."));
    });
  });
  await new Promise<void>((ready, fail) => {
    server.once("error", fail);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => ready());
  });
  const { port, address } = server.address() as AddressInfo;
  const host = address.includes(":") ? `[${address}]` : address;

  return {
    url: `http://${host}:${port}`,
    port,
    get stats() {
      return snapshot();
    },
    schemaValidation: schema !== null,
    sites: dataset.sites.map(({ domain, timezone, injected }) => ({ domain, timezone, injected })),
    setFaults,
    reset,
    revokeKey(key) {
      delete keys[key];
    },
    close: () =>
      new Promise<void>((closed, fail) => {
        server.close((failure) => (failure ? fail(failure) : closed()));
        // Hung requests would otherwise keep the server open forever.
        server.closeAllConnections();
      }),
  };
}
