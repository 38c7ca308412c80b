import { authorizationErrorRedirect, type AuthRequest, type OAuthHelpers } from "@cloudflare/workers-oauth-provider";
import { logAuthorization, logRefusal } from "../../observability/structured-log";
import { htmlResponse, refusalPage } from "../../pages/html";
import {
  BLOCKED_MESSAGE,
  isBlocked,
  type IdentityProps,
  CONTROL_CHARACTERS,
  refuseWithoutPkce,
  renderError,
  authorizationUrl,
  createSignInSecrets,
  discover,
  callbackUrl,
  signInAnswer,
  grantUserId,
  rememberMember,
  rememberUserEmail,
} from "..";
import type { AuthConfig } from "../../config";
import { consentPage } from "./consent-page";
import { isApprovalRemembered, rememberApproval, subjectCookie, subjectOf, subjectOnBrowser } from "./remembered-approval";

/** Where the identity provider sends the person back to /internal's sign-in. */
const CALLBACK_PATH = "/callback";

/** How long /admin lists a member after their last sign-in: as long as the longest audit retention it may show. */
const MEMBER_REMEMBERED_SECONDS = 400 * 86400;

/** Saved by `beginUpstream()` and returned at the callback; never sent to the issuer. */
interface UpstreamData {
  verifier: string;
  nonce: string;
  /** Set when the consent page was skipped: the person the remembered approval belongs to. */
  rememberedFor?: string;
}

/**
 * The provider's default handler on /internal: the consent page (GET/POST /authorize) and the
 * identity provider's callback (GET /callback). Everything else that reaches it does not exist.
 */
export function createConsentFlow(config: AuthConfig, helpers: (env: Env) => OAuthHelpers) {
  return {
    async fetch(request: Request, env: Env): Promise<Response> {
      const oauth = helpers(env);
      const { pathname } = new URL(request.url);
      try {
        if (pathname === "/authorize" && request.method === "GET") return await showConsent(request, oauth, config);
        if (pathname === "/authorize" && request.method === "POST") return await decideConsent(request, oauth, config);
        if (pathname === CALLBACK_PATH && request.method === "GET") return await finishSignIn(request, env, oauth, config);
      } catch (error) {
        return renderError(error);
      }
      if (pathname === "/authorize" || pathname === CALLBACK_PATH) {
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
  const withoutPkce = refuseWithoutPkce(authRequest);
  if (withoutPkce) return withoutPkce;
  const subject = subjectOnBrowser(request);
  if (subject && (await isApprovalRemembered(request, authRequest, subject, oauth, config))) {
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
    await authorizationUrl(discovery, {
      clientId: config.oidcClientId,
      redirectUri: callbackUrl(config, CALLBACK_PATH),
      state,
      ...secrets,
    }),
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

  const answer = await signInAnswer(
    config,
    { code, verifier: data.verifier, nonce: data.nonce, redirectUri: callbackUrl(config, CALLBACK_PATH) },
    { headers },
  );
  if (answer instanceof Response) return answer;
  const { email, claims } = answer;
  const userId = grantUserId(claims.sub);
  if (await isBlocked(env.OAUTH_KV, { userId, email })) {
    await logRefusal("Sign-in refused: an administrator blocked this member.", email);
    return refusalPage(403, "Access revoked", BLOCKED_MESSAGE, headers);
  }

  const subject = await subjectOf(claims.sub, config);
  headers.append("Set-Cookie", subjectCookie(subject));
  if (data.rememberedFor !== undefined && data.rememberedFor !== subject) {
    // The approval remembered on this browser is someone else's: this person decides for themselves.
    return showConsentPage(original, oauth, headers);
  }
  if (data.rememberedFor === undefined) await rememberApproval(request, original, subject, headers, oauth, config);

  const props: IdentityProps = {
    sub: claims.sub,
    email,
    name: typeof claims.name === "string" && claims.name ? claims.name : email,
    ...(typeof claims.hd === "string" && claims.hd ? { hd: claims.hd } : {}),
  };
  const { redirectTo } = await oauth.completeAuthorization({
    request: original,
    userId,
    metadata: { email },
    scope: original.scope,
    props,
  });
  // Outlives the grant by the code's lifetime, so offboarding always finds it.
  await rememberUserEmail(env.OAUTH_KV, email, userId, config.refreshTokenTtlSeconds + 600);
  await rememberMember(env.OAUTH_KV, userId, email, MEMBER_REMEMBERED_SECONDS);
  logAuthorization("granted", "Signed in with a verified email in an allowed domain.", email);
  headers.set("Location", redirectTo);
  return new Response(null, { status: 302, headers });
}
