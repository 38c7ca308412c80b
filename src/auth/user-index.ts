import type { GrantSummary, OAuthHelpers } from "@cloudflare/workers-oauth-provider";
import { listKeys } from "../shared/kv";

/**
 * Grants are keyed by the issuer's `sub`, but an administrator offboards a person by email. This
 * index maps a (lower-cased) email to the grant user IDs it signed in as, so offboarding can use
 * the provider's own `listUserGrants` and `revokeGrant`. Entries expire with the grants they point to.
 */
const PREFIX = "offboarding:email:";

/** A grant userId must not contain ":" (it separates token parts), so a `sub` with one is encoded. */
export function grantUserId(sub: string): string {
  return encodeURIComponent(sub);
}

export async function rememberUserEmail(kv: KVNamespace, email: string, userId: string, ttlSeconds: number): Promise<void> {
  await kv.put(`${PREFIX}${email.toLowerCase()}:${userId}`, "", { expirationTtl: ttlSeconds });
}

const MEMBER_PREFIX = "members:";

/** A person who signed in to /internal: the grant user id (the issuer's `sub`, encoded) and their email. */
export interface MemberEntry {
  userId: string;
  email: string;
}

/**
 * The team's members for /admin: written at every sign-in and kept for the audit retention period,
 * so a revoked or departed member's usage and audit trail can still be found by their email.
 */
export async function rememberMember(kv: KVNamespace, userId: string, email: string, ttlSeconds: number): Promise<void> {
  await kv.put(`${MEMBER_PREFIX}${userId}`, email.toLowerCase(), { expirationTtl: ttlSeconds });
}

export async function listMembers(kv: KVNamespace): Promise<MemberEntry[]> {
  const members: MemberEntry[] = [];
  for (const userId of await listKeys(kv, MEMBER_PREFIX)) {
    const email = await kv.get(MEMBER_PREFIX + userId);
    if (email) members.push({ userId, email });
  }
  return members.sort((a, b) => a.email.localeCompare(b.email));
}

/** Every grant of one user id, across pages. */
export async function listAllGrants(oauth: OAuthHelpers, userId: string): Promise<GrantSummary[]> {
  const grants: GrantSummary[] = [];
  let cursor: string | undefined;
  do {
    const page = await oauth.listUserGrants(userId, { cursor });
    grants.push(...page.items);
    cursor = page.cursor;
  } while (cursor);
  return grants;
}

/** The grant user ids that signed in with this email, from the offboarding index and the member list. */
export async function userIdsByEmail(kv: KVNamespace, email: string): Promise<string[]> {
  const member = email.trim().toLowerCase();
  const userIds = new Set(await listKeys(kv, `${PREFIX}${member}:`));
  for (const entry of await listMembers(kv)) if (entry.email === member) userIds.add(entry.userId);
  return [...userIds];
}

/** Revokes every grant of every account that signed in with this email; returns how many. */
export async function revokeUserByEmail(kv: KVNamespace, oauth: OAuthHelpers, email: string): Promise<number> {
  const prefix = `${PREFIX}${email.trim().toLowerCase()}:`;
  let revoked = 0;
  for (const userId of await listKeys(kv, prefix)) {
    revoked += await revokeAllGrants(oauth, userId);
    await kv.delete(prefix + userId);
  }
  return revoked;
}

async function revokeAllGrants(oauth: OAuthHelpers, userId: string): Promise<number> {
  const grants = await listAllGrants(oauth, userId);
  for (const grant of grants) await oauth.revokeGrant(grant.id, userId);
  return grants.length;
}
