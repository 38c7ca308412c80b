import { listKeys } from "../shared/kv";

/**
 * Members an administrator revoked and blocked: kept out until an administrator unblocks them.
 * Revoking ends the grants a member has; the block stops the next ones (a remembered approval and a
 * silent sign-in at the identity provider would otherwise issue a new grant within seconds). A block
 * is stored under the member's email and under every grant user id (the issuer's `sub`) they signed
 * in with, and is checked at sign-in (/callback), at every refresh and on every /internal request.
 * Blocks do not expire.
 */
const EMAIL_PREFIX = "blocked:email:";
const USER_PREFIX = "blocked:user:";

export interface Block {
  /** Lower-cased. */
  email: string;
  /** The grant user ids that signed in with this email when it was blocked. */
  userIds: string[];
  /** The administrator's email, or the tool that blocked (npm run revoke). */
  blockedBy: string;
  /** Epoch milliseconds. */
  blockedAt: number;
}

/** Blocks `email` and the grant user ids it signed in with (added to an existing block of the same email). */
export async function blockMember(kv: KVNamespace, email: string, userIds: string[], blockedBy: string, now = Date.now()): Promise<Block> {
  const member = email.trim().toLowerCase();
  const existing = await readBlock(kv, member);
  const block: Block = { email: member, userIds: [...new Set([...(existing?.userIds ?? []), ...userIds])], blockedBy, blockedAt: now };
  await Promise.all(block.userIds.map((userId) => kv.put(USER_PREFIX + userId, member)));
  await kv.put(EMAIL_PREFIX + member, JSON.stringify(block));
  return block;
}

/** Lifts the block of `email` and of the user ids blocked with it; the lifted block, or undefined when there was none. */
export async function unblockMember(kv: KVNamespace, email: string): Promise<Block | undefined> {
  const block = await readBlock(kv, email.trim().toLowerCase());
  if (!block) return undefined;
  await Promise.all(block.userIds.map((userId) => kv.delete(USER_PREFIX + userId)));
  await kv.delete(EMAIL_PREFIX + block.email);
  return block;
}

/** Every block, by email. */
export async function listBlocks(kv: KVNamespace): Promise<Block[]> {
  const blocks: Block[] = [];
  for (const email of await listKeys(kv, EMAIL_PREFIX)) {
    const block = await readBlock(kv, email);
    if (block) blocks.push(block);
  }
  return blocks.sort((a, b) => a.email.localeCompare(b.email));
}

/** Whether this identity (its grant user id, and its email when known) is blocked: one KV read of both keys, on every request. */
export async function isBlocked(kv: KVNamespace, identity: { userId: string; email?: string }): Promise<boolean> {
  const keys = [USER_PREFIX + identity.userId];
  if (identity.email) keys.push(EMAIL_PREFIX + identity.email.trim().toLowerCase());
  const found = await kv.get(keys);
  return [...found.values()].some((value) => value !== null);
}

/** What a blocked member is told, at sign-in, at a refresh and on /internal. */
export const BLOCKED_MESSAGE =
  "An administrator of this server revoked your access and blocked you from signing in again; ask " +
  "them to unblock you if this is a mistake.";

async function readBlock(kv: KVNamespace, email: string): Promise<Block | undefined> {
  const text = await kv.get(EMAIL_PREFIX + email);
  return text === null ? undefined : (JSON.parse(text) as Block);
}
