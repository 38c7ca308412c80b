/**
 * Every path the worker answers, once. The route table (src/worker.ts), the Origin guard and CORS,
 * the body limits, the JSON-RPC check of legacy message endpoints, the bearer preflight, the
 * per-address ceiling, the sign-in rate limits and the home page's rows are all read from here, so a new endpoint is one
 * entry and none of them can miss it.
 */

/** What an endpoint speaks: MCP (clients' traffic), OAuth (sign-in, tokens, discovery) or a page for people. */
export type EndpointKind = "mcp" | "oauth" | "page";

/**
 * Who may call it: `bearer-key` brings a Plausible key in the header (/mcp, /sse), `key-grant`
 * an OAuth token whose grant holds the caller's own key (/connect), `member` a team member's
 * token (/internal), `admin` an administrator's session, `none` anyone.
 */
export type EndpointAuth = "bearer-key" | "key-grant" | "member" | "admin" | "none";

/** The handler in the route table that serves an endpoint. */
export type Service = "home" | "mcp" | "sse" | "internal" | "connect" | "admin";

export interface Endpoint {
  /** Matches exactly and, with `prefix`, everything below it. */
  path: string;
  prefix?: true;
  kind: EndpointKind;
  auth: EndpointAuth;
  serves: Service;
  /** Counts against its connector's per-address sign-in limits (src/auth/rate-limiter.ts). */
  signInLimited?: true;
  /** The HTTP+SSE message path under an MCP endpoint, whose body is checked to be one JSON-RPC message. */
  legacyMessagePath?: string;
  /** The endpoint's row on the home page: who it is for and how to authenticate. */
  listed?: { who: string; authentication: string };
}

const BEARER_KEY = "Authorization: Bearer <your Plausible API key>";

/** In matching order: the first entry that matches serves; a path that matches none is 404. */
export const ENDPOINTS: readonly Endpoint[] = [
  { path: "/", kind: "page", auth: "none", serves: "home" },
  {
    path: "/mcp",
    kind: "mcp",
    auth: "bearer-key",
    serves: "mcp",
    listed: { who: "Claude Code, Cursor, MCP Inspector and other clients that send a header", authentication: BEARER_KEY },
  },
  // /connect's authorization server sits under its MCP path, so its endpoints come first.
  { path: "/connect/authorize", kind: "oauth", auth: "none", signInLimited: true, serves: "connect" },
  { path: "/connect/token", kind: "oauth", auth: "none", signInLimited: true, serves: "connect" },
  { path: "/connect/register", kind: "oauth", auth: "none", signInLimited: true, serves: "connect" },
  {
    path: "/connect",
    prefix: true,
    kind: "mcp",
    auth: "key-grant",
    serves: "connect",
    legacyMessagePath: "/connect/message",
    listed: {
      who: "Anyone with their own Plausible key, from Claude.ai, Claude Desktop or Cowork (custom connector)",
      authentication: "OAuth 2.1: paste your Plausible Stats API key once on the sign-in page",
    },
  },
  { path: "/.well-known/oauth-authorization-server/connect", kind: "oauth", auth: "none", serves: "connect" },
  { path: "/.well-known/oauth-protected-resource/connect", kind: "oauth", auth: "none", serves: "connect" },
  {
    path: "/internal",
    prefix: true,
    kind: "mcp",
    auth: "member",
    serves: "internal",
    legacyMessagePath: "/internal/message",
    listed: {
      who: "Members of the team, from Claude.ai, Claude Desktop, Cowork or Claude Code",
      authentication: "OAuth 2.1: sign in with the team's account; the team's shared key is used",
    },
  },
  { path: "/authorize", kind: "oauth", auth: "none", signInLimited: true, serves: "internal" },
  { path: "/callback", kind: "oauth", auth: "none", serves: "internal" },
  { path: "/token", kind: "oauth", auth: "none", signInLimited: true, serves: "internal" },
  { path: "/register", kind: "oauth", auth: "none", signInLimited: true, serves: "internal" },
  {
    path: "/sse",
    prefix: true,
    kind: "mcp",
    auth: "bearer-key",
    serves: "sse",
    legacyMessagePath: "/sse/message",
    listed: { who: "Older clients that only speak HTTP+SSE", authentication: BEARER_KEY },
  },
  {
    path: "/admin",
    prefix: true,
    kind: "page",
    auth: "admin",
    serves: "admin",
    listed: { who: "The team's administrators", authentication: "Sign in with the team's account" },
  },
  { path: "/.well-known", prefix: true, kind: "oauth", auth: "none", serves: "internal" },
];

/** The endpoint that answers `pathname`, or undefined (404). */
export function endpointFor(pathname: string): Endpoint | undefined {
  return ENDPOINTS.find(({ path, prefix }) => pathname === path || (prefix && pathname.startsWith(path + "/")));
}

/** Whether `pathname` is an MCP endpoint (Origin checked, CORS only for allowed origins, the larger body limit). */
export function isMcpPath(pathname: string): boolean {
  return endpointFor(pathname)?.kind === "mcp";
}

/**
 * Whether an endpoint is under the per-address ceiling on MCP traffic: the MCP endpoints anyone with a
 * Plausible key can call (/mcp, /sse, /connect). /internal's callers are signed-in members, each with a
 * bucket of their own and a share of the team's key.
 */
export function hasAddressCeiling(endpoint: Endpoint): boolean {
  return endpoint.kind === "mcp" && (endpoint.auth === "bearer-key" || endpoint.auth === "key-grant");
}
