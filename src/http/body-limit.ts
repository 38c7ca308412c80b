import { JSONRPCMessageSchema } from "@modelcontextprotocol/sdk/types.js";
import { readBounded } from "../shared/read-bounded";
import { isMcpPath } from "./origin-host-guard";

/**
 * Request bodies on the MCP endpoints: none over 1 MiB is read (an MCP message
 * is a few KiB). The legacy SSE message endpoints get their body checked here
 * too, because their transport (agents' serveSSE) answers 500 to invalid JSON
 * and to JSON that is not a JSON-RPC message (its parse error does not survive
 * the Durable Object RPC); they get the JSON-RPC error instead.
 */
export const MAX_REQUEST_BYTES = 1024 * 1024;

const LEGACY_MESSAGE_PATHS = new Set(["/sse/message", "/internal/message"]);

/**
 * The request to pass on, its body read into memory, or the answer when the body
 * is too large (413) or, on a legacy message endpoint, not JSON (400). A body
 * without Content-Length (chunked) is counted while it streams.
 */
export async function limitRequestBody(request: Request): Promise<Request | Response> {
  const { pathname } = new URL(request.url);
  if (request.body === null || !isMcpPath(pathname)) return request;

  const declared = Number(request.headers.get("content-length") ?? Number.NaN);
  if (declared > MAX_REQUEST_BYTES) {
    await request.body.cancel();
    return tooLarge();
  }
  const body = await readBounded(request.body, MAX_REQUEST_BYTES);
  if (body === undefined) return tooLarge();

  if (LEGACY_MESSAGE_PATHS.has(pathname) && (request.headers.get("content-type") ?? "").includes("application/json")) {
    const refused = refuseNonJsonRpc(body);
    if (refused) return refused;
  }
  return new Request(request, { body });
}

/** A 400 with the JSON-RPC error for a body that is not JSON (-32700) or not one JSON-RPC message (-32600). */
function refuseNonJsonRpc(body: Uint8Array): Response | undefined {
  let message: unknown;
  try {
    message = JSON.parse(new TextDecoder().decode(body));
  } catch {
    return jsonRpcError(400, -32700, "Parse error: the request body is not valid JSON. Send one JSON-RPC message as JSON.");
  }
  if (!JSONRPCMessageSchema.safeParse(message).success) {
    return jsonRpcError(
      400,
      -32600,
      'Invalid Request: the body is not a JSON-RPC 2.0 message. Send one object with "jsonrpc": "2.0" (batches are not supported here).',
    );
  }
  return undefined;
}

function tooLarge(): Response {
  return jsonRpcError(
    413,
    -32600,
    `Request body is over the ${MAX_REQUEST_BYTES}-byte (1 MiB) limit. MCP messages are small: send less in one request.`,
  );
}

function jsonRpcError(status: number, code: number, message: string): Response {
  return Response.json({ jsonrpc: "2.0", error: { code, message }, id: null }, { status, headers: { "Cache-Control": "no-store" } });
}
