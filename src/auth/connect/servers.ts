import { OAuthAuthorizationServer, OAuthResourceServer } from "@cloudflare/workers-oauth-provider";
import { connectorCallbacks, memoPerConfig } from "..";
import type { ConnectConfig } from "../../config";
import { AUTHORIZE_PATH, CONNECT_PATH, REGISTER_PATH, TOKEN_PATH } from "./paths";
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
  // The connector's issuer and protected resource are one URL: its MCP path on the deployment's origin.
  const url = config.publicUrl.origin + CONNECT_PATH;
  const authorizationServer = new OAuthAuthorizationServer<Env>({
    issuer: url,
    authorizeEndpoint: AUTHORIZE_PATH,
    tokenEndpoint: TOKEN_PATH,
    clientRegistrationEndpoint: REGISTER_PATH,
    resources: [url],
    defaultResource: url,
    accessTokenTTL: config.accessTokenTtlSeconds,
    refreshTokenTTL: REFRESH_TOKEN_TTL_SECONDS,
    clientIdMetadataDocumentEnabled: config.clientIdMetadataDocuments,
    // Its own consent cookies, so a /connect page never consumes an /internal consent in the same browser.
    cookiePrefix: "__Host-connect-",
    ...connectorCallbacks("connect"),
  });
  const resourceServer = new OAuthResourceServer<Env, ConnectProps>({
    resourceMetadata: {
      resource: url,
      authorization_servers: [url],
      bearer_methods_supported: ["header"],
      resource_name: "Plausible Analytics (your own API key)",
    },
    handler: { fetch: (request, env, ctx) => services.mcp.fetch(request, env, ctx) },
    validateToken: (env) => (resource, token) => authorizationServer.validateToken<ConnectProps>(resource, token, env),
  });
  return { authorizationServer, resourceServer };
});
