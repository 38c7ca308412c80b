import {
  OAuthAuthorizationServer,
  OAuthResourceServer,
  authorizationErrorRedirect,
  type AuthRequest,
  type ConsentDescription,
  type OAuthHelpers,
} from "@cloudflare/workers-oauth-provider";
import { SettingError } from "../shared/config";
import { randomHex, sha256Hex } from "../shared/hash";
import { logAuthorization } from "../observability/structured-log";
import { checkClientRegistration } from "./client-registration";
import { PUBLIC_URL_RULE, readAuthNumbers, readPublicUrl } from "./config";
import { escapeHtml, htmlDocument, htmlResponse, refusalPage } from "./consent-page";
import { renderError } from "./handler";
import { admitConnectorRequest, type SignInRateLimits } from "./rate-limiter";

/**
 * /connect: the OAuth 2.1 connector for people who bring their own Plausible key (Claude.ai,
 * Claude Desktop and Cowork accept OAuth, not a pasted header). Its own authorization server
 * (issuer PUBLIC_URL/connect, endpoints under /connect) and protected resource (PUBLIC_URL/connect)
 * share OAUTH_KV with /internal's provider, but every token is bound to its resource, so a /connect
 * token opens nothing on /internal and the other way round.
 *
 * The authorization step asks for the key, has it checked (through `ConnectServices.checkKey`, this
 * module knows nothing of Plausible) and stores it only in the grant's props, which the provider
 * encrypts with a key derived from each token. Revoking a token (RFC 7009) deletes the grant and the key with it.
 */

export const CONNECT_PATH = "/connect";
const AUTHORIZE_PATH = `${CONNECT_PATH}/authorize`;
const TOKEN_PATH = `${CONNECT_PATH}/token`;
const REGISTER_PATH = `${CONNECT_PATH}/register`;
const AUTHORIZATION_SERVER_METADATA = `/.well-known/oauth-authorization-server${CONNECT_PATH}`;
const PROTECTED_RESOURCE_METADATA = `/.well-known/oauth-protected-resource${CONNECT_PATH}`;

/** A connection lasts this long without reconnecting; the key is checked again only then. */
const REFRESH_TOKEN_TTL_SECONDS = 30 * 86400;

/** The input the authorization page asks for (a fixed interface: tests and documentation name it). */
const API_KEY_FIELD = "plausible_api_key";

/** A grant's props on /connect: encrypted at rest by the provider, handed to the MCP handler as `ctx.props`. */
export interface ConnectProps {
  apiKey: string;
}

export type KeyCheck = { ok: true } | { ok: false; message: string };

/** What the connector needs from the rest of the worker. */
export interface ConnectServices {
  /** The MCP endpoint, reached once the provider has validated the request's token; `ctx.props` is `ConnectProps`. */
  mcp: { fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> };
  /** Checks a pasted key with one cheap request; `message` (Plausible's own text) is shown on the page. */
  checkKey(apiKey: string, env: Env): Promise<KeyCheck>;
}

export interface ConnectConfig {
  issuer: string;
  resource: string;
  accessTokenTtlSeconds: number;
  clientIdMetadataDocuments: boolean;
  rateLimits: SignInRateLimits;
}

export type ConnectConfigResult = { ok: true; config: ConnectConfig } | { ok: false; setting: string; reason: string };

/** Unlike /internal, /connect needs no sign-in provider and no shared key: KV, PUBLIC_URL and the rate limiter. */
export function readConnectConfig(env: Env): ConnectConfigResult {
  if (!(env as { OAUTH_KV?: KVNamespace }).OAUTH_KV)
    return { ok: false, setting: "OAUTH_KV", reason: "the KV namespace binding is not configured" };
  if (!(env as { AUTH_RATE_LIMITER?: unknown }).AUTH_RATE_LIMITER) {
    return { ok: false, setting: "AUTH_RATE_LIMITER", reason: "the Durable Object binding is not configured" };
  }
  if (!(env as { CONNECT_SESSION?: unknown }).CONNECT_SESSION) {
    return { ok: false, setting: "CONNECT_SESSION", reason: "the Durable Object binding is not configured" };
  }
  const publicUrl = readPublicUrl(env);
  if (!publicUrl) return { ok: false, setting: "PUBLIC_URL", reason: PUBLIC_URL_RULE };
  let numbers;
  try {
    numbers = readAuthNumbers(env);
  } catch (error) {
    if (error instanceof SettingError) return { ok: false, setting: error.setting, reason: error.reason };
    throw error;
  }
  const { accessTokenTtlSeconds, signInPerAddress, tokenPerClient, tokenPerAddress } = numbers;
  const rateLimits: SignInRateLimits = { signInPerAddress, tokenPerClient, tokenPerAddress };
  const url = publicUrl.origin + CONNECT_PATH;
  return {
    ok: true,
    config: {
      issuer: url,
      resource: url,
      accessTokenTtlSeconds,
      clientIdMetadataDocuments: env.CLIENT_ID_METADATA_DOCUMENTS === "true",
      rateLimits,
    },
  };
}

interface ConnectServers {
  authorizationServer: OAuthAuthorizationServer<Env>;
  resourceServer: OAuthResourceServer<Env, ConnectProps>;
}

let cached: { key: string; services: ConnectServices; servers: ConnectServers } | undefined;

function serversFor(config: ConnectConfig, services: ConnectServices): ConnectServers {
  const key = JSON.stringify(config);
  if (cached?.key === key && cached.services === services) return cached.servers;
  const authorizationServer = new OAuthAuthorizationServer<Env>({
    issuer: config.issuer,
    authorizeEndpoint: AUTHORIZE_PATH,
    tokenEndpoint: TOKEN_PATH,
    clientRegistrationEndpoint: REGISTER_PATH,
    resources: [config.resource],
    defaultResource: config.resource,
    accessTokenTTL: config.accessTokenTtlSeconds,
    refreshTokenTTL: REFRESH_TOKEN_TTL_SECONDS,
    clientIdMetadataDocumentEnabled: config.clientIdMetadataDocuments,
    // Its own consent cookies, so a /connect page never consumes an /internal consent in the same browser.
    cookiePrefix: "__Host-connect-",
    clientRegistrationCallback: checkClientRegistration,
    onError: ({ code, status, internal }) => {
      console.warn(`[connect] OAuth error ${status} ${code}: ${internal.category}/${internal.reason}`);
    },
  });
  const resourceServer = new OAuthResourceServer<Env, ConnectProps>({
    resourceMetadata: {
      resource: config.resource,
      authorization_servers: [config.issuer],
      bearer_methods_supported: ["header"],
      resource_name: "Plausible Analytics (your own API key)",
    },
    handler: { fetch: (request, env, ctx) => services.mcp.fetch(request, env, ctx) },
    validateToken: (env) => (resource, token) => authorizationServer.validateToken<ConnectProps>(resource, token, env),
  });
  const servers = { authorizationServer, resourceServer };
  cached = { key, services, servers };
  return servers;
}

export async function handleConnect(request: Request, env: Env, ctx: ExecutionContext, services: ConnectServices): Promise<Response> {
  const config = await admitConnectorRequest(request, env, "connect", readConnectConfig(env));
  if (config instanceof Response) return config;
  const { pathname } = new URL(request.url);
  const { authorizationServer, resourceServer } = serversFor(config, services);
  if (pathname === AUTHORIZE_PATH) return authorize(request, env, authorizationServer.getOAuthApi(env), services);
  if (pathname === TOKEN_PATH || pathname === REGISTER_PATH || pathname === AUTHORIZATION_SERVER_METADATA) {
    return authorizationServer.fetch(request, env, ctx);
  }
  return resourceServer.fetch(request, env, ctx);
}

async function authorize(request: Request, env: Env, oauth: OAuthHelpers, services: ConnectServices): Promise<Response> {
  try {
    if (request.method === "GET") return await showKeyPage(request, oauth);
    if (request.method === "POST") return await submitKey(request, env, oauth, services);
  } catch (error) {
    return renderError(error);
  }
  return new Response("Method not allowed", { status: 405, headers: { Allow: "GET, POST" } });
}

async function showKeyPage(request: Request, oauth: OAuthHelpers): Promise<Response> {
  const authRequest = await oauth.parseAuthRequest(request);
  if (!authRequest.codeChallenge) {
    return redirect(authorizationErrorRedirect(authRequest, "invalid_request", "PKCE with code_challenge_method=S256 is required"));
  }
  return keyPage(authRequest, oauth, 200);
}

/** The page with a fresh consent handle; `refusal` is why the last key was not accepted. */
async function keyPage(
  authRequest: AuthRequest,
  oauth: OAuthHelpers,
  status: 200 | 400,
  refusal?: string,
  headers = new Headers(),
): Promise<Response> {
  const details = await oauth.describeConsent(authRequest);
  const consent = await oauth.beginConsent(authRequest);
  for (const [name, value] of consent.headers) headers.append(name, value);
  return htmlResponse(renderKeyPage(details, consent.handle, refusal), status, headers);
}

async function submitKey(request: Request, env: Env, oauth: OAuthHelpers, services: ConnectServices): Promise<Response> {
  const form = await request.formData().catch(() => undefined);
  if (!form) return refusalPage(400, "Invalid request", "The form could not be read.");
  const handle = String(form.get("handle") ?? "");
  if (form.get("decision") === "cancel") {
    const denied = await oauth.denyConsent(request, handle);
    return new Response(null, { status: 302, headers: denied.headers });
  }
  // The handle works once and only in the browser it was issued to: a forged form from another site fails here.
  const approved = await oauth.approveConsent(request, handle);
  const apiKey = String(form.get(API_KEY_FIELD) ?? "").trim();
  const check: KeyCheck = apiKey ? await services.checkKey(apiKey, env) : { ok: false, message: "Paste your Plausible Stats API key." };
  if (!check.ok) {
    logAuthorization("refused", "/connect: the pasted Plausible key was refused.");
    return keyPage(approved.request, oauth, 400, check.message, approved.headers);
  }
  const props: ConnectProps = { apiKey };
  const { redirectTo } = await oauth.completeAuthorization({
    request: approved.request,
    userId: await connectGrantUserId(apiKey),
    metadata: { connector: "connect" },
    scope: approved.request.scope,
    props,
  });
  logAuthorization("granted", "/connect: a Plausible key was checked and connected.");
  approved.headers.set("Location", redirectTo);
  return new Response(null, { status: 302, headers: approved.headers });
}

/**
 * `key-<sha256 of the key>-<random>`: the provider revokes a user's earlier grants for the same app, so
 * each connection is a user of its own, or two people connecting one key would disconnect each other.
 * The digest prefix finds every grant of a key; a grant user id must not contain ":", and the key itself is never a name.
 */
async function connectGrantUserId(apiKey: string): Promise<string> {
  return `key-${await sha256Hex(apiKey)}-${randomHex(8)}`;
}

function renderKeyPage(details: ConsentDescription, handle: string, refusal?: string): string {
  const name = escapeHtml(details.clientName);
  const origin = details.clientDomain
    ? `Published by <strong>${escapeHtml(details.clientDomain)}</strong>.`
    : "This app registered itself; its name is not verified.";
  const loopback = details.redirectIsLoopback
    ? "<p><strong>This sends access to an app on your computer.</strong> Continue only if you just started connecting it.</p>"
    : "";
  const error = refusal
    ? `<p role="alert" style="color:#b00020"><strong>This key was not accepted:</strong> ${escapeHtml(refusal)}</p>`
    : "";
  return htmlDocument(
    `Connect ${name} to Plausible Analytics`,
    `<h1>Connect ${name} to your Plausible Analytics</h1>
<p>${origin} Access will be sent to <strong>${escapeHtml(details.redirectHost)}</strong>.</p>
${loopback}<p>Paste a Plausible Stats API key (Plausible: <em>Account settings &gt; API keys</em>). ${name} will read your sites' \
statistics with it; nothing is changed.
The key is checked with Plausible once, then kept only inside this connection, encrypted; disconnecting the app deletes it.</p>
${error}<form method="post" action="${AUTHORIZE_PATH}">
<input type="hidden" name="handle" value="${escapeHtml(handle)}">
<p><label>Plausible API key<br><input type="password" name="${API_KEY_FIELD}" autocomplete="off" required size="48"></label></p>
<button type="submit" name="decision" value="connect">Connect</button>
<button type="submit" name="decision" value="cancel" formnovalidate>Cancel</button>
</form>`,
  );
}

function redirect(location: string): Response {
  return new Response(null, { status: 302, headers: { Location: location, "Cache-Control": "no-store" } });
}
