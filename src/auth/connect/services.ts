/** What the /connect connector hands to, and needs from, the rest of the worker. */

/** A grant's props on /connect: encrypted at rest by the provider, handed to the MCP handler as `ctx.props`. */
export interface ConnectProps {
  apiKey: string;
}

export type KeyCheck = { ok: true } | { ok: false; message: string };

/** What the connector needs from the rest of the worker. */
export interface ConnectServices {
  /** The MCP endpoint, reached once the provider has validated the request's token; `ctx.props` is `ConnectProps`. */
  mcp: { fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> };
  /** Checks a pasted key with one cheap request; `message` (Plausible's own text) is shown on the page. */
  checkKey(apiKey: string, env: Env): Promise<KeyCheck>;
}
