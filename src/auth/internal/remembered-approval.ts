import type { AuthRequest, OAuthHelpers } from "@cloudflare/workers-oauth-provider";
import { hmacSha256, readCookie, serverCookie } from "..";
import type { AuthConfig } from "../../config";
import { hex } from "../../shared/hash";

/**
 * Remembered approvals on /internal: an approval is remembered for the person who gave it, so a
 * browser shared by two members never lets one reuse the other's approval.
 *
 * The person last signed in on this browser is kept as an HMAC of their issuer `sub` (opaque, and
 * not forgeable for someone else without the server's secret). Remembered approvals are bound to it.
 */
const SUBJECT_COOKIE = "__Host-plausible-mcp-subject";

/** How long an approval, and who gave it, is remembered on a browser (the provider's default). */
const REMEMBER_SECONDS = 30 * 24 * 3600;

/** The person last signed in on this browser, when the subject cookie names one. */
export function subjectOnBrowser(request: Request): string | undefined {
  return readCookie(request, SUBJECT_COOKIE);
}

/** The subject cookie naming `subject` as the person signed in on this browser. */
export function subjectCookie(subject: string): string {
  return serverCookie(SUBJECT_COOKIE, subject, REMEMBER_SECONDS);
}

/** Whether this browser remembers `subject`'s approval of this app's request. */
export async function isApprovalRemembered(
  request: Request,
  authRequest: AuthRequest,
  subject: string,
  oauth: OAuthHelpers,
  config: AuthConfig,
): Promise<boolean> {
  return oauth.isConsentRemembered(request, authRequest, { secret: await consentSecret(config), subject });
}

/** The HMAC of the issuer's `sub` that names a person in the subject cookie and in remembered approvals. */
export async function subjectOf(sub: string, config: AuthConfig): Promise<string> {
  return hex(await hmacSha256(await consentSecret(config), `subject:${sub}`));
}

/**
 * The provider remembers an approval when consent is accepted, but this server learns who gave it
 * only after sign-in. So the approval the person just gave is accepted once more here, through the
 * provider's own consent transaction, and remembered bound to them; its cookies join `headers`.
 */
export async function rememberApproval(
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

const consentSecrets = new Map<string, Promise<string>>();

/**
 * Key for the signed remembered-consent cookie and the subject cookie, derived from COOKIE_SECRET:
 * a secret of this server alone, so whoever holds the identity provider's client secret cannot forge
 * either. Rotating COOKIE_SECRET forgets remembered approvals.
 */
function consentSecret(config: AuthConfig): Promise<string> {
  let secret = consentSecrets.get(config.cookieSecret);
  if (!secret) {
    secret = hmacSha256(config.cookieSecret, "plausible-mcp consent approvals").then(hex);
    consentSecrets.set(config.cookieSecret, secret);
  }
  return secret;
}
