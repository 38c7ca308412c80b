import { OAuthProvider, getOAuthApi, type OAuthHelpers, type OAuthProviderOptions } from "@cloudflare/workers-oauth-provider";
import { connectorCallbacks, memoPerConfig } from "..";
import type { AuthConfig } from "../../config";
import { createConsentFlow } from "./consent-flow";
import { recheckPolicyOnRefresh, refusingBlockedMembers, type InternalMcpHandler } from "./member-checks";

/** The MCP endpoint behind the team's connector; PUBLIC_URL + this path is its canonical resource and token audience. */
export const INTERNAL_PATH = "/internal";

/** The OAuth provider of /internal: discovery, registration, tokens, and the consent flow as its default handler. */
export const providerFor = memoPerConfig(
  (config: AuthConfig, internalMcp: InternalMcpHandler) => new OAuthProvider<Env>(providerOptions(config, internalMcp)),
);

/**
 * The provider's helpers (grant listing, revocation, token inspection) outside a request to it,
 * e.g. for offboarding. They never route, so /internal is not served from here.
 */
export function oauthHelpers(config: AuthConfig, env: Env): OAuthHelpers {
  const notServedHere: InternalMcpHandler = { fetch: async () => new Response("Not found", { status: 404 }) };
  return getOAuthApi(providerOptions(config, notServedHere), env);
}

function providerOptions(config: AuthConfig, internalMcp: InternalMcpHandler): OAuthProviderOptions<Env> {
  const options: OAuthProviderOptions<Env> = {
    apiRoute: INTERNAL_PATH,
    apiHandler: refusingBlockedMembers(internalMcp, config),
    // The consent page and the sign-in callback work with the helpers of these same options.
    defaultHandler: createConsentFlow(config, (env) => getOAuthApi(options, env)),
    authorizeEndpoint: "/authorize",
    tokenEndpoint: "/token",
    clientRegistrationEndpoint: "/register",
    accessTokenTTL: config.accessTokenTtlSeconds,
    // Fixed lifetime from sign-in: members re-authenticate (and pass the domain policy) at least this often.
    refreshTokenTTL: config.refreshTokenTtlSeconds,
    resourceMetadata: {
      resource: config.publicUrl.origin + INTERNAL_PATH,
      authorization_servers: [config.publicUrl.origin],
      bearer_methods_supported: ["header"],
      resource_name: "Plausible Analytics",
    },
    clientIdMetadataDocumentEnabled: config.clientIdMetadataDocuments,
    tokenExchangeCallback: (options) => recheckPolicyOnRefresh(options, config),
    ...connectorCallbacks("auth"),
  };
  return options;
}
