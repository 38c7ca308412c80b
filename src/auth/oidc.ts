import { base64url, createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload } from "jose";
import { z } from "zod";
import { isSecureOrLoopbackUrl } from "../shared/loopback";
import type { AuthConfig } from "../config";

/**
 * OpenID Connect relying party: discovery, the authorization URL (code flow with PKCE S256 and a
 * nonce), the code exchange and ID token verification. All JWT work is jose's.
 */

/**
 * A sign-in step that failed; `message` is safe to show on the refusal page and to log.
 * `rejected`: the issuer's answer is not acceptable (deny). `unavailable`: the issuer could not be used.
 */
export class OidcError extends Error {
  override name = "OidcError";
  constructor(
    message: string,
    readonly kind: "rejected" | "unavailable" = "unavailable",
  ) {
    super(message);
  }
}

const secureUrl = z
  .string()
  .url()
  .refine((value) => isSecureOrLoopbackUrl(new URL(value)), "must use https (http only on a loopback host)");

const discoverySchema = z.object({
  issuer: z.string(),
  authorization_endpoint: secureUrl,
  token_endpoint: secureUrl,
  jwks_uri: secureUrl,
  token_endpoint_auth_methods_supported: z.array(z.string()).optional(),
});
export type OidcDiscovery = z.infer<typeof discoverySchema>;

const tokenResponseSchema = z.object({ id_token: z.string().min(1) });

const DISCOVERY_CACHE_MS = 60 * 60 * 1000;
const discoveryCache = new Map<string, { document: OidcDiscovery; expiresAt: number }>();
const jwksCache = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

/** The issuer's discovery document, cached for an hour per isolate. */
export async function discover(issuer: string): Promise<OidcDiscovery> {
  const cached = discoveryCache.get(issuer);
  if (cached && cached.expiresAt > Date.now()) return cached.document;
  const url = issuer.replace(/\/$/, "") + "/.well-known/openid-configuration";
  let response: Response;
  try {
    response = await fetch(url, { headers: { Accept: "application/json" } });
  } catch {
    throw new OidcError(`The identity provider ${issuer} could not be reached; try again in a minute.`);
  }
  if (!response.ok) {
    throw new OidcError(`The identity provider's discovery document answered HTTP ${response.status}; check OIDC_ISSUER.`);
  }
  const parsed = discoverySchema.safeParse(await response.json().catch(() => undefined));
  if (!parsed.success) throw new OidcError("The identity provider's discovery document is invalid; check OIDC_ISSUER.");
  if (parsed.data.issuer !== issuer) {
    throw new OidcError("The identity provider's discovery document names a different issuer; check OIDC_ISSUER.");
  }
  discoveryCache.set(issuer, { document: parsed.data, expiresAt: Date.now() + DISCOVERY_CACHE_MS });
  return parsed.data;
}

/** Fresh PKCE verifier and nonce for one sign-in; both stay server-side until the callback. */
export function createSignInSecrets(): { verifier: string; nonce: string } {
  return {
    verifier: base64url.encode(crypto.getRandomValues(new Uint8Array(32))),
    nonce: base64url.encode(crypto.getRandomValues(new Uint8Array(32))),
  };
}

export async function authorizationUrl(
  discovery: OidcDiscovery,
  params: { clientId: string; redirectUri: string; state: string; verifier: string; nonce: string },
): Promise<string> {
  const url = new URL(discovery.authorization_endpoint);
  const challenge = base64url.encode(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(params.verifier))));
  url.searchParams.set("response_type", "code");
  url.searchParams.set("client_id", params.clientId);
  url.searchParams.set("redirect_uri", params.redirectUri);
  url.searchParams.set("scope", "openid email profile");
  url.searchParams.set("state", params.state);
  url.searchParams.set("nonce", params.nonce);
  url.searchParams.set("code_challenge", challenge);
  url.searchParams.set("code_challenge_method", "S256");
  return url.toString();
}

/** Exchange the issuer's code for an ID token (authorization code grant, client secret, PKCE). */
export async function exchangeCode(
  discovery: OidcDiscovery,
  params: { code: string; verifier: string; redirectUri: string; clientId: string; clientSecret: string },
): Promise<string> {
  const body = new URLSearchParams({
    grant_type: "authorization_code",
    code: params.code,
    redirect_uri: params.redirectUri,
    code_verifier: params.verifier,
  });
  const headers = new Headers({ "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" });
  const methods = discovery.token_endpoint_auth_methods_supported ?? ["client_secret_basic"];
  if (methods.includes("client_secret_basic")) {
    // RFC 6749 §2.3.1: both parts are form-encoded before Basic encoding.
    const user = encodeURIComponent(params.clientId);
    const password = encodeURIComponent(params.clientSecret);
    headers.set("Authorization", "Basic " + btoa(`${user}:${password}`));
  } else {
    body.set("client_id", params.clientId);
    body.set("client_secret", params.clientSecret);
  }
  let response: Response;
  try {
    response = await fetch(discovery.token_endpoint, { method: "POST", headers, body });
  } catch {
    throw new OidcError("The identity provider's token endpoint could not be reached; start the sign-in again.");
  }
  if (!response.ok) {
    throw new OidcError(
      `The identity provider refused the sign-in code (HTTP ${response.status}); start the sign-in again.`,
      response.status < 500 ? "rejected" : "unavailable",
    );
  }
  const parsed = tokenResponseSchema.safeParse(await response.json().catch(() => undefined));
  if (!parsed.success) throw new OidcError("The identity provider returned no ID token; check that the client may use the openid scope.");
  return parsed.data.id_token;
}

/** Verified ID token claims, with the `sub` the grant is keyed by. */
export type IdTokenClaims = JWTPayload & { sub: string };

/**
 * Verify signature (issuer JWKS), `iss` (the discovery issuer), `aud` (our client), `exp`, and the
 * `nonce` sent with this sign-in; a token minted for another client or another sign-in is refused.
 */
export async function verifyIdToken(
  discovery: OidcDiscovery,
  idToken: string,
  expected: { clientId: string; nonce: string },
): Promise<IdTokenClaims> {
  let jwks = jwksCache.get(discovery.jwks_uri);
  if (!jwks) {
    jwks = createRemoteJWKSet(new URL(discovery.jwks_uri));
    jwksCache.set(discovery.jwks_uri, jwks);
  }
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(idToken, jwks, {
      issuer: discovery.issuer,
      audience: expected.clientId,
      requiredClaims: ["sub", "exp", "iat"],
    }));
  } catch (error) {
    throw new OidcError(`The identity provider's ID token was rejected: ${describeJoseError(error)}.`, "rejected");
  }
  if (payload.nonce !== expected.nonce)
    throw new OidcError("The identity provider's ID token was rejected: its nonce does not match this sign-in.", "rejected");
  // OIDC Core §3.1.3.7: with several audiences, the authorized party must be us.
  if (Array.isArray(payload.aud) && payload.aud.length > 1 && payload.azp !== expected.clientId) {
    throw new OidcError("The identity provider's ID token was rejected: it was issued to another party (azp).", "rejected");
  }
  if (typeof payload.sub !== "string" || payload.sub === "") {
    throw new OidcError("The identity provider's ID token was rejected: it has no subject.", "rejected");
  }
  return payload as IdTokenClaims;
}

function describeJoseError(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return "it has expired";
  if (error instanceof joseErrors.JWTClaimValidationFailed) return `claim "${error.claim}" is invalid`;
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return "its signature is invalid";
  if (error instanceof joseErrors.JWKSNoMatchingKey) return "it is signed with an unknown key";
  if (error instanceof joseErrors.JOSEError) return error.code;
  return "it could not be verified";
}

/**
 * The issuer's answer at a callback turned into verified claims: the code exchanged with its PKCE
 * verifier, then the ID token's signature, issuer, audience, expiry and nonce checked.
 */
export async function verifiedSignIn(
  config: Pick<AuthConfig, "oidcIssuer" | "oidcClientId" | "oidcClientSecret">,
  answer: { code: string; verifier: string; nonce: string; redirectUri: string },
): Promise<{ issuer: string; claims: IdTokenClaims }> {
  const discovery = await discover(config.oidcIssuer);
  const idToken = await exchangeCode(discovery, { ...answer, clientId: config.oidcClientId, clientSecret: config.oidcClientSecret });
  return {
    issuer: discovery.issuer,
    claims: await verifyIdToken(discovery, idToken, { clientId: config.oidcClientId, nonce: answer.nonce }),
  };
}
