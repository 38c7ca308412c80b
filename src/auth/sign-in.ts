import { logRefusal } from "../observability/structured-log";
import { refusalPage } from "../pages/html";
import type { AuthConfig } from "../config";
import { checkSignInPolicy } from "./domain-policy";
import { verifiedSignIn, type IdTokenClaims } from "./oidc";

/** The identity provider's return to `path` on this deployment (/callback for /internal, /admin/callback for /admin). */
export function callbackUrl(config: Pick<AuthConfig, "publicUrl">, path: string): string {
  return config.publicUrl.origin + path;
}

/**
 * The identity provider's answer at a callback, the same for /internal and /admin: the code exchanged
 * and the ID token verified, then the domain policy applied. The person's verified email and claims,
 * or the refusal page (with `headers`), logged with `logPrefix` before the reason.
 */
export async function signInAnswer(
  config: AuthConfig,
  answer: { code: string; verifier: string; nonce: string; redirectUri: string },
  refusal: { headers: Headers; logPrefix?: string },
): Promise<{ email: string; claims: IdTokenClaims } | Response> {
  const { issuer, claims } = await verifiedSignIn(config, answer);
  const decision = checkSignInPolicy(claims, config.allowedEmailDomains, issuer);
  if (decision.allowed) return { email: decision.email, claims };
  await logRefusal(`${refusal.logPrefix ?? ""}${decision.reason}`, claims.email);
  return refusalPage(403, "Access denied", decision.reason, refusal.headers);
}
