import { isSecureOrLoopbackUrl } from "../http/loopback";
import type { SignInRateLimits } from "./rate-limiter";

/** Secrets come from `wrangler secret put` / .dev.vars, so the generated Env type does not list them. */
interface AuthSecrets {
  OIDC_CLIENT_ID?: string;
  OIDC_CLIENT_SECRET?: string;
  PLAUSIBLE_API_KEY?: string;
}

/** Everything the /internal connector needs, read once from the environment and validated. */
export interface AuthConfig {
  publicUrl: URL;
  /** Canonical resource and token audience: PUBLIC_URL + "/internal". */
  resource: string;
  oidcIssuer: string;
  oidcClientId: string;
  oidcClientSecret: string;
  /** Lower-case domains without "@". */
  allowedEmailDomains: string[];
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  clientIdMetadataDocuments: boolean;
  rateLimits: SignInRateLimits;
}

export type AuthConfigResult =
  | { ok: true; config: AuthConfig; kv: KVNamespace }
  /** `setting` names the binding, secret or variable to fix; `reason` is for the log line. */
  | { ok: false; setting: string; reason: string };

export const INTERNAL_PATH = "/internal";

export function readAuthConfig(env: Env): AuthConfigResult {
  const vars = env as Env & AuthSecrets;
  const kv = (env as { OAUTH_KV?: KVNamespace }).OAUTH_KV;
  if (!kv) return missing("OAUTH_KV", "the KV namespace binding is not configured");
  if (!(env as { AUTH_RATE_LIMITER?: unknown }).AUTH_RATE_LIMITER) {
    return missing("AUTH_RATE_LIMITER", "the Durable Object binding is not configured");
  }
  for (const secret of ["OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET", "PLAUSIBLE_API_KEY"] as const) {
    if (!vars[secret]?.trim()) return missing(secret, "the secret is not set (wrangler secret put " + secret + ")");
  }

  const publicUrl = parseUrl(env.PUBLIC_URL);
  if (!publicUrl || !isSecureOrLoopbackUrl(publicUrl) || publicUrl.pathname !== "/" || publicUrl.search || publicUrl.hash) {
    return missing("PUBLIC_URL", "must be the deployment's origin, https (http only on a loopback host), without a path");
  }
  const issuerUrl = parseUrl(env.OIDC_ISSUER);
  if (!issuerUrl || !isSecureOrLoopbackUrl(issuerUrl) || issuerUrl.search || issuerUrl.hash) {
    return missing("OIDC_ISSUER", "must be an https issuer URL (http only on a loopback host)");
  }
  const allowedEmailDomains = parseDomains(env.ALLOWED_EMAIL_DOMAINS);
  if (allowedEmailDomains.length === 0) {
    return missing("ALLOWED_EMAIL_DOMAINS", "lists no domain, so nobody could sign in");
  }
  const accessTokenTtlSeconds = parseSeconds(env.ACCESS_TOKEN_TTL_SECONDS, 3600);
  if (accessTokenTtlSeconds === undefined) return missing("ACCESS_TOKEN_TTL_SECONDS", "must be an integer of at least 60");
  const refreshTokenTtlSeconds = parseSeconds(env.REFRESH_TOKEN_TTL_SECONDS, 86400);
  if (refreshTokenTtlSeconds === undefined) return missing("REFRESH_TOKEN_TTL_SECONDS", "must be an integer of at least 60");
  const signInPerAddress = parsePositiveInteger(env.AUTH_RATE_LIMIT_PER_MINUTE, 30);
  if (signInPerAddress === undefined) return missing("AUTH_RATE_LIMIT_PER_MINUTE", "must be a positive integer");
  const tokenPerClient = parsePositiveInteger(env.TOKEN_RATE_LIMIT_PER_CLIENT, 60);
  if (tokenPerClient === undefined) return missing("TOKEN_RATE_LIMIT_PER_CLIENT", "must be a positive integer");
  const tokenPerAddress = parsePositiveInteger(env.TOKEN_RATE_LIMIT_PER_ADDRESS, 600);
  if (tokenPerAddress === undefined) return missing("TOKEN_RATE_LIMIT_PER_ADDRESS", "must be a positive integer");

  return {
    ok: true,
    kv,
    config: {
      publicUrl,
      resource: publicUrl.origin + INTERNAL_PATH,
      // The discovery document's issuer must equal this string exactly (OIDC Discovery §4.3).
      oidcIssuer: env.OIDC_ISSUER,
      oidcClientId: vars.OIDC_CLIENT_ID!.trim(),
      oidcClientSecret: vars.OIDC_CLIENT_SECRET!.trim(),
      allowedEmailDomains,
      accessTokenTtlSeconds,
      refreshTokenTtlSeconds,
      clientIdMetadataDocuments: env.CLIENT_ID_METADATA_DOCUMENTS === "true",
      rateLimits: { signInPerAddress, tokenPerClient, tokenPerAddress },
    },
  };
}

/** The 503 every affected endpoint answers while the configuration is incomplete. */
export function configurationErrorResponse(setting: string): Response {
  return Response.json(
    { error: "server_error", error_description: setting },
    { status: 503, headers: { "Cache-Control": "no-store" } },
  );
}

function missing(setting: string, reason: string): AuthConfigResult {
  return { ok: false, setting, reason };
}

function parseUrl(value: string | undefined): URL | undefined {
  if (!value) return undefined;
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

/** "example.com, @Example.org" -> ["example.com", "example.org"] */
export function parseDomains(value: string | undefined): string[] {
  return (value ?? "")
    .split(",")
    .map((domain) => domain.trim().replace(/^@/, "").toLowerCase())
    .filter(Boolean);
}

function parseSeconds(value: string | undefined, fallback: number): number | undefined {
  const seconds = parsePositiveInteger(value, fallback);
  // KV cannot expire anything sooner than 60 seconds, so the provider refuses shorter lifetimes.
  return seconds !== undefined && seconds >= 60 ? seconds : undefined;
}

function parsePositiveInteger(value: string | undefined, fallback: number): number | undefined {
  if (value === undefined || value.trim() === "") return fallback;
  return /^\d+$/.test(value.trim()) && Number(value) > 0 ? Number(value) : undefined;
}
