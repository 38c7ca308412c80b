import type { McpAgent } from "agents/mcp";
import { sha256Hex } from "../shared/hash";

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
  const random = [...crypto.getRandomValues(new Uint8Array(RANDOM_HEX / 2))].map((byte) => byte.toString(16).padStart(2, "0")).join("");
  return random + (await tagFor(random, owner));
}

/** Whether `sessionId` was minted for `owner`: the one owner check behind every session path. */
export async function sessionBelongsTo(sessionId: string, owner: SessionOwner): Promise<boolean> {
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
 * McpAgent's transports for `agentClass` on `path`, with every session owned: ids are minted for the
 * caller (the transports take new ids from the namespace's `newUniqueId`), and a request naming a
 * session that is not the caller's gets 404 without reaching a Durable Object.
 */
export function serveOwnedSessions(agentClass: typeof McpAgent<Env>, path: string, binding: SessionBinding, transport: "auto" | "sse") {
  const sessions = agentClass.serve(path, { binding, transport });
  return {
    async fetch(request: Request, env: Env, ctx: ExecutionContext, owner: SessionOwner): Promise<Response> {
      for (const sessionId of sessionIdsOf(request)) if (!(await sessionBelongsTo(sessionId, owner))) return sessionNotFound();
      const newSessionId = await mintSessionId(owner);
      const namespace = env[binding] as unknown as DurableObjectNamespace;
      const owned = {
        newUniqueId: () => ({ toString: () => newSessionId }),
        idFromName: (name: string) => namespace.idFromName(name),
        get: (id: DurableObjectId, options?: DurableObjectNamespaceGetDurableObjectOptions) => namespace.get(id, options),
      };
      return sessions.fetch(request, { [binding]: owned } as unknown as Env, ctx);
    },
  };
}
