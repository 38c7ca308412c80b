import { instrumentDurableObjectWithSentry, withSentry } from "@sentry/cloudflare";
import { env } from "cloudflare:workers";
import { SharedKeyGuard as SharedKeyGuardObject } from "./agent/shared-key-guard";
import { UsageAgent as UsageAgentObject } from "./agent/usage-agent";
import { handleAdmin } from "./admin/admin";
import { AuthRateLimiter as AuthRateLimiterObject, handleOAuth } from "./auth";
import { handleConnect } from "./auth/connect";
import { serveHomePage } from "./http/home-page";
import { limitRequestBody } from "./http/body-limit";
import { applyMcpCors, refuseUntrustedRequest, withoutAgentHeaders } from "./http/origin-host-guard";
import { answerBearerPreflight, refusePlainHttp, withSecurityHeaders } from "./http/transport-hygiene";
import { createInternalEndpoint } from "./mcp/internal-endpoint";
import { createConnectServices } from "./mcp/connect-endpoint";
import { createMcpEndpoint } from "./mcp/mcp-endpoint";
import {
  PlausibleConnectSession as ConnectSessionAgent,
  PlausibleKeySession as KeySessionAgent,
  PlausibleMcpSession as McpSessionAgent,
} from "./mcp/session";
import { createSseEndpoint } from "./mcp/sse-endpoint";
import { sentryOptions } from "./observability/sentry-options";
import { configurationErrorResponse, invalidSetting } from "./shared/config";

// Sentry's wrappers cost CPU on every request and call even when they send nothing (about a sixth
// of a tool call's worker CPU in the bench), so they are applied only when SENTRY_DSN is set.
const sentryOn = sentryOptions(env).enabled;
const reporting = <T extends new (...args: never[]) => unknown>(durableObject: T): T =>
  sentryOn ? (instrumentDurableObjectWithSentry(sentryOptions, durableObject as never) as T) : durableObject;

// Every Durable Object reports to Sentry with the worker's options and scrubbing.
export const PlausibleMcpSession = reporting(McpSessionAgent);
export const PlausibleKeySession = reporting(KeySessionAgent);
export const PlausibleConnectSession = reporting(ConnectSessionAgent);
export const SharedKeyGuard = reporting(SharedKeyGuardObject);
export const UsageAgent = reporting(UsageAgentObject);
export const AuthRateLimiter = reporting(AuthRateLimiterObject);
// The instances' types, for the bindings in worker-configuration.d.ts.
export type PlausibleMcpSession = McpSessionAgent;
export type PlausibleKeySession = KeySessionAgent;
export type PlausibleConnectSession = ConnectSessionAgent;
export type SharedKeyGuard = SharedKeyGuardObject;
export type UsageAgent = UsageAgentObject;
export type AuthRateLimiter = AuthRateLimiterObject;

type Handler = (request: Request, env: Env, ctx: ExecutionContext) => Promise<Response>;

const mcp = createMcpEndpoint();
const sse = createSseEndpoint();
const internal = { fetch: createInternalEndpoint() };
// The connector: the OAuth provider answers sign-in, tokens and discovery, and passes /internal to its MCP endpoint once the token is valid.
const connector: Handler = (request, env, ctx) => handleOAuth(request, env, ctx, internal);
// The bring-your-own-key connector: its own authorization server and discovery, with the key's MCP endpoint behind /connect.
const connectServices = createConnectServices();
const connect: Handler = (request, env, ctx) => handleConnect(request, env, ctx, connectServices);
const admin: Handler = (request, env) => handleAdmin(request, env);
const home: Handler = async (request, env) => serveHomePage(request, env);

/**
 * Every path the worker answers. `path` matches exactly, and with `prefix` also everything below
 * it; the first match serves; anything else is 404.
 */
const ROUTES: ReadonlyArray<{ path: string; prefix?: true; serve: Handler }> = [
  { path: "/", serve: home }, // what this server is and how to connect (HTML, or JSON on request)
  { path: "/mcp", serve: mcp }, // bearer key; Streamable HTTP, 2026-07-28 and 2025-era
  { path: "/sse", prefix: true, serve: sse }, // bearer key; legacy HTTP+SSE (GET /sse, POST /sse/message)
  { path: "/internal", prefix: true, serve: connector }, // OAuth; 2026-07-28 stateless, 2025-era sessions, legacy SSE
  { path: "/authorize", serve: connector },
  { path: "/callback", serve: connector },
  { path: "/token", serve: connector },
  { path: "/register", serve: connector },
  { path: "/connect", prefix: true, serve: connect }, // OAuth with the caller's own key: its MCP endpoint and /connect/authorize, /token, /register
  { path: "/.well-known/oauth-authorization-server/connect", serve: connect },
  { path: "/.well-known/oauth-protected-resource/connect", serve: connect },
  { path: "/admin", prefix: true, serve: admin }, // ADMIN_EMAILS: members, revoke, audit
  { path: "/.well-known", prefix: true, serve: connector },
];

function routeFor(pathname: string): Handler | undefined {
  return ROUTES.find(({ path, prefix }) => pathname === path || (prefix && pathname.startsWith(path + "/")))?.serve;
}

async function route(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
  const refused = refuseUntrustedRequest(request, env) ?? refusePlainHttp(request, env) ?? answerBearerPreflight(request, env);
  if (refused) return refused;
  const { pathname } = new URL(request.url);
  const serve = routeFor(pathname);
  if (!serve) return new Response("Not found", { status: 404 });
  const invalid = invalidSetting(env as unknown as Record<string, unknown>);
  if (invalid) {
    console.error(`[config] ${pathname} is unavailable: ${invalid.message}`);
    return configurationErrorResponse(invalid.setting);
  }
  const limited = await limitRequestBody(withoutAgentHeaders(request));
  if (limited instanceof Response) return limited;
  return serve(limited, env, ctx);
}

const worker = {
  async fetch(request: Request, env: Env, ctx: ExecutionContext) {
    return withSecurityHeaders(request, applyMcpCors(request, env, await route(request, env, ctx)));
  },
} satisfies ExportedHandler<Env>;

export default sentryOn ? withSentry(sentryOptions, worker) : worker;
