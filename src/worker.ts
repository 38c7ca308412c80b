import { instrumentDurableObjectWithSentry, withSentry } from "@sentry/cloudflare";
import { env } from "cloudflare:workers";
import { MemoryStore as MemoryStoreObject } from "./agent/memory-store";
import { DigestStore as DigestStoreObject } from "./agent/digest-store";
import { SharedKeyGuard as SharedKeyGuardObject } from "./agent/shared-key-guard";
import { UsageAgent as UsageAgentObject } from "./agent/usage-agent";
import { handleAdmin } from "./admin/admin";
import { AuthRateLimiter as AuthRateLimiterObject, limitAddress } from "./auth";
import { handleConnect } from "./auth/connect";
import { handleInternal } from "./auth/internal";
import { endpointFor, hasAddressCeiling, type Service } from "./shared/endpoints";
import { serveHomePage } from "./pages/home-page";
import { limitRequestBody } from "./http/body-limit";
import { applyMcpCors, refuseUntrustedRequest, withoutAgentHeaders } from "./http/origin-host-guard";
import { answerBearerPreflight, refusePlainHttp, withSecurityHeaders } from "./http/transport-hygiene";
import { createInternalEndpoint } from "./mcp/internal-endpoint";
import { createConnectServices } from "./mcp/connect-endpoint";
import { bearerKey } from "./mcp/bearer-key";
import { createMcpEndpoint } from "./mcp/mcp-endpoint";
import {
  PlausibleConnectSession as ConnectSessionAgent,
  PlausibleKeySession as KeySessionAgent,
  PlausibleMcpSession as McpSessionAgent,
} from "./mcp/session";
import { createSseEndpoint } from "./mcp/sse-endpoint";
import { runDigests } from "./digest/run";
import { sentryOptions } from "./observability/sentry-options";
import { configurationErrorResponse, invalidSetting, readAddressLimits } from "./config";
import { sha256Hex } from "./shared/hash";

// Sentry's wrappers cost CPU on every request and call even when they send nothing (about a sixth
// of a tool call's worker CPU in the bench), so they are applied only when SENTRY_DSN is set.
const sentryOn = sentryOptions(env).enabled;
const reporting = <T extends new (...args: never[]) => unknown>(durableObject: T): T =>
  sentryOn ? instrumentDurableObjectWithSentry(sentryOptions, durableObject as never) : durableObject;

// Every Durable Object reports to Sentry with the worker's options and scrubbing.
export const PlausibleMcpSession = reporting(McpSessionAgent);
export const PlausibleKeySession = reporting(KeySessionAgent);
export const PlausibleConnectSession = reporting(ConnectSessionAgent);
export const SharedKeyGuard = reporting(SharedKeyGuardObject);
export const UsageAgent = reporting(UsageAgentObject);
export const AuthRateLimiter = reporting(AuthRateLimiterObject);
export const MemoryStore = reporting(MemoryStoreObject);
export const DigestStore = reporting(DigestStoreObject);
// The instances' types, for the bindings in worker-configuration.d.ts.
export type PlausibleMcpSession = McpSessionAgent;
export type PlausibleKeySession = KeySessionAgent;
export type PlausibleConnectSession = ConnectSessionAgent;
export type SharedKeyGuard = SharedKeyGuardObject;
export type UsageAgent = UsageAgentObject;
export type AuthRateLimiter = AuthRateLimiterObject;
export type MemoryStore = MemoryStoreObject;
export type DigestStore = DigestStoreObject;

type Handler = (request: Request, env: Env, ctx: ExecutionContext) => Promise<Response>;

const mcp = createMcpEndpoint();
const sse = createSseEndpoint();
const internal = { fetch: createInternalEndpoint() };
// The connector: the OAuth provider answers sign-in, tokens and discovery, and passes /internal to its MCP endpoint
// once the token is valid.
const connector: Handler = (request, env, ctx) => handleInternal(request, env, ctx, internal);
// The bring-your-own-key connector: its own authorization server and discovery, with the key's MCP endpoint behind /connect.
const connectServices = createConnectServices();
const connect: Handler = (request, env, ctx) => handleConnect(request, env, ctx, connectServices);
const admin: Handler = (request, env) => handleAdmin(request, env);
const home: Handler = async (request, env) => serveHomePage(request, env);

/** The handler of each service in the endpoint catalogue (src/shared/endpoints.ts), which lists every path the worker answers. */
const SERVICES: Record<Service, Handler> = { home, mcp, sse, internal: connector, connect, admin };

async function route(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
  const refused = refuseUntrustedRequest(request, env) ?? refusePlainHttp(request, env) ?? answerBearerPreflight(request, env);
  if (refused) return refused;
  const { pathname } = new URL(request.url);
  const endpoint = endpointFor(pathname);
  if (!endpoint) return new Response("Not found", { status: 404 });
  const invalid = invalidSetting(env);
  if (invalid) {
    console.error(`[config] ${pathname} is unavailable: ${invalid.message}`);
    return configurationErrorResponse(invalid.setting);
  }
  if (hasAddressCeiling(endpoint)) {
    // Only a bearer key in the header is a key the caller picks; /connect's keys come from grants.
    const apiKey = endpoint.auth === "bearer-key" ? bearerKey(request.headers) : undefined;
    const overCeiling = await limitAddress(request, env, readAddressLimits(env), apiKey && (await sha256Hex(apiKey)));
    if (overCeiling) return overCeiling;
  }
  const limited = await limitRequestBody(withoutAgentHeaders(request), endpoint);
  if (limited instanceof Response) return limited;
  return SERVICES[endpoint.serves](limited, env, ctx);
}

const worker = {
  async fetch(request: Request, env: Env, ctx: ExecutionContext) {
    return withSecurityHeaders(request, applyMcpCors(request, env, await route(request, env, ctx)));
  },
  // The Cron Trigger of wrangler.toml: weekly digests and change alerts (src/digest).
  // Awaited, not waitUntil: the invocation lasts until every delivery and its retries are done.
  async scheduled(controller: ScheduledController, env: Env) {
    await runDigests(env, controller.cron, new Date(controller.scheduledTime));
  },
} satisfies ExportedHandler<Env>;

export default sentryOn ? withSentry(sentryOptions, worker) : worker;
