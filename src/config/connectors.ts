import { isSecureOrLoopbackUrl } from "../shared/loopback";
import { PUBLIC_URL_RULE, readPublicUrl } from "./origins";
import { MIN_SECRET_LENGTH, parseDomains, positiveInteger, randomSecret, SettingError, settingText, type SettingName } from "./settings";

/** Requests per minute: per address on /authorize and /register; per client and per address on /token. */
export interface SignInRateLimits {
  signInPerAddress: number;
  tokenPerClient: number;
  tokenPerAddress: number;
}

/** What both OAuth connectors (/internal, /connect) issue tokens with. */
interface TokenSettings {
  /** The deployment's origin; the connectors' issuers and resources are paths on it. */
  publicUrl: URL;
  accessTokenTtlSeconds: number;
  clientIdMetadataDocuments: boolean;
  rateLimits: SignInRateLimits;
}

/** Everything the /internal connector needs, read once from the environment and validated. */
export interface AuthConfig extends TokenSettings {
  oidcIssuer: string;
  oidcClientId: string;
  oidcClientSecret: string;
  /** Keys the consent and subject cookies; the server's own, so the identity provider's client secret cannot forge them. */
  cookieSecret: string;
  /** Lower-case domains without "@". */
  allowedEmailDomains: string[];
  refreshTokenTtlSeconds: number;
}

/** Unlike /internal, /connect needs no sign-in provider and no shared key: KV, PUBLIC_URL and the rate limiter. */
export type ConnectConfig = TokenSettings;

/** What to fix: `setting` names the binding, secret or variable; `reason` is for the log line. */
type ConfigFailure = { ok: false; setting: string; reason: string };

type AuthConfigResult = { ok: true; config: AuthConfig; kv: KVNamespace } | ConfigFailure;

type ConnectConfigResult = { ok: true; config: ConnectConfig } | ConfigFailure;

const NO_KV = "the KV namespace binding is not configured";
const NO_DURABLE_OBJECT = "the Durable Object binding is not configured";

export function readAuthConfig(env: Env): AuthConfigResult {
  if (!env.OAUTH_KV) return missing("OAUTH_KV", NO_KV);
  if (!env.AUTH_RATE_LIMITER) return missing("AUTH_RATE_LIMITER", NO_DURABLE_OBJECT);
  const oidcClientId = settingText(env, "OIDC_CLIENT_ID");
  if (!oidcClientId) return secretMissing("OIDC_CLIENT_ID");
  const oidcClientSecret = settingText(env, "OIDC_CLIENT_SECRET");
  if (!oidcClientSecret) return secretMissing("OIDC_CLIENT_SECRET");
  if (!settingText(env, "PLAUSIBLE_API_KEY")) return secretMissing("PLAUSIBLE_API_KEY");
  const cookieSecret = randomSecret(env, "COOKIE_SECRET");
  if (!cookieSecret) {
    return missing(
      "COOKIE_SECRET",
      `must be a random secret of at least ${MIN_SECRET_LENGTH} characters (openssl rand -base64 32 | wrangler secret put COOKIE_SECRET)`,
    );
  }
  const publicUrl = readPublicUrl(env);
  if (!publicUrl) return missing("PUBLIC_URL", PUBLIC_URL_RULE);
  const oidcIssuer = env.OIDC_ISSUER;
  const issuerUrl = URL.canParse(oidcIssuer) ? new URL(oidcIssuer) : undefined;
  if (!issuerUrl || !isSecureOrLoopbackUrl(issuerUrl) || issuerUrl.search || issuerUrl.hash) {
    return missing("OIDC_ISSUER", "must be an https issuer URL (http only on a loopback host)");
  }
  const allowedEmailDomains = parseDomains(env.ALLOWED_EMAIL_DOMAINS);
  if (allowedEmailDomains.length === 0) return missing("ALLOWED_EMAIL_DOMAINS", "lists no domain, so nobody could sign in");
  const numbers = readConnectorNumbers(env);
  if (!numbers.ok) return numbers;
  const { refreshTokenTtlSeconds, ...tokenNumbers } = numbers.config;
  return {
    ok: true,
    kv: env.OAUTH_KV,
    config: {
      publicUrl,
      // The discovery document's issuer must equal this string exactly (OIDC Discovery §4.3).
      oidcIssuer,
      oidcClientId,
      oidcClientSecret,
      cookieSecret,
      allowedEmailDomains,
      ...tokenNumbers,
      refreshTokenTtlSeconds,
      clientIdMetadataDocuments: readClientIdMetadataDocuments(env),
    },
  };
}

export function readConnectConfig(env: Env): ConnectConfigResult {
  if (!env.OAUTH_KV) return missing("OAUTH_KV", NO_KV);
  if (!env.AUTH_RATE_LIMITER) return missing("AUTH_RATE_LIMITER", NO_DURABLE_OBJECT);
  if (!env.CONNECT_SESSION) return missing("CONNECT_SESSION", NO_DURABLE_OBJECT);
  const publicUrl = readPublicUrl(env);
  if (!publicUrl) return missing("PUBLIC_URL", PUBLIC_URL_RULE);
  // Both connectors' numbers are checked, so a bad one is found whichever connector is used first.
  const numbers = readConnectorNumbers(env);
  if (!numbers.ok) return numbers;
  const { accessTokenTtlSeconds, rateLimits } = numbers.config;
  return {
    ok: true,
    config: { publicUrl, accessTokenTtlSeconds, rateLimits, clientIdMetadataDocuments: readClientIdMetadataDocuments(env) },
  };
}

/** Client ID Metadata Documents need the global_fetch_strictly_public flag, so they are on only where it is set. */
function readClientIdMetadataDocuments(env: Env): boolean {
  return settingText(env, "CLIENT_ID_METADATA_DOCUMENTS") === "true";
}

/** The numeric settings of both OAuth connectors. */
function readConnectorNumbers(
  env: Env,
): { ok: true; config: { accessTokenTtlSeconds: number; refreshTokenTtlSeconds: number; rateLimits: SignInRateLimits } } | ConfigFailure {
  try {
    return {
      ok: true,
      config: {
        // KV cannot expire anything sooner than 60 seconds, so the provider refuses shorter lifetimes.
        accessTokenTtlSeconds: positiveInteger(env, "ACCESS_TOKEN_TTL_SECONDS", 3600, 60),
        refreshTokenTtlSeconds: positiveInteger(env, "REFRESH_TOKEN_TTL_SECONDS", 86400, 60),
        rateLimits: {
          signInPerAddress: positiveInteger(env, "AUTH_RATE_LIMIT_PER_MINUTE", 30),
          tokenPerClient: positiveInteger(env, "TOKEN_RATE_LIMIT_PER_CLIENT", 60),
          tokenPerAddress: positiveInteger(env, "TOKEN_RATE_LIMIT_PER_ADDRESS", 600),
        },
      },
    };
  } catch (error) {
    if (error instanceof SettingError) return missing(error.setting, error.reason);
    throw error;
  }
}

function secretMissing(name: SettingName): ConfigFailure {
  return missing(name, `the secret is not set (wrangler secret put ${name})`);
}

function missing(setting: string, reason: string): ConfigFailure {
  return { ok: false, setting, reason };
}
