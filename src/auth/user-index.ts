import type { OAuthHelpers } from "@cloudflare/workers-oauth-provider";

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

/** Revokes every grant of every account that signed in with this email; returns how many. */
export async function revokeUserByEmail(kv: KVNamespace, oauth: OAuthHelpers, email: string): Promise<number> {
  const prefix = `${PREFIX}${email.trim().toLowerCase()}:`;
  let revoked = 0;
  let cursor: string | undefined;
  do {
    const page = await kv.list({ prefix, cursor });
    for (const key of page.keys) {
      const userId = key.name.slice(prefix.length);
      revoked += await revokeAllGrants(oauth, userId);
      await kv.delete(key.name);
    }
    cursor = page.list_complete ? undefined : page.cursor;
  } while (cursor);
  return revoked;
}

async function revokeAllGrants(oauth: OAuthHelpers, userId: string): Promise<number> {
  let revoked = 0;
  let cursor: string | undefined;
  do {
    const page = await oauth.listUserGrants(userId, { cursor });
    for (const grant of page.items) await oauth.revokeGrant(grant.id, userId);
    revoked += page.items.length;
    cursor = page.cursor;
  } while (cursor);
  return revoked;
}
