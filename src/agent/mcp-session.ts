import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { McpAgent } from "agents/mcp";
import { ToolInputError } from "../tools";
import { instrumentMcpServer } from "../observability/mcp-telemetry";
import type { ToolCaller } from "../observability/tool-call";
import { bearerKey } from "./bearer-key";
import { sha256Hex } from "./hash";
import { IdleExpiry } from "./idle-expiry";
import { serveOwnedSessions } from "./owned-sessions";
import { registerPromptsAndResources } from "./register-prompts-and-resources";
import { registerTools } from "./register-tools";
import { SERVER_INFO, SERVER_OPTIONS } from "./server-info";
import { toolContextFor } from "./tool-context";
import { readSessionIdleSeconds } from "./usage-config";

/** A signed-in connector user (/internal), as the OAuth grant's props carry them. */
export interface UserProps {
  sub: string;
  email: string;
  name: string;
}
/** A bearer-key SSE session (/sse): only the key's digest is kept, binding the session to the key that opened it. */
export interface KeySessionProps {
  keyHash: string;
}
export type SessionProps = UserProps | KeySessionProps;

interface MessageExtra {
  requestInfo?: { headers?: Record<string, string | string[] | undefined> };
}

/**
 * One MCP session (SDK v1, as McpAgent needs): Streamable HTTP or legacy SSE
 * on /internal for connector users, legacy SSE on /sse for bearer keys.
 */
export class PlausibleMcpSession extends McpAgent<Env, unknown, Record<string, unknown>> {
  server = new McpServer(SERVER_INFO, SERVER_OPTIONS);
  #toolsRegistered = false;
  /** A session deletes its storage after SESSION_IDLE_SECONDS without a message or a stream opened. */
  readonly #expiry: IdleExpiry;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#expiry = new IdleExpiry(this, readSessionIdleSeconds(env as unknown as Record<string, unknown>), {
      read: () => ctx.storage.kv.get<number>("last_activity_ms"),
      write: (ms) => ctx.storage.kv.put("last_activity_ms", ms),
    });
  }

  /** Every Streamable HTTP request and every SSE stream reaches the session as a connection. */
  override async onConnect(...args: Parameters<McpAgent["onConnect"]>): Promise<void> {
    this.#expiry.touch();
    return super.onConnect(...args);
  }

  /** A legacy SSE message. */
  override async onSSEMcpMessage(...args: Parameters<McpAgent["onSSEMcpMessage"]>): Promise<Error | null> {
    this.#expiry.touch();
    return super.onSSEMcpMessage(...args);
  }

  /** The schedule's callback: removes the session once idle long enough, else checks again later. */
  async expireIfIdle(): Promise<void> {
    await this.#expiry.check();
  }

  // Runs on every start, including after hibernation, on a fresh server instance.
  async init(): Promise<void> {
    if (this.#toolsRegistered) return;
    this.#toolsRegistered = true;
    const caller = this.#caller();
    instrumentMcpServer(this.server, caller.endpoint);
    const contextFor = (extra: unknown) => this.#contextFor(extra as MessageExtra);
    registerTools(this.server, contextFor, caller);
    registerPromptsAndResources(this.server, contextFor, caller);
  }

  /** Props are loaded before `init`: a grant's member on /internal, otherwise an anonymous /sse key session. */
  #caller(): ToolCaller {
    const props = (this.props ?? {}) as Partial<UserProps>;
    return props.sub && props.email ? { endpoint: "internal", email: props.email } : { endpoint: "sse" };
  }

  async #contextFor(extra: MessageExtra) {
    const props = (this.props ?? {}) as Partial<UserProps & KeySessionProps>;
    if (props.sub) return toolContextFor(this.env, { scope: "user", sub: props.sub });
    // A bearer session sends the key with every message and it is used from there, never stored.
    const apiKey = bearerKey(extra.requestInfo?.headers);
    if (!apiKey || !props.keyHash || (await sha256Hex(apiKey)) !== props.keyHash) {
      throw new ToolInputError("Authorization", "this SSE session was opened with a different API key; open a new session with your key.");
    }
    return toolContextFor(this.env, { scope: "key", apiKey });
  }
}

/**
 * The /sse sessions of bearer keys: a class (and binding) of their own, so a key's session and a
 * member's /internal session never share a namespace, whatever names either endpoint produces.
 */
export class PlausibleKeySession extends PlausibleMcpSession {}

/**
 * /internal behind the OAuth provider: Streamable HTTP and legacy SSE on one path. The provider has
 * validated this request's token and passes its grant's props, so each request is checked against
 * the member who opened the session (a revoked or expired token never gets here: the provider answers 401).
 */
export function createInternalSessionHandler() {
  const sessions = serveOwnedSessions(PlausibleMcpSession, "/internal", "MCP_SESSION", "auto");
  return {
    fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
      const { sub } = (ctx.props ?? {}) as Partial<UserProps>;
      if (!sub) throw new Error("/internal was reached without a validated grant");
      return sessions.fetch(request, env, ctx, `user:${sub}`);
    },
  };
}
