import { PUBLIC_URL_RULE, missingBinding, readConnectorNumbers, readPublicUrl, type ConfigFailure, type SignInRateLimits } from "..";

export const CONNECT_PATH = "/connect";
export const AUTHORIZE_PATH = `${CONNECT_PATH}/authorize`;
export const TOKEN_PATH = `${CONNECT_PATH}/token`;
export const REGISTER_PATH = `${CONNECT_PATH}/register`;
export const AUTHORIZATION_SERVER_METADATA = `/.well-known/oauth-authorization-server${CONNECT_PATH}`;

export interface ConnectConfig {
  issuer: string;
  resource: string;
  accessTokenTtlSeconds: number;
  clientIdMetadataDocuments: boolean;
  rateLimits: SignInRateLimits;
}

export type ConnectConfigResult = { ok: true; config: ConnectConfig } | ConfigFailure;

/** Unlike /internal, /connect needs no sign-in provider and no shared key: KV, PUBLIC_URL and the rate limiter. */
export function readConnectConfig(env: Env): ConnectConfigResult {
  const unbound = missingBinding(env, ["CONNECT_SESSION"]);
  if (unbound) return unbound;
  const publicUrl = readPublicUrl(env);
  if (!publicUrl) return { ok: false, setting: "PUBLIC_URL", reason: PUBLIC_URL_RULE };
  const numbers = readConnectorNumbers(env);
  if (!numbers.ok) return numbers;
  const { accessTokenTtlSeconds, clientIdMetadataDocuments, rateLimits } = numbers.connector;
  const url = publicUrl.origin + CONNECT_PATH;
  return { ok: true, config: { issuer: url, resource: url, accessTokenTtlSeconds, clientIdMetadataDocuments, rateLimits } };
}
