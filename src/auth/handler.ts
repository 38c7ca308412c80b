import {
  AuthorizationError,
  CimdFetchError,
  authorizationErrorRedirect,
  type AuthRequest,
  type OAuthHelpers,
} from "@cloudflare/workers-oauth-provider";
import type { AuthConfig } from "./config";
import { consentPage, htmlResponse, refusalPage } from "./consent-page";
import { checkSignInPolicy } from "./domain-policy";
import { OidcError, authorizationUrl, createSignInSecrets, discover, exchangeCode, verifyIdToken } from "./oidc";
import { grantUserId, rememberUserEmail } from "./user-index";
import { logAuthorization } from "../observability/structured-log";

/** The identity props the session agent reads from `this.props`. */
export interface IdentityProps {
  sub: string;
  email: string;
  name: string;
  /** Google's hosted domain (the hd claim), kept so each refresh re-checks it (src/auth/provider.ts). */
  hd?: string;
}

/** Saved by `beginUpstream()` and returned at the callback; never sent to the issuer. */
interface UpstreamData {
  verifier: string;
  nonce: string;
}

// Control characters have no business in OAuth parameters; CR/LF are header-injection attempts.
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/**
 * The provider's default handler: the consent page (GET/POST /authorize) and the identity
 * provider's callback (GET /callback). Everything else that reaches it does not exist.
 */
export function createDefaultHandler(config: AuthConfig) {
  return {
    async fetch(request: Request, env: Env): Promise<Response> {
      const oauth = (env as Env & { OAUTH_PROVIDER: OAuthHelpers }).OAUTH_PROVIDER;
      const { pathname } = new URL(request.url);
      try {
        if (pathname === "/authorize" && request.method === "GET") return await showConsent(request, oauth, config);
        if (pathname === "/authorize" && request.method === "POST") return await decideConsent(request, oauth, config);
        if (pathname === "/callback" && request.method === "GET") return await finishSignIn(request, env, oauth, config);
      } catch (error) {
        return renderError(error);
      }
      if (pathname === "/authorize" || pathname === "/callback") {
        return new Response("Method not allowed", { status: 405, headers: { Allow: pathname === "/authorize" ? "GET, POST" : "GET" } });
      }
      return new Response("Not found", { status: 404 });
    },
  };
}

async function showConsent(request: Request, oauth: OAuthHelpers, config: AuthConfig): Promise<Response> {
  const rawState = new URL(request.url).searchParams.get("state");
  if (rawState !== null && CONTROL_CHARACTERS.test(rawState)) {
    return refusalPage(400, "Invalid request", "The state parameter contains control characters.");
  }
  const authRequest = await oauth.parseAuthRequest(request);
  // The provider lets confidential clients skip PKCE; this server requires it of every client.
  if (!authRequest.codeChallenge) {
    return redirect(authorizationErrorRedirect(authRequest, "invalid_request", "PKCE with code_challenge_method=S256 is required"));
  }
  if (await oauth.isConsentRemembered(request, authRequest, { secret: await consentSecret(config) })) {
    return startUpstream(authRequest, new Headers(), oauth, config);
  }
  const details = await oauth.describeConsent(authRequest);
  const consent = await oauth.beginConsent(authRequest);
  return htmlResponse(consentPage(details, consent.handle), 200, consent.headers);
}

async function decideConsent(request: Request, oauth: OAuthHelpers, config: AuthConfig): Promise<Response> {
  const form = await request.formData().catch(() => undefined);
  if (!form) return refusalPage(400, "Invalid request", "The consent form could not be read.");
  const handle = String(form.get("handle") ?? "");
  if (form.get("decision") !== "approve") {
    logAuthorization("refused", "The person denied access on the consent page.");
    const denied = await oauth.denyConsent(request, handle);
    return new Response(null, { status: 302, headers: denied.headers });
  }
  const approved = await oauth.approveConsent(request, handle, { remember: { secret: await consentSecret(config) } });
  return startUpstream(approved.request, approved.headers, oauth, config);
}

/** After consent, and only then: state and PKCE for the identity provider, and the redirect to it. */
async function startUpstream(authRequest: AuthRequest, headers: Headers, oauth: OAuthHelpers, config: AuthConfig): Promise<Response> {
  const discovery = await discover(config.oidcIssuer);
  const secrets = createSignInSecrets();
  const { state, headers: upstreamHeaders } = await oauth.beginUpstream(authRequest, { data: secrets satisfies UpstreamData, headers });
  upstreamHeaders.set(
    "Location",
    await authorizationUrl(discovery, { clientId: config.oidcClientId, redirectUri: callbackUrl(config), state, ...secrets }),
  );
  return new Response(null, { status: 302, headers: upstreamHeaders });
}

async function finishSignIn(request: Request, env: Env, oauth: OAuthHelpers, config: AuthConfig): Promise<Response> {
  const params = new URL(request.url).searchParams;
  const { request: original, data, headers } = await oauth.finishUpstream<UpstreamData>(request);
  if (params.get("error")) {
    logAuthorization("refused", "Sign-in was cancelled or failed at the identity provider.");
    headers.set("Location", authorizationErrorRedirect(original, "access_denied", "Sign-in was cancelled or failed at the identity provider"));
    return new Response(null, { status: 302, headers });
  }
  const code = params.get("code");
  if (!code) return refusalPage(400, "Sign-in failed", "The identity provider sent no authorization code.", headers);

  const discovery = await discover(config.oidcIssuer);
  const idToken = await exchangeCode(discovery, {
    code,
    verifier: data.verifier,
    redirectUri: callbackUrl(config),
    clientId: config.oidcClientId,
    clientSecret: config.oidcClientSecret,
  });
  const claims = await verifyIdToken(discovery, idToken, { clientId: config.oidcClientId, nonce: data.nonce });
  const decision = checkSignInPolicy(claims, config.allowedEmailDomains, discovery.issuer);
  if (!decision.allowed) {
    logAuthorization("refused", decision.reason);
    return refusalPage(403, "Access denied", decision.reason, headers);
  }

  const userId = grantUserId(claims.sub);
  const props: IdentityProps = {
    sub: claims.sub,
    email: decision.email,
    name: typeof claims.name === "string" && claims.name ? claims.name : decision.email,
    ...(typeof claims.hd === "string" && claims.hd ? { hd: claims.hd } : {}),
  };
  const { redirectTo } = await oauth.completeAuthorization({
    request: original,
    userId,
    metadata: { email: decision.email },
    scope: original.scope,
    props,
  });
  // Outlives the grant by the code's lifetime, so offboarding always finds it.
  await rememberUserEmail(env.OAUTH_KV, decision.email, userId, config.refreshTokenTtlSeconds + 600);
  logAuthorization("granted", "Signed in with a verified email in an allowed domain.", decision.email);
  headers.set("Location", redirectTo);
  return new Response(null, { status: 302, headers });
}

function renderError(error: unknown): Response {
  if (error instanceof AuthorizationError && error.redirectTo) return redirect(error.redirectTo);
  if (error instanceof AuthorizationError) return refusalPage(400, "Invalid request", error.description);
  if (error instanceof CimdFetchError) return refusalPage(400, "Invalid request", "This app could not be verified: its client metadata document could not be fetched.");
  if (error instanceof OidcError && error.kind === "rejected") {
    logAuthorization("refused", error.message);
    return refusalPage(403, "Sign-in failed", error.message);
  }
  if (error instanceof OidcError) return refusalPage(502, "Sign-in unavailable", error.message);
  throw error;
}

function redirect(location: string): Response {
  return new Response(null, { status: 302, headers: { Location: location, "Cache-Control": "no-store" } });
}

function callbackUrl(config: AuthConfig): string {
  return config.publicUrl.origin + "/callback";
}

const consentSecrets = new Map<string, Promise<string>>();

/**
 * Key for the signed remembered-consent cookie, derived from the OIDC client secret so a
 * deployment has one secret fewer to manage; rotating that secret forgets remembered approvals.
 */
function consentSecret(config: AuthConfig): Promise<string> {
  let secret = consentSecrets.get(config.oidcClientSecret);
  if (!secret) {
    secret = deriveConsentSecret(config.oidcClientSecret);
    consentSecrets.set(config.oidcClientSecret, secret);
  }
  return secret;
}

async function deriveConsentSecret(clientSecret: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(clientSecret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode("plausible-mcp consent approvals"));
  return [...new Uint8Array(mac)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}
