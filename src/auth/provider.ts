import {
  OAuthError,
  OAuthProvider,
  getOAuthApi,
  type OAuthHelpers,
  type OAuthProviderOptions,
  type TokenExchangeCallbackOptions,
} from "@cloudflare/workers-oauth-provider";
import { logRefusal } from "../observability/structured-log";
import { BLOCKED_MESSAGE, isBlocked } from "./block-list";
import { INTERNAL_PATH, type AuthConfig } from "./config";
import { checkClientRegistration } from "./client-registration";
import { checkSignInPolicy } from "./domain-policy";
import { createDefaultHandler, type IdentityProps } from "./handler";
import { grantUserId } from "./user-index";

/** The MCP handler served at /internal once a request carries a valid access token. */
export interface InternalMcpHandler {
  fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response>;
}

let cached: { key: string; handler: InternalMcpHandler; provider: OAuthProvider<Env> } | undefined;

/** The provider for this configuration, built once and reused while the configuration is unchanged. */
export function providerFor(config: AuthConfig, internalMcp: InternalMcpHandler): OAuthProvider<Env> {
  const key = JSON.stringify(config);
  if (cached?.key === key && cached.handler === internalMcp) return cached.provider;
  const provider = buildProvider(config, internalMcp);
  cached = { key, handler: internalMcp, provider };
  return provider;
}

function buildProvider(config: AuthConfig, internalMcp: InternalMcpHandler): OAuthProvider<Env> {
  return new OAuthProvider<Env>(providerOptions(config, internalMcp));
}

/**
 * The provider's helpers (grant listing, revocation, token inspection) outside a request to it,
 * e.g. for offboarding. They never route, so /internal is not served from here.
 */
export function oauthHelpers(config: AuthConfig, env: Env): OAuthHelpers {
  const notServedHere: InternalMcpHandler = { fetch: async () => new Response("Not found", { status: 404 }) };
  return getOAuthApi(providerOptions(config, notServedHere), env);
}

function providerOptions(config: AuthConfig, internalMcp: InternalMcpHandler): OAuthProviderOptions<Env> {
  return {
    apiRoute: INTERNAL_PATH,
    apiHandler: refusingBlockedMembers(internalMcp, config),
    defaultHandler: createDefaultHandler(config),
    authorizeEndpoint: "/authorize",
    tokenEndpoint: "/token",
    clientRegistrationEndpoint: "/register",
    accessTokenTTL: config.accessTokenTtlSeconds,
    // Fixed lifetime from sign-in: members re-authenticate (and pass the domain policy) at least this often.
    refreshTokenTTL: config.refreshTokenTtlSeconds,
    resourceMetadata: {
      resource: config.resource,
      authorization_servers: [config.publicUrl.origin],
      bearer_methods_supported: ["header"],
      resource_name: "Plausible Analytics",
    },
    clientIdMetadataDocumentEnabled: config.clientIdMetadataDocuments,
    tokenExchangeCallback: (options) => recheckPolicyOnRefresh(options, config),
    clientRegistrationCallback: checkClientRegistration,
    onError: ({ code, status, internal }) => {
      // The reason slug is diagnostic and never a secret; the request body is never logged.
      console.warn(`[auth] OAuth error ${status} ${code}: ${internal.category}/${internal.reason}`);
    },
  };
}

/**
 * /internal for members who are not blocked. Revoking a member ends their grants; this also stops a
 * token issued in the moment between the block and the revocation, or by a grant the revocation missed.
 */
function refusingBlockedMembers(internalMcp: InternalMcpHandler, config: AuthConfig): InternalMcpHandler {
  return {
    async fetch(request, env, ctx) {
      const identity = (ctx.props ?? {}) as Partial<IdentityProps>;
      if (identity.sub && (await isBlocked(env.OAUTH_KV, { userId: grantUserId(identity.sub), email: identity.email }))) {
        await logRefusal("/internal: a blocked member's token was refused.", identity.email);
        return Response.json(
          { error: "invalid_token", error_description: BLOCKED_MESSAGE },
          {
            status: 401,
            headers: {
              "WWW-Authenticate":
                `Bearer realm="OAuth", error="invalid_token", ` +
                `resource_metadata="${config.publicUrl.origin}/.well-known/oauth-protected-resource/internal"`,
              "Cache-Control": "no-store",
            },
          },
        );
      }
      return internalMcp.fetch(request, env, ctx);
    },
  };
}

/**
 * Every refresh applies today's ALLOWED_EMAIL_DOMAINS to the identity signed in with, so a domain
 * taken off the list ends its members' access at their next refresh, not when the refresh token
 * expires. `invalid_grant` also makes the provider revoke the grant and its tokens.
 */
async function recheckPolicyOnRefresh(
  { grantType, props, userId, env }: TokenExchangeCallbackOptions<Env>,
  config: AuthConfig,
): Promise<void> {
  if (grantType !== "refresh_token") return;
  const identity = props as Partial<IdentityProps>;
  if (await isBlocked(env.OAUTH_KV, { userId, email: identity.email })) {
    await logRefusal("Refresh refused: an administrator blocked this member.", identity.email);
    throw new OAuthError("invalid_grant", {
      description: BLOCKED_MESSAGE,
      internal: { category: "token-exchange-callback", reason: "member_blocked" },
    });
  }
  // The email was verified at sign-in; it is the same identity, checked against today's list.
  const decision = checkSignInPolicy(
    { sub: identity.sub ?? "", email: identity.email, email_verified: true, hd: identity.hd },
    config.allowedEmailDomains,
    config.oidcIssuer,
  );
  if (decision.allowed) return;
  await logRefusal(`Refresh refused: ${decision.reason}`, identity.email);
  throw new OAuthError("invalid_grant", {
    description: `${decision.reason} Access to this server has ended; sign in again with an account of an allowed domain.`,
    internal: { category: "token-exchange-callback", reason: "domain_no_longer_allowed" },
  });
}
