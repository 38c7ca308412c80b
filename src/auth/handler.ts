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
import { OidcError, authorizationUrl, createSignInSecrets, discover, verifiedSignIn } from "./oidc";
import { BLOCKED_MESSAGE, isBlocked } from "./block-list";
import { grantUserId, rememberMember, rememberUserEmail } from "./user-index";
import { logAuthorization, logRefusal } from "../observability/structured-log";
import { hex } from "../shared/hash";

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
  /** Set when the consent page was skipped: the person the remembered approval belongs to. */
  rememberedFor?: string;
}

/**
 * The person last signed in on this browser, as an HMAC of their issuer `sub` (opaque, and not
 * forgeable for someone else without the server's secret). Remembered approvals are bound to it.
 */
const SUBJECT_COOKIE = "__Host-plausible-mcp-subject";

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
  const subject = readCookie(request, SUBJECT_COOKIE);
  if (subject && (await oauth.isConsentRemembered(request, authRequest, { secret: await consentSecret(config), subject }))) {
    return startUpstream(authRequest, new Headers(), oauth, config, subject);
  }
  return showConsentPage(authRequest, oauth);
}

async function showConsentPage(authRequest: AuthRequest, oauth: OAuthHelpers, headers = new Headers()): Promise<Response> {
  const details = await oauth.describeConsent(authRequest);
  const consent = await oauth.beginConsent(authRequest);
  for (const [name, value] of headers) consent.headers.append(name, value);
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
  // Remembered only once the person is known, at the callback: an approval belongs to the person who gave it.
  const approved = await oauth.approveConsent(request, handle);
  return startUpstream(approved.request, approved.headers, oauth, config);
}

/** After consent, and only then: state and PKCE for the identity provider, and the redirect to it. */
async function startUpstream(
  authRequest: AuthRequest,
  headers: Headers,
  oauth: OAuthHelpers,
  config: AuthConfig,
  rememberedFor?: string,
): Promise<Response> {
  const discovery = await discover(config.oidcIssuer);
  const secrets = createSignInSecrets();
  const data: UpstreamData = { ...secrets, ...(rememberedFor ? { rememberedFor } : {}) };
  const { state, headers: upstreamHeaders } = await oauth.beginUpstream(authRequest, { data, headers });
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
    headers.set(
      "Location",
      authorizationErrorRedirect(original, "access_denied", "Sign-in was cancelled or failed at the identity provider"),
    );
    return new Response(null, { status: 302, headers });
  }
  const code = params.get("code");
  if (!code) return refusalPage(400, "Sign-in failed", "The identity provider sent no authorization code.", headers);

  const { issuer, claims } = await verifiedSignIn(config, {
    code,
    verifier: data.verifier,
    nonce: data.nonce,
    redirectUri: callbackUrl(config),
  });
  const decision = checkSignInPolicy(claims, config.allowedEmailDomains, issuer);
  if (!decision.allowed) {
    await logRefusal(decision.reason, claims.email);
    return refusalPage(403, "Access denied", decision.reason, headers);
  }
  const userId = grantUserId(claims.sub);
  if (await isBlocked(env.OAUTH_KV, { userId, email: decision.email })) {
    await logRefusal("Sign-in refused: an administrator blocked this member.", decision.email);
    return refusalPage(403, "Access revoked", BLOCKED_MESSAGE, headers);
  }

  const subject = await subjectOf(claims.sub, config);
  headers.append("Set-Cookie", `${SUBJECT_COOKIE}=${subject}; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=${REMEMBER_SECONDS}`);
  if (data.rememberedFor !== undefined && data.rememberedFor !== subject) {
    // The approval remembered on this browser is someone else's: this person decides for themselves.
    return showConsentPage(original, oauth, headers);
  }
  if (data.rememberedFor === undefined) await rememberApproval(request, original, subject, headers, oauth, config);

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
  await rememberMember(env.OAUTH_KV, userId, decision.email, MEMBER_REMEMBERED_SECONDS);
  logAuthorization("granted", "Signed in with a verified email in an allowed domain.", decision.email);
  headers.set("Location", redirectTo);
  return new Response(null, { status: 302, headers });
}

export function renderError(error: unknown): Response {
  if (error instanceof AuthorizationError && error.redirectTo) return redirect(error.redirectTo);
  if (error instanceof AuthorizationError) return refusalPage(400, "Invalid request", error.description);
  if (error instanceof CimdFetchError)
    return refusalPage(400, "Invalid request", "This app could not be verified: its client metadata document could not be fetched.");
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

/** How long /admin lists a member after their last sign-in: as long as the longest audit retention it may show. */
const MEMBER_REMEMBERED_SECONDS = 400 * 86400;

/** How long an approval, and who gave it, is remembered on a browser (the provider's default). */
const REMEMBER_SECONDS = 30 * 24 * 3600;

/** The HMAC of the issuer's `sub` that names a person in the subject cookie and in remembered approvals. */
async function subjectOf(sub: string, config: AuthConfig): Promise<string> {
  return hmacHex(await consentSecret(config), `subject:${sub}`);
}

/**
 * The provider remembers an approval when consent is accepted, but this server learns who gave it
 * only after sign-in. So the approval the person just gave is accepted once more here, through the
 * provider's own consent transaction, and remembered bound to them; its cookies join `headers`.
 */
async function rememberApproval(
  callback: Request,
  approved: AuthRequest,
  subject: string,
  headers: Headers,
  oauth: OAuthHelpers,
  config: AuthConfig,
): Promise<void> {
  const consent = await oauth.beginConsent(approved);
  const cookies = [callback.headers.get("Cookie"), ...consent.headers.getSetCookie().map((cookie) => cookie.split(";")[0])]
    .filter(Boolean)
    .join("; ");
  const replay = new Request(callback.url, { headers: { Cookie: cookies } });
  const remembered = await oauth.approveConsent(replay, consent.handle, {
    scope: approved.scope,
    remember: { secret: await consentSecret(config), subject },
  });
  for (const cookie of remembered.headers.getSetCookie()) headers.append("Set-Cookie", cookie);
}

function readCookie(request: Request, name: string): string | undefined {
  for (const pair of (request.headers.get("Cookie") ?? "").split(";")) {
    const [key, ...value] = pair.trim().split("=");
    if (key === name) return value.join("=") || undefined;
  }
  return undefined;
}

const consentSecrets = new Map<string, Promise<string>>();

/**
 * Key for the signed remembered-consent cookie and the subject cookie, derived from COOKIE_SECRET:
 * a secret of this server alone, so whoever holds the identity provider's client secret cannot forge
 * either. Rotating COOKIE_SECRET forgets remembered approvals.
 */
function consentSecret(config: AuthConfig): Promise<string> {
  let secret = consentSecrets.get(config.cookieSecret);
  if (!secret) {
    secret = hmacHex(config.cookieSecret, "plausible-mcp consent approvals");
    consentSecrets.set(config.cookieSecret, secret);
  }
  return secret;
}

async function hmacHex(secret: string, message: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(message));
  return hex(mac);
}
