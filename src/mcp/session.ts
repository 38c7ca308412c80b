import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { McpAgent } from "agents/mcp";
import { IdleExpiry } from "../agent/idle-expiry";
import type { IdentityProps } from "../auth";
import type { ToolCaller } from "../observability/tool-call";
import { readSessionIdleSeconds } from "../config";
import { sha256Hex } from "../shared/hash";
import { ToolInputError } from "../tools";
import { bearerKey } from "./bearer-key";
import { buildMcpServer } from "./server";
import { toolContextFor } from "./tool-context";

/** A bearer-key SSE session (/sse): only the key's digest is kept, binding the session to the key that opened it. */
export interface KeySessionProps {
  keyHash: string;
}

interface MessageExtra {
  requestInfo?: { headers?: Record<string, string | string[] | undefined> };
}

/**
 * One MCP session (SDK v1, as McpAgent needs): 2025-era Streamable HTTP or legacy SSE
 * on /internal for connector users, legacy SSE on /sse for bearer keys.
 */
export class PlausibleMcpSession extends McpAgent<Env, unknown, Record<string, unknown>> {
  // Built by the server factory in `init`, once the session's props are loaded.
  server!: McpServer;
  /** A session deletes its storage after SESSION_IDLE_SECONDS without a message or a stream opened. */
  readonly #expiry: IdleExpiry;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#expiry = new IdleExpiry(this, readSessionIdleSeconds(env), {
      read: () => ctx.storage.kv.get<number>("last_activity_ms"),
      write: (ms) => ctx.storage.kv.put("last_activity_ms", ms),
    });
  }

  /**
   * Props come only with the request that opens a session (src/mcp/owned-sessions.ts); a session that
   * starts again later loads them from storage. An object started without either was never opened, or
   * has expired, and a request named it: it serves nothing and its idle check is due at once, which
   * deletes what starting it stored. Every session that starts has its idle check scheduled, whether
   * or not a message follows.
   */
  override async onStart(props?: Record<string, unknown>): Promise<void> {
    if (!props && (await this.ctx.storage.get("props")) === undefined) {
      await this.#expiry.schedule(0);
      return;
    }
    await super.onStart(props);
    await this.#expiry.schedule();
  }

  /** Whether a session was opened in this object (its props are stored); asked before a legacy SSE request reaches it. */
  isOpen(): boolean {
    return this.props !== undefined;
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

  // Runs on every start (props are loaded by then), once per instance.
  async init(): Promise<void> {
    this.server ??= buildMcpServer("v1", this.env, {
      caller: this.#caller(),
      contextFor: (extra) => this.#contextFor(extra as MessageExtra),
    });
  }

  /** The endpoint a key session (no member) serves, for logs and spans. */
  protected get keyEndpoint(): "sse" | "connect" {
    return "sse";
  }

  /** A grant's member on /internal, otherwise an anonymous key session (/sse, /connect). */
  #caller(): ToolCaller {
    const props = (this.props ?? {}) as Partial<IdentityProps>;
    return props.sub && props.email ? { endpoint: "internal", email: props.email } : { endpoint: this.keyEndpoint };
  }

  async #contextFor(extra: MessageExtra) {
    const props = (this.props ?? {}) as Partial<IdentityProps & KeySessionProps>;
    if (props.sub && props.email) return toolContextFor(this.env, { scope: "user", sub: props.sub, email: props.email });
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
 * The /connect sessions of bring-your-own-key OAuth grants: a class and binding of their own as well.
 * They run like /sse key sessions (the key's digest in props, the key on each request, put there by
 * src/mcp/connect-endpoint.ts from the grant in place of the OAuth token).
 */
export class PlausibleConnectSession extends PlausibleMcpSession {
  protected override get keyEndpoint(): "connect" {
    return "connect";
  }
}
