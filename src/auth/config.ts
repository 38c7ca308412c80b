import { isSecureOrLoopbackUrl } from "../shared/loopback";
import { positiveInteger, SettingError } from "../shared/config";
import type { SignInRateLimits } from "./rate-limiter";

/** Secrets come from `wrangler secret put` / .dev.vars, so the generated Env type does not list them. */
interface AuthSecrets {
  OIDC_CLIENT_ID?: string;
  OIDC_CLIENT_SECRET?: string;
  PLAUSIBLE_API_KEY?: string;
  COOKIE_SECRET?: string;
}

/** Shortest accepted length of the server's own random secrets (COOKIE_SECRET, ADMIN_SESSION_SECRET): 32 characters. */
export const MIN_SECRET_LENGTH = 32;

/** `name`, trimmed, when it is a usable random secret; undefined when missing or too short to be one. */
export function readRandomSecret(env: Env, name: string): string | undefined {
  const value = (env as unknown as Record<string, unknown>)[name];
  return typeof value === "string" && value.trim().length >= MIN_SECRET_LENGTH ? value.trim() : undefined;
}

/** Everything the /internal connector needs, read once from the environment and validated. */
export interface AuthConfig extends ConnectorSettings {
  publicUrl: URL;
  /** Canonical resource and token audience: PUBLIC_URL + "/internal". */
  resource: string;
  oidcIssuer: string;
  oidcClientId: string;
  oidcClientSecret: string;
  /** Keys the consent and subject cookies; the server's own, so the identity provider's client secret cannot forge them. */
  cookieSecret: string;
  /** Lower-case domains without "@". */
  allowedEmailDomains: string[];
}

/** `setting` names the binding, secret or variable to fix; `reason` is for the log line. */
export type ConfigFailure = { ok: false; setting: string; reason: string };

export type AuthConfigResult = { ok: true; config: AuthConfig; kv: KVNamespace } | ConfigFailure;

export const INTERNAL_PATH = "/internal";

export function readAuthConfig(env: Env): AuthConfigResult {
  const vars = env as Env & AuthSecrets;
  const unbound = missingBinding(env);
  if (unbound) return unbound;
  for (const secret of ["OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET", "PLAUSIBLE_API_KEY"] as const) {
    if (!vars[secret]?.trim()) return missing(secret, "the secret is not set (wrangler secret put " + secret + ")");
  }
  const cookieSecret = readRandomSecret(env, "COOKIE_SECRET");
  if (!cookieSecret) {
    return missing(
      "COOKIE_SECRET",
      `must be a random secret of at least ${MIN_SECRET_LENGTH} characters (openssl rand -base64 32 | wrangler secret put COOKIE_SECRET)`,
    );
  }

  const publicUrl = readPublicUrl(env);
  if (!publicUrl) return missing("PUBLIC_URL", PUBLIC_URL_RULE);
  const issuerUrl = parseUrl(env.OIDC_ISSUER);
  if (!issuerUrl || !isSecureOrLoopbackUrl(issuerUrl) || issuerUrl.search || issuerUrl.hash) {
    return missing("OIDC_ISSUER", "must be an https issuer URL (http only on a loopback host)");
  }
  const allowedEmailDomains = parseDomains(env.ALLOWED_EMAIL_DOMAINS);
  if (allowedEmailDomains.length === 0) {
    return missing("ALLOWED_EMAIL_DOMAINS", "lists no domain, so nobody could sign in");
  }
  const numbers = readConnectorNumbers(env);
  if (!numbers.ok) return numbers;

  return {
    ok: true,
    kv: env.OAUTH_KV,
    config: {
      publicUrl,
      resource: publicUrl.origin + INTERNAL_PATH,
      // The discovery document's issuer must equal this string exactly (OIDC Discovery §4.3).
      oidcIssuer: env.OIDC_ISSUER,
      oidcClientId: vars.OIDC_CLIENT_ID!.trim(),
      oidcClientSecret: vars.OIDC_CLIENT_SECRET!.trim(),
      cookieSecret,
      allowedEmailDomains,
      ...numbers.connector,
    },
  };
}

export const PUBLIC_URL_RULE = "must be the deployment's origin, https (http only on a loopback host), without a path";

/** PUBLIC_URL when it is a valid origin for the OAuth connectors (/internal, /connect). */
export function readPublicUrl(env: Env): URL | undefined {
  const publicUrl = parseUrl(env.PUBLIC_URL);
  if (!publicUrl || !isSecureOrLoopbackUrl(publicUrl) || publicUrl.pathname !== "/" || publicUrl.search || publicUrl.hash) return undefined;
  return publicUrl;
}

/**
 * The bindings both OAuth connectors need (the grants' KV namespace, the sign-in rate limiter) and the
 * Durable Object bindings `alsoNeeded`: the first one missing, or undefined when all are bound.
 */
export function missingBinding(env: Env, alsoNeeded: string[] = []): ConfigFailure | undefined {
  const bindings = env as unknown as Record<string, unknown>;
  if (!bindings.OAUTH_KV) return missing("OAUTH_KV", "the KV namespace binding is not configured");
  for (const name of ["AUTH_RATE_LIMITER", ...alsoNeeded]) {
    if (!bindings[name]) return missing(name, "the Durable Object binding is not configured");
  }
  return undefined;
}

/** The settings both OAuth connectors read alike. */
export interface ConnectorSettings {
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  clientIdMetadataDocuments: boolean;
  rateLimits: SignInRateLimits;
}

/** The numeric and switch settings of both OAuth connectors, read with the policy of every setting (src/shared/config.ts). */
export function readConnectorNumbers(env: Env): { ok: true; connector: ConnectorSettings } | ConfigFailure {
  const vars = env as unknown as Record<string, unknown>;
  try {
    return {
      ok: true,
      connector: {
        // KV cannot expire anything sooner than 60 seconds, so the provider refuses shorter lifetimes.
        accessTokenTtlSeconds: positiveInteger(vars, "ACCESS_TOKEN_TTL_SECONDS", 3600, 60),
        refreshTokenTtlSeconds: positiveInteger(vars, "REFRESH_TOKEN_TTL_SECONDS", 86400, 60),
        clientIdMetadataDocuments: env.CLIENT_ID_METADATA_DOCUMENTS === "true",
        rateLimits: {
          signInPerAddress: positiveInteger(vars, "AUTH_RATE_LIMIT_PER_MINUTE", 30),
          tokenPerClient: positiveInteger(vars, "TOKEN_RATE_LIMIT_PER_CLIENT", 60),
          tokenPerAddress: positiveInteger(vars, "TOKEN_RATE_LIMIT_PER_ADDRESS", 600),
        },
      },
    };
  } catch (error) {
    if (error instanceof SettingError) return missing(error.setting, error.reason);
    throw error;
  }
}

function missing(setting: string, reason: string): ConfigFailure {
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

/** ADMIN_EMAILS, lower-cased; empty turns /admin off (404). Parsed like ALLOWED_EMAIL_DOMAINS: comma-separated, trimmed. */
export function adminEmails(env: Env): Set<string> {
  return new Set(parseDomains((env as { ADMIN_EMAILS?: string }).ADMIN_EMAILS));
}
