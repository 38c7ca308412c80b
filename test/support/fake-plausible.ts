import { env } from "cloudflare:workers";
import { interceptOrigin } from "./fetch-boundary";

/**
 * A fake Plausible at the fetch boundary, for tests in workerd: it answers
 * requests to the worker's PLAUSIBLE_BASE_URL (https://plausible.test in most
 * projects, the deployed https://plausible.io in workers-production) with
 * Plausible's shapes, status codes and exact error texts, records what it was
 * asked, and lets every other request (to the worker itself) through.
 */
const PLAUSIBLE_ORIGIN = new URL(env.PLAUSIBLE_BASE_URL).origin;

export interface RecordedRequest {
  method: string;
  path: string;
  search: URLSearchParams;
  authorization: string | null;
  body: unknown;
}

type Reply = Response | Promise<Response>;
export type Route = (request: RecordedRequest) => Reply | undefined;

export const TEXTS = {
  invalidKey: "Invalid API key or site ID. Please make sure you're using a valid API key with access to the site you've requested.",
  // The newest servers' hourly limit text; older ones said "Your API key is limited to 600 requests per hour".
  rateLimited: "Too many API requests. The limit is 600 per hour. Please contact us to request more capacity.",
  rateLimitedOlder: "Too many API requests. Your API key is limited to 600 requests per hour. Please contact us to request more capacity.",
  paymentRequired:
    "The account that owns this API key does not have access to Stats API. Please make sure you're " +
    "using the API key of a subscriber account and that the subscription is active",
};

export function plausibleError(status: number, error: string): Response {
  return Response.json({ error }, { status });
}

/**
 * Community Edition has no Sites API routes: the request falls through to the
 * HTML catch-all, whose content negotiation answers 406 to `Accept: application/json`.
 */
export function communityEditionSitesApi(request: RecordedRequest): Response | undefined {
  if (!request.path.startsWith("/api/v1/sites")) return undefined;
  return new Response(
    '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Not Acceptable · Plausible ' +
      "Analytics</title></head><body><main><h1>Not Acceptable</h1><p>Oops! There was an error.</p>" +
      "</main></body></html>",
    { status: 406, headers: { "content-type": "text/html; charset=utf-8" } },
  );
}

/** A deterministic answer shaped like Plausible's for any query: one row per dimension value. */
export function defaultQueryAnswer(body: { metrics: string[]; dimensions?: string[]; include?: { time_labels?: boolean } }): Response {
  const dimensions = body.dimensions ?? [];
  const metricValues = (seed: number) =>
    body.metrics.map((metric, index) => (metric === "bounce_rate" ? 40 + seed : (seed + 1) * 10 + index));
  const time = dimensions.find((name) => name.startsWith("time"));
  const labels = ["2026-01-01", "2026-01-02", "2026-01-03"];
  const results =
    dimensions.length === 0
      ? [{ metrics: metricValues(0), dimensions: [] }]
      : time
        ? labels.slice(0, 2).map((label, seed) => ({ metrics: metricValues(seed), dimensions: [label] }))
        : ["alpha", "beta"].map((value, seed) => ({
            metrics: metricValues(seed),
            dimensions: dimensions.map((name) => `${value}:${name}`),
          }));
  const meta = time && body.include?.time_labels ? { time_labels: labels } : {};
  return Response.json({ results, meta, query: body });
}

export interface FakePlausible {
  requests: RecordedRequest[];
  /** Routes tried before the defaults, newest first. */
  use(route: Route): void;
  restore(): void;
}

// The bearer keys the tests use, and the shared key that vitest.config.ts gives /internal.
const VALID_KEYS = new Set(["test-key-aaaaaaaa", "test-key-bbbbbbbb", "test-plausible-api-key"]);

export function installFakePlausible(): FakePlausible {
  const requests: RecordedRequest[] = [];
  const routes: Route[] = [];
  const remove = interceptOrigin(PLAUSIBLE_ORIGIN, async (request) => {
    const url = new URL(request.url);
    const text = request.method === "POST" ? await request.text() : "";
    const recorded: RecordedRequest = {
      method: request.method,
      path: url.pathname,
      search: url.searchParams,
      authorization: request.headers.get("authorization"),
      body: text ? JSON.parse(text) : undefined,
    };
    requests.push(recorded);
    for (const route of routes) {
      const reply = route(recorded);
      if (reply) return reply;
    }
    const key = recorded.authorization?.replace(/^Bearer /, "") ?? "";
    if (!VALID_KEYS.has(key)) return plausibleError(401, TEXTS.invalidKey);
    switch (`${recorded.method} ${recorded.path}`) {
      case "POST /api/v2/query":
        return defaultQueryAnswer(recorded.body as never);
      case "GET /api/v1/sites":
        return Response.json({
          sites: [
            { domain: "example.com", timezone: "Europe/Berlin" },
            { domain: "shop.example.com", timezone: "UTC" },
          ],
          meta: { after: null, before: null, limit: 100 },
        });
      case "GET /api/v1/sites/goals":
        return Response.json({
          goals: [
            { id: 1, goal_type: "event", display_name: "Signup", event_name: "Signup", page_path: null },
            { id: 2, goal_type: "page", display_name: "Visit /pricing", event_name: null, page_path: "/pricing" },
          ],
          meta: { after: null, before: null, limit: 100 },
        });
      case "GET /api/v1/sites/custom-props":
        return Response.json({
          custom_properties: [{ property: "plan" }, { property: "author" }],
          meta: { after: null, before: null, limit: 100 },
        });
      case "GET /api/v1/stats/realtime/visitors":
        return Response.json(7);
      default:
        return new Response("Not found", { status: 404 });
    }
  });
  return {
    requests,
    use: (route) => routes.unshift(route),
    restore: remove,
  };
}
