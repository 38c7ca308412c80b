import { EncryptJWT, jwtDecrypt } from "jose";
import { randomHex, sha256Hex } from "../shared/hash";
import { DAY_MS } from "../shared/time";
import { sharedKeyGuardName } from "../agent/shared-key-guard";
import { usageAgentName } from "../agent/usage-agent";
import { memoryStoreName, type MemoryActor, type MemoryProblem } from "../agent/memory-store";
import { digestStoreName } from "../agent/digest-store";
import { DIGEST_FORMATS, DIGEST_KINDS, type DigestFormat, type DigestKind } from "../tools/digest-subscriptions";
import type { AnnotationKind } from "../tools/team-memory";
import {
  configurationErrorResponse,
  MIN_SECRET_LENGTH,
  readAdminSettings,
  readAgentPlacement,
  readAuthConfig,
  readPlausibleSettings,
  readUsageConfig,
  type AuthConfig,
} from "../config";
import {
  OidcError,
  authorizationUrl,
  blockMember,
  callbackUrl,
  createSignInSecrets,
  discover,
  hmacSha256,
  listAllGrants,
  listBlocks,
  listMembers,
  rateLimitSignIn,
  readCookie,
  revokeUserByEmail,
  serverCookie,
  signInAnswer,
  unblockMember,
  userIdsByEmail,
} from "../auth";
import { oauthHelpers } from "../auth/internal";
import { htmlDocument, htmlResponse, refusalPage } from "../pages/html";
import { logAdminAction, logAuthorization, logRefusal } from "../observability/structured-log";
import {
  auditCsv,
  auditJsonLines,
  auditPage,
  membersPage,
  memoryPage,
  digestsPage,
  type AuditFilter,
  type MemberAuditRecord,
  type MemberRow,
  type Notice,
  type SharedKeyHour,
  isNotice,
} from "./admin-pages";

/**
 * /admin: the team's administrators (ADMIN_EMAILS) see members, their use of the shared key and its
 * audit trail, and revoke a member's access, on the deployment itself. Sign-in is /internal's
 * (the same OpenID Connect provider and domain policy) with its own callback, /admin/callback.
 *
 * The session is a `__Host-` cookie holding an encrypted, 30-minute token (jose, A256GCM, keyed from
 * ADMIN_SESSION_SECRET, a secret of this server alone), refused once its `iat` is 30 minutes old
 * whatever its `exp` says, and ended server-side by Sign out (its id is listed in KV until it would
 * have expired). `__Host-` cookies must be Secure: browsers accept them on https and
 * on http://localhost / 127.0.0.1 (a secure context), which covers wrangler dev; any other plain-http
 * request was refused before routing. Every form carries a token bound to the session (CSRF) and
 * must come from PUBLIC_URL's origin; pages forbid framing (frame-ancestors 'none').
 */

const SESSION_COOKIE = "__Host-plausible-mcp-admin";
const SIGN_IN_COOKIE = "__Host-plausible-mcp-admin-sign-in";
const SESSION_SECONDS = 30 * 60;
const SIGN_IN_SECONDS = 10 * 60;
const CALLBACK_PATH = "/admin/callback";

interface AdminSession {
  email: string;
  /** The identity provider's subject: a subscription made on /admin runs as this member (their quota share and audit trail). */
  sub?: string;
  /** Sent back by every form: a cross-site form cannot know it. */
  csrf: string;
  /** The token's `jti`, listed in KV once the administrator signs out. */
  id: string;
  /** The token's `exp`, epoch seconds. */
  expiresAt: number;
}

/** What every step of /admin works with: the configuration, the KV namespace and the cookies' key. */
interface AdminContext {
  env: Env;
  config: AuthConfig;
  kv: KVNamespace;
  key: Uint8Array;
}

interface SignInTransaction {
  state: string;
  verifier: string;
  nonce: string;
}

export async function handleAdmin(request: Request, env: Env): Promise<Response> {
  const { emails: admins, sessionSecret: secret } = readAdminSettings(env);
  if (admins.size === 0) return new Response("Not found", { status: 404 });
  if (!secret) return sessionSecretMissing();
  const result = readAuthConfig(env);
  if (!result.ok) return configurationErrorResponse(result.setting);
  const context: AdminContext = { env, config: result.config, kv: result.kv, key: await cookieKey(secret) };
  const { config } = context;
  const url = new URL(request.url);
  try {
    const session = url.pathname === CALLBACK_PATH ? undefined : await readSession(request, context);
    if (!session) {
      if (request.method !== "GET")
        return refusalPage(403, "Signed out", "Your administrator session has ended. Open /admin and sign in again.");
      // Signing in costs a discovery lookup and a code exchange: limited per address like /internal's sign-in.
      const limited = await rateLimitSignIn(request, env, "admin", config.rateLimits);
      if (limited) return limited;
      return url.pathname === CALLBACK_PATH ? await finishSignIn(request, context, admins) : await startSignIn(context);
    }
    if (!admins.has(session.email)) return notAnAdmin(session.email);
    if (request.method === "POST") {
      const form = await request.formData().catch(() => undefined);
      if (!form || !sameOrigin(request, config) || form.get("csrf") !== session.csrf) {
        return refusalPage(403, "Request refused", "This form did not come from this admin page. Reload /admin and try again.");
      }
      const email = String(form.get("email") ?? "")
        .trim()
        .toLowerCase();
      if (url.pathname === "/admin/revoke") return await revokeAndBlock(env, config, session, email);
      if (url.pathname === "/admin/unblock") return await unblock(env, session, email);
      if (url.pathname === "/admin/sign-out") return await signOut(context, session);
      if (url.pathname.startsWith("/admin/memory/")) return await changeMemory(env, session, url.pathname, form);
      if (url.pathname.startsWith("/admin/digests/")) return await changeDigests(env, session, url.pathname, form);
      return new Response("Not found", { status: 404 });
    }
    if (request.method !== "GET") return new Response("Method not allowed", { status: 405, headers: { Allow: "GET, POST" } });
    if (url.pathname === "/admin") {
      const notice = url.searchParams.get("notice");
      return await showMembers(env, config, session, isNotice(notice) ? notice : undefined);
    }
    if (url.pathname === "/admin/audit") return await showAudit(env, session, url.searchParams);
    if (url.pathname === "/admin/memory") {
      const notice = url.searchParams.get("notice");
      return adminPage(
        memoryPage({
          admin: session.email,
          csrf: session.csrf,
          sites: await teamMemory(env).overview(),
          ...(isNotice(notice) ? { notice } : {}),
        }),
      );
    }
    if (url.pathname === "/admin/digests") {
      const notice = url.searchParams.get("notice");
      const store = teamDigests(env);
      return adminPage(
        digestsPage({
          admin: session.email,
          csrf: session.csrf,
          subscriptions: await store.list(),
          deliveries: await store.deliveries(20),
          ...(isNotice(notice) ? { notice } : {}),
        }),
      );
    }
    return new Response("Not found", { status: 404 });
  } catch (error) {
    if (error instanceof OidcError) return refusalPage(error.kind === "rejected" ? 403 : 502, "Sign-in failed", error.message);
    throw error;
  }
}

/** /admin is on (ADMIN_EMAILS) but has no usable key for its sessions: say which secret and how to set it. */
function sessionSecretMissing(): Response {
  const reason = `ADMIN_SESSION_SECRET must be a random secret of at least ${MIN_SECRET_LENGTH} characters`;
  console.error(`[admin] /admin is unavailable: ${reason}.`);
  return htmlResponse(
    htmlDocument(
      "Admin page not configured",
      `<h1>Admin page not configured</h1>
<p>${reason}; it is missing or too short. Set it with <code>openssl rand -base64 32 | npx wrangler secret put ADMIN_SESSION_SECRET --env \
production</code> (locally: a line in <code>.dev.vars</code>), then reload this page.</p>`,
    ),
    503,
  );
}

async function startSignIn({ config, key }: AdminContext): Promise<Response> {
  const discovery = await discover(config.oidcIssuer);
  const secrets = createSignInSecrets();
  const state = randomHex(24);
  const location = await authorizationUrl(discovery, {
    clientId: config.oidcClientId,
    redirectUri: callbackUrl(config, CALLBACK_PATH),
    state,
    ...secrets,
  });
  const transaction: SignInTransaction = { state, ...secrets };
  const headers = new Headers({ Location: location, "Cache-Control": "no-store" });
  headers.append("Set-Cookie", serverCookie(SIGN_IN_COOKIE, await seal(transaction, key, SIGN_IN_SECONDS), SIGN_IN_SECONDS));
  return new Response(null, { status: 302, headers });
}

async function finishSignIn(request: Request, { config, key }: AdminContext, admins: Set<string>): Promise<Response> {
  const params = new URL(request.url).searchParams;
  const transaction = await unseal<SignInTransaction>(readCookie(request, SIGN_IN_COOKIE), key, SIGN_IN_SECONDS);
  const headers = new Headers();
  headers.append("Set-Cookie", serverCookie(SIGN_IN_COOKIE, "", 0));
  if (!transaction || params.get("state") !== transaction.state) {
    return refusalPage(
      400,
      "Sign-in failed",
      "This sign-in was not started in this browser, or it took too long. Open /admin again.",
      headers,
    );
  }
  const code = params.get("code");
  if (!code)
    return refusalPage(
      403,
      "Sign-in failed",
      "The identity provider sent no authorization code; sign-in was cancelled or failed there.",
      headers,
    );
  const answer = await signInAnswer(
    config,
    { code, verifier: transaction.verifier, nonce: transaction.nonce, redirectUri: callbackUrl(config, CALLBACK_PATH) },
    { headers, logPrefix: "/admin: " },
  );
  if (answer instanceof Response) return answer;
  const email = answer.email.toLowerCase();
  if (!admins.has(email)) {
    await logRefusal("/admin: signed in, but not in ADMIN_EMAILS.", email);
    return notAnAdmin(email, headers);
  }
  const session = { email, sub: answer.claims.sub, csrf: randomHex(24) };
  headers.append("Set-Cookie", serverCookie(SESSION_COOKIE, await seal(session, key, SESSION_SECONDS), SESSION_SECONDS));
  headers.set("Location", "/admin");
  logAuthorization("granted", "/admin: administrator signed in.", email);
  return new Response(null, { status: 302, headers });
}

function notAnAdmin(email: string, headers?: Headers): Response {
  return refusalPage(403, "Not an administrator", `${email} is not an administrator of this server (ADMIN_EMAILS).`, headers);
}

/** Ends the session for good: its id is refused until the token would have expired anyway, and the cookie is cleared. */
async function signOut({ kv }: AdminContext, session: AdminSession): Promise<Response> {
  const remaining = session.expiresAt - Math.floor(Date.now() / 1000);
  // KV expires nothing sooner than 60 seconds from now.
  await kv.put(await signedOutKey(session.id), "", { expirationTtl: Math.max(60, remaining + 60) });
  const headers = new Headers({ "Set-Cookie": serverCookie(SESSION_COOKIE, "", 0) });
  return htmlResponse(
    htmlDocument("Signed out", '<h1>Signed out</h1>\n<p>Your administrator session has ended. <a href="/admin">Sign in again</a></p>'),
    200,
    headers,
  );
}

/**
 * Blocks the member (by email and by every account they signed in with), then revokes every /internal
 * grant of theirs: open sessions get 401 on the next message, and a remembered approval or a silent
 * sign-in at the identity provider no longer brings them back. Recorded in their audit trail.
 */
async function revokeAndBlock(env: Env, config: AuthConfig, session: AdminSession, member: string): Promise<Response> {
  if (!member.includes("@")) return refusalPage(400, "Invalid request", "Name the member's email address.");
  // Blocked first, so a sign-in that completes during the revocation is refused.
  const block = await blockMember(env.OAUTH_KV, member, await userIdsByEmail(env.OAUTH_KV, member), session.email);
  const revoked = await revokeUserByEmail(env.OAUTH_KV, oauthHelpers(config, env), member);
  for (const userId of block.userIds) await (await memberAgent(env, userId)).recordAdminAction(session.email, "admin:revoke-and-block");
  await logRefusal(`/admin: an administrator revoked ${revoked} grant(s) of ${member} and blocked them.`, member);
  return afterAction("revoked");
}

/** Lifts a member's block: they may sign in again (a new grant; the revoked ones stay revoked). Recorded in their audit trail. */
async function unblock(env: Env, session: AdminSession, member: string): Promise<Response> {
  const block = await unblockMember(env.OAUTH_KV, member);
  if (!block) return refusalPage(400, "Invalid request", "That address is not blocked. Reload /admin to see who is.");
  for (const userId of block.userIds) await (await memberAgent(env, userId)).recordAdminAction(session.email, "admin:unblock");
  logAuthorization("granted", "/admin: an administrator unblocked a member; they may sign in again.", block.email);
  return afterAction("unblocked");
}

function afterAction(notice: Notice, page = "/admin"): Response {
  return new Response(null, { status: 303, headers: { Location: `${page}?notice=${notice}`, "Cache-Control": "no-store" } });
}

/** The team's memory store, the one /internal's members read and write. */
function teamMemory(env: Env) {
  return env.MEMORY.getByName(memoryStoreName({ kind: "team" }));
}

/** An administrator's change to the team's memory, with the store's own checks; a refused one says what to change. */
async function changeMemory(env: Env, session: AdminSession, pathname: string, form: FormData): Promise<Response> {
  const field = (name: string) => String(form.get(name) ?? "").trim();
  const actor: MemoryActor = { kind: "member", email: session.email, admin: true };
  const store = teamMemory(env);
  const done = (notice: Notice) => afterAction(notice, "/admin/memory");
  const notSaved = (problem: MemoryProblem) =>
    refusalPage(
      400,
      "Not saved",
      `${"refused" in problem ? problem.refused : `${problem.argument}: ${problem.reason}`}. Go back to /admin/memory and correct it.`,
    );
  const siteId = field("site_id");
  const logged = (action: string, site: string | undefined = siteId) => logAdminAction(session.email, `memory:${action}`, site);
  if (pathname === "/admin/memory/annotation") {
    const kind = (field("kind") || "other") as AnnotationKind;
    const stored = await store.addAnnotation({ siteId, at: field("date"), text: field("text"), kind }, actor);
    if (!stored.ok) return notSaved(stored.problem);
    logged("annotation-add");
    return done("annotation_added");
  }
  if (pathname === "/admin/memory/annotation/delete") {
    // Read first: the store's answer to a deletion (which the tools share) does not say the site.
    const annotation = await store.getAnnotation(field("id"));
    const outcome = await store.deleteAnnotation(field("id"), actor);
    if (!outcome.deleted) return refusalPage(400, "Not deleted", "That annotation is gone. Reload /admin/memory.");
    logged("annotation-delete", annotation?.siteId);
    return done("annotation_deleted");
  }
  if (pathname === "/admin/memory/target") {
    const value = Number(field("value").replaceAll(/[\s,_]/g, ""));
    const stored = await store.setTarget({ siteId, metric: field("metric"), period: field("period"), value }, actor);
    if (!stored.ok) return notSaved(stored.problem);
    logged("target-set");
    return done("target_set");
  }
  if (pathname === "/admin/memory/target/delete") {
    await store.deleteTarget(siteId, field("metric"), field("period"), actor);
    logged("target-delete");
    return done("target_deleted");
  }
  if (pathname === "/admin/memory/context") {
    const stored = await store.setSiteContext(siteId, String(form.get("text") ?? ""), actor);
    if (!stored.ok) return notSaved(stored.problem);
    logged("context-set");
    return done("context_saved");
  }
  return new Response("Not found", { status: 404 });
}

/** The team's digest subscriptions, the ones /internal's members make with subscribe_digest. */
function teamDigests(env: Env) {
  return env.DIGESTS.getByName(digestStoreName({ kind: "team" }));
}

/** An administrator adds a team subscription (sent as them: their quota share, their audit trail) or deletes one. */
async function changeDigests(env: Env, session: AdminSession, pathname: string, form: FormData): Promise<Response> {
  const store = teamDigests(env);
  if (pathname === "/admin/digests/subscribe") {
    if (!session.sub)
      return refusalPage(403, "Sign in again", "This session predates subscriptions on /admin. Sign out, sign in again and retry.");
    const kinds = form
      .getAll("kinds")
      .map(String)
      .filter((kind): kind is DigestKind => (DIGEST_KINDS as readonly string[]).includes(kind));
    const format = String(form.get("format") ?? "");
    if (kinds.length === 0) return refusalPage(400, "Not saved", "Tick at least one of weekly digest, change alerts or pacing alerts.");
    if (!(DIGEST_FORMATS as readonly string[]).includes(format))
      return refusalPage(400, "Not saved", `Choose a format: ${DIGEST_FORMATS.join(", ")}.`);
    const siteId = String(form.get("site_id") ?? "").trim();
    if (!siteId) return refusalPage(400, "Not saved", "Name the site (its domain as registered in Plausible).");
    const outcome = await store.subscribe(
      { siteId, webhookUrl: String(form.get("webhook_url") ?? "").trim(), kinds, format: format as DigestFormat },
      { kind: "member", sub: session.sub, email: session.email },
    );
    if (!outcome.ok) return refusalPage(400, "Not saved", `${outcome.reason}. Go back to /admin/digests and correct it.`);
    logAdminAction(session.email, "digests:subscribe", siteId);
    return afterAction("subscription_added", "/admin/digests");
  }
  if (pathname === "/admin/digests/delete") {
    const removed = await store.unsubscribe(String(form.get("id") ?? ""));
    if (!removed) return refusalPage(400, "Not deleted", "That subscription is gone. Reload /admin/digests.");
    logAdminAction(session.email, "digests:delete", removed.siteId);
    return afterAction("subscription_deleted", "/admin/digests");
  }
  return new Response("Not found", { status: 404 });
}

async function showMembers(env: Env, config: AuthConfig, session: AdminSession, notice: Notice | undefined): Promise<Response> {
  const oauth = oauthHelpers(config, env);
  const rows: MemberRow[] = [];
  for (const entry of await listMembers(env.OAUTH_KV)) {
    const activity = await (await memberAgent(env, entry.userId)).memberActivity();
    const grants = await listAllGrants(oauth, entry.userId);
    rows.push({
      email: entry.email,
      ...activity,
      grants: await Promise.all(
        grants.map(async (grant) => ({ client: await clientName(oauth, grant.clientId), createdAt: grant.createdAt })),
      ),
    });
  }
  // /admin serves only while /internal is configured, and that needs the shared key.
  const guard = env.SHARED_KEY_GUARD.getByName(await sharedKeyGuardName(readPlausibleSettings(env).sharedApiKey!), readAgentPlacement(env));
  const usage = await guard.usage();
  const sharedKey: SharedKeyHour = { ...usage, memberLimit: readUsageConfig(env).memberHourlyLimit };
  const blocked = await listBlocks(env.OAUTH_KV);
  return adminPage(membersPage({ admin: session.email, csrf: session.csrf, members: rows, blocked, sharedKey, notice }));
}

async function showAudit(env: Env, session: AdminSession, params: URLSearchParams): Promise<Response> {
  const today = new Date().toISOString().slice(0, 10);
  const filter: AuditFilter = {
    from: validDate(params.get("from")) ?? new Date(Date.now() - 6 * DAY_MS).toISOString().slice(0, 10),
    to: validDate(params.get("to")) ?? today,
    member: (params.get("member") ?? "").trim().toLowerCase(),
  };
  const fromMs = Date.parse(`${filter.from}T00:00:00Z`);
  const toMs = Date.parse(`${filter.to}T00:00:00Z`) + DAY_MS;
  const members = (await listMembers(env.OAUTH_KV)).filter((entry) => !filter.member || entry.email === filter.member);
  const records: MemberAuditRecord[] = [];
  for (const entry of members) {
    for (const record of await (await memberAgent(env, entry.userId)).auditRecords(fromMs, toMs))
      records.push({ member: entry.email, ...record });
  }
  records.sort((a, b) => a.at.localeCompare(b.at));
  const format = params.get("format");
  const filename = `plausible-mcp-audit-${filter.from}-to-${filter.to}`;
  if (format === "jsonl") return download(auditJsonLines(records), "application/jsonl", `${filename}.jsonl`);
  if (format === "csv") return download(auditCsv(records), "text/csv", `${filename}.csv`);
  return adminPage(auditPage({ admin: session.email, csrf: session.csrf, filter, records }));
}

/** The usage agent of a member, by grant user id; named after the issuer's `sub`, which the grant user id encodes. */
async function memberAgent(env: Env, userId: string) {
  return env.USAGE.getByName(usageAgentName("user", await sha256Hex(decodeURIComponent(userId))), readAgentPlacement(env));
}

async function clientName(oauth: ReturnType<typeof oauthHelpers>, clientId: string): Promise<string> {
  // A metadata-document client is named by its URL; looking it up would fetch the document.
  if (/^https?:/.test(clientId)) return clientId;
  const client = await oauth.lookupClient(clientId).catch(() => null);
  return client?.clientName ? `${client.clientName} (${clientId})` : clientId;
}

/**
 * An admin page. Its forms post to this origin, and browsers send `Origin: null` for a page under
 * `Referrer-Policy: no-referrer`, so these pages send the origin to themselves (never to another site).
 */
function adminPage(body: string): Response {
  const response = htmlResponse(body, 200);
  response.headers.set("Referrer-Policy", "same-origin");
  return response;
}

function download(body: string, type: string, filename: string): Response {
  return new Response(body, {
    headers: {
      "Content-Type": `${type}; charset=utf-8`,
      "Content-Disposition": `attachment; filename="${filename}"`,
      "Cache-Control": "no-store",
    },
  });
}

function validDate(value: string | null): string | undefined {
  return value && /^\d{4}-\d{2}-\d{2}$/.test(value) && !Number.isNaN(Date.parse(`${value}T00:00:00Z`)) ? value : undefined;
}

/** A form must come from this server's own pages: a present Origin (browsers send it on POST) must be PUBLIC_URL's. */
function sameOrigin(request: Request, config: AuthConfig): boolean {
  const origin = request.headers.get("Origin");
  return origin === null || origin === config.publicUrl.origin;
}

async function readSession(request: Request, { kv, key }: AdminContext): Promise<AdminSession | undefined> {
  const token = await unseal<Partial<AdminSession> & { jti?: string; exp?: number }>(
    readCookie(request, SESSION_COOKIE),
    key,
    SESSION_SECONDS,
  );
  if (!token || typeof token.email !== "string" || typeof token.csrf !== "string" || !token.jti || !token.exp) return undefined;
  if ((await kv.get(await signedOutKey(token.jti))) !== null) return undefined;
  return {
    email: token.email,
    ...(typeof token.sub === "string" ? { sub: token.sub } : {}),
    csrf: token.csrf,
    id: token.jti,
    expiresAt: token.exp,
  };
}

/** The KV key that marks a session as signed out; named by a hash, so the list never holds a usable session id. */
async function signedOutKey(sessionId: string): Promise<string> {
  return `admin:signed-out:${await sha256Hex(sessionId)}`;
}

const AUDIENCE = "plausible-mcp-admin";

async function seal(payload: object, key: Uint8Array, seconds: number): Promise<string> {
  return new EncryptJWT({ ...payload })
    .setProtectedHeader({ alg: "dir", enc: "A256GCM" })
    .setAudience(AUDIENCE)
    .setJti(randomHex(24))
    .setIssuedAt()
    .setExpirationTime(`${seconds}s`)
    .encrypt(key);
}

/** The payload of a token this server sealed at most `maxAgeSeconds` ago (by its required `iat`, whatever its `exp`). */
async function unseal<T>(token: string | undefined, key: Uint8Array, maxAgeSeconds: number): Promise<T | undefined> {
  if (!token) return undefined;
  try {
    const { payload } = await jwtDecrypt(token, key, {
      audience: AUDIENCE,
      maxTokenAge: maxAgeSeconds,
      requiredClaims: ["iat", "exp", "jti"],
    });
    return payload as T;
  } catch {
    return undefined;
  }
}

/** The cookies' key, derived from ADMIN_SESSION_SECRET (rotating it signs every administrator out). */
function cookieKey(secret: string): Promise<Uint8Array> {
  return hmacSha256(secret, "plausible-mcp admin session cookies");
}
