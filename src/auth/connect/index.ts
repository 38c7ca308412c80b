import { admitConnectorRequest } from "..";
import { readConnectConfig } from "../../config";
import { AUTHORIZATION_SERVER_METADATA, AUTHORIZE_PATH, REGISTER_PATH, TOKEN_PATH } from "./paths";
import { authorizeWithKey } from "./key-flow";
import { serversFor } from "./servers";
import type { ConnectServices } from "./services";

export { CONNECT_PATH } from "./paths";
export type { ConnectProps, ConnectServices, KeyCheck } from "./services";

/**
 * /connect: the OAuth 2.1 connector for people who bring their own Plausible key (Claude.ai,
 * Claude Desktop and Cowork accept OAuth, not a pasted header). Its own authorization server
 * (issuer PUBLIC_URL/connect, endpoints under /connect) and protected resource (PUBLIC_URL/connect)
 * share OAUTH_KV with /internal's provider, but every token is bound to its resource, so a /connect
 * token opens nothing on /internal and the other way round.
 */
export async function handleConnect(request: Request, env: Env, ctx: ExecutionContext, services: ConnectServices): Promise<Response> {
  const config = await admitConnectorRequest(request, env, "connect", readConnectConfig(env));
  if (config instanceof Response) return config;
  const { pathname } = new URL(request.url);
  const { authorizationServer, resourceServer } = serversFor(config, services);
  if (pathname === AUTHORIZE_PATH) return authorizeWithKey(request, env, authorizationServer.getOAuthApi(env), services);
  if (pathname === TOKEN_PATH || pathname === REGISTER_PATH || pathname === AUTHORIZATION_SERVER_METADATA) {
    return authorizationServer.fetch(request, env, ctx);
  }
  return resourceServer.fetch(request, env, ctx);
}
