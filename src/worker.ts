import { instrumentDurableObjectWithSentry, withSentry } from "@sentry/cloudflare";
import { env } from "cloudflare:workers";
import { createBearerMcpHandler } from "./agent/bearer-mcp";
import { createBearerSseHandler } from "./agent/bearer-sse";
import { createInternalSessionHandler, PlausibleKeySession as KeySessionAgent, PlausibleMcpSession as McpSessionAgent } from "./agent/mcp-session";
import { SharedKeyGuard as SharedKeyGuardObject } from "./agent/shared-key-guard";
import { UsageAgent as UsageAgentObject } from "./agent/usage-agent";
import { AuthRateLimiter as AuthRateLimiterObject, handleOAuth } from "./auth";
import { limitRequestBody } from "./http/body-limit";
import { applyMcpCors, refuseUntrustedRequest, withoutAgentHeaders } from "./http/origin-host-guard";
import { answerBearerPreflight, refusePlainHttp, withSecurityHeaders } from "./http/transport-hygiene";
import { sentryOptions } from "./observability/sentry-options";

// Sentry's wrappers cost CPU on every request and call even when they send nothing (about a sixth
// of a tool call's worker CPU in the bench), so they are applied only when SENTRY_DSN is set.
const sentryOn = sentryOptions(env).enabled;
const reporting = <T extends new (...args: never[]) => unknown>(durableObject: T): T =>
  sentryOn ? (instrumentDurableObjectWithSentry(sentryOptions, durableObject as never) as T) : durableObject;

// Every Durable Object reports to Sentry with the worker's options and scrubbing.
export const PlausibleMcpSession = reporting(McpSessionAgent);
export const PlausibleKeySession = reporting(KeySessionAgent);
export const SharedKeyGuard = reporting(SharedKeyGuardObject);
export const UsageAgent = reporting(UsageAgentObject);
export const AuthRateLimiter = reporting(AuthRateLimiterObject);
// The instances' types, for the bindings in worker-configuration.d.ts.
export type PlausibleMcpSession = McpSessionAgent;
export type PlausibleKeySession = KeySessionAgent;
export type SharedKeyGuard = SharedKeyGuardObject;
export type UsageAgent = UsageAgentObject;
export type AuthRateLimiter = AuthRateLimiterObject;

const bearerSse = createBearerSseHandler();
let bearerMcp: ReturnType<typeof createBearerMcpHandler> | undefined;

// The connector endpoint: the OAuth provider authenticates, then the session agent serves
// Streamable HTTP and legacy SSE (GET /internal, POST /internal/message) on the same path.
const internalMcp = createInternalSessionHandler();

async function route(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
  const refused = refuseUntrustedRequest(request, env) ?? refusePlainHttp(request, env) ?? answerBearerPreflight(request, env);
  if (refused) return refused;
  const limited = await limitRequestBody(withoutAgentHeaders(request));
  if (limited instanceof Response) return limited;
  request = limited;
  const { pathname } = new URL(request.url);
  if (pathname === "/mcp") return (bearerMcp ??= createBearerMcpHandler(env))(request, ctx);
  if (pathname === "/sse" || pathname.startsWith("/sse/")) return bearerSse(request, env, ctx);
  // Everything else (/internal, /authorize, /callback, /token, /register, /.well-known/*) is the
  // connector: the OAuth provider, with the session agent behind /internal.
  return handleOAuth(request, env, ctx, internalMcp);
}

const worker = {
  async fetch(request: Request, env: Env, ctx: ExecutionContext) {
    return withSecurityHeaders(request, applyMcpCors(request, env, await route(request, env, ctx)));
  },
} satisfies ExportedHandler<Env>;

export default sentryOn ? withSentry(sentryOptions, worker) : worker;
