/** The ID token claims the sign-in policy looks at. */
export interface IdentityClaims {
  sub: string;
  email?: unknown;
  email_verified?: unknown;
  hd?: unknown;
  name?: unknown;
}

export type PolicyDecision = { allowed: true; email: string } | { allowed: false; reason: string };

export const GOOGLE_ISSUER = "https://accounts.google.com";

/**
 * Who gets in: a verified email whose domain is exactly one of the allowed domains. For Google,
 * the `hd` (hosted domain) claim must be allowed too: it is the only proof that the account is
 * managed by that Workspace, and consumer accounts carry none.
 */
export function checkSignInPolicy(claims: IdentityClaims, allowedDomains: string[], issuer: string): PolicyDecision {
  const allowed = new Set(allowedDomains.map((domain) => domain.toLowerCase()));
  const list = [...allowed].join(", ");
  if (typeof claims.email !== "string" || claims.email === "") {
    return { allowed: false, reason: "Your identity provider did not share an email address, so your domain cannot be checked." };
  }
  if (claims.email_verified !== true) {
    return { allowed: false, reason: `The email address ${claims.email} is not verified by your identity provider.` };
  }
  const domain = emailDomain(claims.email);
  if (!domain || !allowed.has(domain)) {
    return { allowed: false, reason: `The email address ${claims.email} is not in an allowed domain (${list}).` };
  }
  if (issuer === GOOGLE_ISSUER) {
    if (typeof claims.hd !== "string" || claims.hd === "") {
      return { allowed: false, reason: "This is a personal Google account; sign in with your organisation's Google Workspace account." };
    }
    if (!allowed.has(claims.hd.toLowerCase())) {
      return { allowed: false, reason: `The Google Workspace domain ${claims.hd} is not allowed (${list}).` };
    }
  }
  return { allowed: true, email: claims.email };
}

/** The part after the last "@", lower-cased; undefined when there is no local part or domain. */
function emailDomain(email: string): string | undefined {
  const at = email.lastIndexOf("@");
  if (at <= 0 || at === email.length - 1) return undefined;
  return email.slice(at + 1).toLowerCase();
}
