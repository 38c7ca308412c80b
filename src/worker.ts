import { instrumentDurableObjectWithSentry, withSentry } from "@sentry/cloudflare";
import { createBearerMcpHandler } from "./agent/bearer-mcp";
import { createBearerSseHandler } from "./agent/bearer-sse";
import { PlausibleMcpSession as McpSessionAgent } from "./agent/mcp-session";
import { SharedKeyGuard as SharedKeyGuardObject } from "./agent/shared-key-guard";
import { UsageAgent as UsageAgentObject } from "./agent/usage-agent";
import { AuthRateLimiter as AuthRateLimiterObject, handleOAuth } from "./auth";
import { limitRequestBody } from "./http/body-limit";
import { applyInternalCors, refuseUntrustedRequest } from "./http/origin-host-guard";
import { sentryOptions } from "./observability/sentry-options";

// Every Durable Object reports to Sentry with the worker's options and scrubbing (off without SENTRY_DSN).
export const PlausibleMcpSession = instrumentDurableObjectWithSentry(sentryOptions, McpSessionAgent);
export const SharedKeyGuard = instrumentDurableObjectWithSentry(sentryOptions, SharedKeyGuardObject);
export const UsageAgent = instrumentDurableObjectWithSentry(sentryOptions, UsageAgentObject);
export const AuthRateLimiter = instrumentDurableObjectWithSentry(sentryOptions, AuthRateLimiterObject);
// The instances' types, for the bindings in worker-configuration.d.ts.
export type PlausibleMcpSession = McpSessionAgent;
export type SharedKeyGuard = SharedKeyGuardObject;
export type UsageAgent = UsageAgentObject;
export type AuthRateLimiter = AuthRateLimiterObject;

const bearerSse = createBearerSseHandler();
let bearerMcp: ReturnType<typeof createBearerMcpHandler> | undefined;

// The connector endpoint: the OAuth provider authenticates, then the session agent serves
// Streamable HTTP and legacy SSE (GET /internal, POST /internal/message) on the same path.
export const internalMcp = PlausibleMcpSession.serve("/internal", { binding: "MCP_SESSION", transport: "auto" });

export default withSentry(sentryOptions, {
  async fetch(request: Request, env: Env, ctx: ExecutionContext) {
    const refused = refuseUntrustedRequest(request, env);
    if (refused) return refused;
    const limited = await limitRequestBody(request);
    if (limited instanceof Response) return applyInternalCors(request, env, limited);
    request = limited;
    const { pathname } = new URL(request.url);
    if (pathname === "/mcp") return (bearerMcp ??= createBearerMcpHandler(env))(request, ctx);
    if (pathname === "/sse" || pathname.startsWith("/sse/")) return bearerSse(request, env, ctx);
    // Everything else (/internal, /authorize, /callback, /token, /register, /.well-known/*) is the
    // connector: the OAuth provider, with the session agent behind /internal.
    return applyInternalCors(request, env, await handleOAuth(request, env, ctx, internalMcp));
  },
} satisfies ExportedHandler<Env>);
