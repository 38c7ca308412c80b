import { bearerKey, missingKeyResponse } from "./bearer-key";
import { sha256Hex } from "./hash";
import { PlausibleMcpSession, type KeySessionProps } from "./mcp-session";

/** /sse: the legacy HTTP+SSE transport (GET /sse, POST /sse/message) for bearer-key clients. */
export function createBearerSseHandler() {
  const sse = PlausibleMcpSession.serveSSE("/sse", { binding: "MCP_SESSION" });
  return async (request: Request, env: Env, ctx: ExecutionContext): Promise<Response> => {
    const apiKey = bearerKey(request.headers);
    if (!apiKey) return missingKeyResponse();
    const props: KeySessionProps = { keyHash: await sha256Hex(apiKey) };
    return sse.fetch(request, env, { waitUntil: (promise: Promise<unknown>) => ctx.waitUntil(promise), passThroughOnException: () => ctx.passThroughOnException(), props } as ExecutionContext);
  };
}
