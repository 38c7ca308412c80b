import { getAgentByName } from "agents";
import type { McpAgent } from "agents/mcp";
import type { PlausibleMcpSession } from "./session";
import { randomHex, sha256Hex } from "../shared/hash";

/**
 * Sessions that belong to the principal that opened them.
 *
 * A session id is `<random><tag>`, the tag being a digest of the random part and the owner, so whether
 * an id belongs to the caller of *this* request is a computation: no lookup, and nothing is stored for
 * an id that is not the caller's. Every request that names a session (a legacy SSE message or attach,
 * a Streamable HTTP request or DELETE with `mcp-session-id`) passes `sessionBelongsTo` before any
 * Durable Object is touched; a mismatch is answered as if the session did not exist.
 */

/**
 * `user:<sub>` on /internal (the grant's user, as the OAuth provider validated it for this request),
 * `key:<sha256 of the key>` on /sse, `connect:<sha256 of the key>` on /connect (the key in this request's grant).
 */
export type SessionOwner = `user:${string}` | `key:${string}` | `connect:${string}`;

const RANDOM_HEX = 32;
const TAG_HEX = 32;
const SESSION_ID = new RegExp(`^[0-9a-f]{${RANDOM_HEX + TAG_HEX}}$`);

async function tagFor(random: string, owner: SessionOwner): Promise<string> {
  return (await sha256Hex(`mcp-session:${random}:${owner}`)).slice(0, TAG_HEX);
}

/** A fresh session id bound to `owner`. */
export async function mintSessionId(owner: SessionOwner): Promise<string> {
  const random = randomHex(RANDOM_HEX / 2);
  return random + (await tagFor(random, owner));
}

/** Whether `sessionId` was minted for `owner`: the one owner check behind every session path. */
async function sessionBelongsTo(sessionId: string, owner: SessionOwner): Promise<boolean> {
  if (!SESSION_ID.test(sessionId)) return false;
  return (await tagFor(sessionId.slice(0, RANDOM_HEX), owner)) === sessionId.slice(RANDOM_HEX);
}

/** Every session id a request names, on any transport: the Streamable HTTP header and the legacy SSE query parameter. */
function sessionIdsOf(request: Request): string[] {
  const ids = [request.headers.get("mcp-session-id"), new URL(request.url).searchParams.get("sessionId")];
  // An empty value names no session: the transports then open a new one (or refuse the request).
  return ids.filter((id): id is string => Boolean(id));
}

function sessionNotFound(): Response {
  return Response.json(
    {
      jsonrpc: "2.0",
      error: { code: -32001, message: "Session not found: it has ended or was opened by someone else. Open a new session." },
      id: null,
    },
    { status: 404, headers: { "Cache-Control": "no-store" } },
  );
}

type SessionBinding = "MCP_SESSION" | "KEY_SESSION" | "CONNECT_SESSION";

/**
 * The legacy SSE session a request names, when the library's SSE handler will serve it: that handler
 * creates the session's object for any id, without asking whether a session was opened in it.
 */
function legacySessionNamed(request: Request, path: string, transport: "auto" | "sse"): string | undefined {
  const url = new URL(request.url);
  const sessionId = url.searchParams.get("sessionId");
  if (!sessionId) return undefined;
  const message = request.method === "POST" && url.pathname === `${path}/message`;
  const stream = request.method === "GET" && (transport === "sse" || !request.headers.has("mcp-session-id"));
  return message || stream ? sessionId : undefined;
}

/**
 * McpAgent's transports for `agentClass` on `path`, with every session owned: ids are minted for the
 * caller (the transports take new ids from the namespace's `newUniqueId`), and a request naming a
 * session that is not the caller's gets 404 without reaching a Durable Object.
 *
 * A request naming one of the caller's own ids may still name no open session (it expired, or the id
 * was minted by the caller for nothing). So `props` go only with the request that opens a session: an
 * object started without them deletes itself at once (src/mcp/session.ts), the Streamable HTTP handler
 * then answers 404 as it finds no session, and a legacy SSE request is asked about first, because the
 * library's SSE handler would serve any id.
 */
export function serveOwnedSessions(agentClass: typeof McpAgent<Env>, path: string, binding: SessionBinding, transport: "auto" | "sse") {
  const sessions = agentClass.serve(path, { binding, transport });
  return {
    async fetch(request: Request, env: Env, ctx: ExecutionContext, owner: SessionOwner, props: object): Promise<Response> {
      const named = sessionIdsOf(request);
      for (const sessionId of named) if (!(await sessionBelongsTo(sessionId, owner))) return sessionNotFound();
      if (named.length === 0) return serve(request, env, ctx, owner, props);
      try {
        const namespace: DurableObjectNamespace<PlausibleMcpSession> = env[binding];
        const legacy = legacySessionNamed(request, path, transport);
        if (legacy !== undefined && !(await (await getAgentByName(namespace, `sse:${legacy}`)).isOpen())) return sessionNotFound();
        return await serve(request, env, ctx, owner);
      } catch (error) {
        // The object of an id that names no open session deletes itself; a request reaching it meanwhile is
        // refused by the runtime. That session is gone, which is what 404 says.
        if (isResetObject(error)) return sessionNotFound();
        throw error;
      }
    },
  };

  /** Hands the request to the library with ids minted for `owner`; `props` only when it names no session. */
  async function serve(request: Request, env: Env, ctx: ExecutionContext, owner: SessionOwner, props?: object): Promise<Response> {
    const namespace: DurableObjectNamespace<PlausibleMcpSession> = env[binding];
    const newSessionId = await mintSessionId(owner);
    const owned = {
      newUniqueId: () => ({ toString: () => newSessionId }),
      idFromName: (name: string) => namespace.idFromName(name),
      get: (id: DurableObjectId, options?: DurableObjectNamespaceGetDurableObjectOptions) => namespace.get(id, options),
    };
    const sessionCtx = {
      waitUntil: (promise: Promise<unknown>) => ctx.waitUntil(promise),
      passThroughOnException: () => ctx.passThroughOnException(),
      ...(props ? { props } : {}),
    } as ExecutionContext;
    return sessions.fetch(request, { [binding]: owned }, sessionCtx);
  }
}

function isResetObject(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { durableObjectReset?: unknown }).durableObjectReset === true;
}
