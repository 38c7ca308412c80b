/**
 * The sign-in kit shared by the two OAuth connectors (./internal, ./connect) and /admin: settings,
 * OpenID Connect, the domain policy, the rate limiter, the member index and block list, cookies,
 * the identity a grant carries, and the one copy of each step both connectors take. Other folders
 * import the kit from here, and each connector from its own index.
 */
export { BLOCKED_MESSAGE, blockMember, isBlocked, listBlocks, unblockMember, type Block } from "./block-list";
export { hmacSha256, readCookie, serverCookie } from "./cookies";
export { checkSignInPolicy } from "./domain-policy";
export type { IdentityProps } from "./identity";
export { CONTROL_CHARACTERS, refuseWithoutPkce, renderError } from "./oauth-requests";
export { connectorCallbacks, memoPerConfig } from "./oauth-servers";
export { OidcError, authorizationUrl, createSignInSecrets, discover } from "./oidc";
export { AuthRateLimiter, admitConnectorRequest, limitAddress, rateLimitSignIn } from "./rate-limiter";
export { callbackUrl, signInAnswer } from "./sign-in";
export {
  grantUserId,
  listAllGrants,
  listMembers,
  rememberMember,
  rememberUserEmail,
  revokeUserByEmail,
  userIdsByEmail,
} from "./user-index";
