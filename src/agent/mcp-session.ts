import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { McpAgent } from "agents/mcp";
import { ToolInputError } from "../tools";
import { instrumentMcpServer } from "../observability/mcp-telemetry";
import type { ToolCaller } from "../observability/tool-call";
import { bearerKey } from "./bearer-key";
import { sha256Hex } from "./hash";
import { registerPromptsAndResources } from "./register-prompts-and-resources";
import { registerTools } from "./register-tools";
import { SERVER_INFO, SERVER_OPTIONS } from "./server-info";
import { toolContextFor } from "./tool-context";

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
