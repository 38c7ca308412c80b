import { GrantType, OAuthError, type TokenExchangeCallbackOptions } from "@cloudflare/workers-oauth-provider";
import { logRefusal } from "../../observability/structured-log";
import { BLOCKED_MESSAGE, isBlocked, checkSignInPolicy, type IdentityProps, grantUserId } from "..";
import type { AuthConfig } from "../../config";

/** The MCP handler served at /internal once a request carries a valid access token. */
export interface InternalMcpHandler {
  fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response>;
}

/**
 * /internal for members who are not blocked. Revoking a member ends their grants; this also stops a
 * token issued in the moment between the block and the revocation, or by a grant the revocation missed.
 */
export function refusingBlockedMembers(internalMcp: InternalMcpHandler, config: AuthConfig): InternalMcpHandler {
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
                `Bearer realm="OAuth", error="invalid_token", resource_metadata="${config.publicUrl.origin}` +
                `/.well-known/oauth-protected-resource/internal"`,
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
export async function recheckPolicyOnRefresh(
  { grantType, props, userId, env }: TokenExchangeCallbackOptions<Env>,
  config: AuthConfig,
): Promise<void> {
  if (grantType !== GrantType.REFRESH_TOKEN) return;
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
