import { OAuthAuthorizationServer, OAuthResourceServer } from "@cloudflare/workers-oauth-provider";
import { connectorCallbacks, memoPerConfig } from "..";
import { AUTHORIZE_PATH, REGISTER_PATH, TOKEN_PATH, type ConnectConfig } from "./config";
import type { ConnectProps, ConnectServices } from "./services";

/** A connection lasts this long without reconnecting; the key is checked again only then. */
const REFRESH_TOKEN_TTL_SECONDS = 30 * 86400;

export interface ConnectServers {
  authorizationServer: OAuthAuthorizationServer<Env>;
  resourceServer: OAuthResourceServer<Env, ConnectProps>;
}

/**
 * /connect's own authorization server (issuer PUBLIC_URL/connect) and protected resource
 * (PUBLIC_URL/connect), whose MCP handler is reached once the provider has validated the token.
 */
export const serversFor = memoPerConfig((config: ConnectConfig, services: ConnectServices): ConnectServers => {
  const authorizationServer = new OAuthAuthorizationServer<Env>({
    issuer: config.issuer,
    authorizeEndpoint: AUTHORIZE_PATH,
    tokenEndpoint: TOKEN_PATH,
    clientRegistrationEndpoint: REGISTER_PATH,
    resources: [config.resource],
    defaultResource: config.resource,
    accessTokenTTL: config.accessTokenTtlSeconds,
    refreshTokenTTL: REFRESH_TOKEN_TTL_SECONDS,
    clientIdMetadataDocumentEnabled: config.clientIdMetadataDocuments,
    // Its own consent cookies, so a /connect page never consumes an /internal consent in the same browser.
    cookiePrefix: "__Host-connect-",
    ...connectorCallbacks("connect"),
  });
  const resourceServer = new OAuthResourceServer<Env, ConnectProps>({
    resourceMetadata: {
      resource: config.resource,
      authorization_servers: [config.issuer],
      bearer_methods_supported: ["header"],
      resource_name: "Plausible Analytics (your own API key)",
    },
    handler: { fetch: (request, env, ctx) => services.mcp.fetch(request, env, ctx) },
    validateToken: (env) => (resource, token) => authorizationServer.validateToken<ConnectProps>(resource, token, env),
  });
  return { authorizationServer, resourceServer };
});
