import type { AuthRequest, OAuthHelpers } from "@cloudflare/workers-oauth-provider";
import { logAuthorization } from "../../observability/structured-log";
import { htmlResponse, refusalPage } from "../../pages/html";
import { randomHex, sha256Hex } from "../../shared/hash";
import { refuseWithoutPkce, renderError } from "..";
import { API_KEY_FIELD, keyPage } from "./key-page";
import type { ConnectProps, ConnectServices, KeyCheck } from "./services";

/**
 * /connect/authorize: the key page instead of a sign-in. The pasted key is checked (through
 * `ConnectServices.checkKey`, this module knows nothing of Plausible) and stored only in the
 * grant's props, which the provider encrypts with a key derived from each token. Revoking a token
 * (RFC 7009) deletes the grant and the key with it.
 */
export async function authorizeWithKey(request: Request, env: Env, oauth: OAuthHelpers, services: ConnectServices): Promise<Response> {
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
  return refuseWithoutPkce(authRequest) ?? showKeyPageFor(authRequest, oauth, 200);
}

/** The page with a fresh consent handle; `refusal` is why the last key was not accepted. */
async function showKeyPageFor(
  authRequest: AuthRequest,
  oauth: OAuthHelpers,
  status: 200 | 400,
  refusal?: string,
  headers = new Headers(),
): Promise<Response> {
  const details = await oauth.describeConsent(authRequest);
  const consent = await oauth.beginConsent(authRequest);
  for (const [name, value] of consent.headers) headers.append(name, value);
  return htmlResponse(keyPage(details, consent.handle, refusal), status, headers);
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
    return showKeyPageFor(approved.request, oauth, 400, check.message, approved.headers);
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
