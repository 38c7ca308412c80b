import { JSONRPCMessageSchema } from "@modelcontextprotocol/sdk/types.js";
import { readBounded } from "../shared/read-bounded";
import type { Endpoint } from "../shared/endpoints";

/**
 * Request bodies: none over 1 MiB is read on an MCP endpoint (an MCP message is a few KiB), none
 * over 64 KiB anywhere else (a sign-in form, a token request or a client registration is a few
 * hundred bytes). The legacy SSE message endpoints get their body checked here too, because their
 * transport (agents' serveSSE) answers 500 to invalid JSON and to JSON that is not a JSON-RPC
 * message (its parse error does not survive the Durable Object RPC); they get the JSON-RPC error instead.
 */
export const MAX_REQUEST_BYTES = 1024 * 1024;
export const MAX_FORM_BYTES = 64 * 1024;

/**
 * The request to pass on, or the answer when the body is too large (413) or, on a legacy message
 * endpoint, not JSON (400). A declared Content-Length over the limit is refused unread; one within it
 * is where HTTP framing ends the body, so the request goes on as it came, its body unread. A body
 * without Content-Length (chunked) is read here, counted while it streams and never past the limit.
 */
export async function limitRequestBody(request: Request, endpoint: Endpoint): Promise<Request | Response> {
  if (request.body === null) return request;
  const mcp = endpoint.kind === "mcp";
  const limit = mcp ? MAX_REQUEST_BYTES : MAX_FORM_BYTES;
  const tooLarge = mcp ? mcpBodyTooLarge : formBodyTooLarge;

  const declared = Number(request.headers.get("content-length") ?? Number.NaN);
  if (declared > limit) {
    await request.body.cancel();
    return tooLarge();
  }
  const { pathname } = new URL(request.url);
  const checkJsonRpc = pathname === endpoint.legacyMessagePath && (request.headers.get("content-type") ?? "").includes("application/json");
  if (Number.isFinite(declared) && !request.headers.has("transfer-encoding") && !checkJsonRpc) return request;

  const body = await readBounded(request.body as ReadableStream<Uint8Array>, limit);
  if (body === undefined) return tooLarge();
  if (checkJsonRpc) {
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

function mcpBodyTooLarge(): Response {
  return jsonRpcError(
    413,
    -32600,
    `Request body is over the ${MAX_REQUEST_BYTES}-byte (1 MiB) limit. MCP messages are small: send less in one request.`,
  );
}

function formBodyTooLarge(): Response {
  return Response.json(
    {
      error: "invalid_request",
      error_description:
        `Request body is over the ${MAX_FORM_BYTES}-byte (64 KiB) limit of this endpoint. Sign-in forms, ` +
        "token requests and client registrations are small: send only the parameters the request needs.",
    },
    { status: 413, headers: { "Cache-Control": "no-store" } },
  );
}

function jsonRpcError(status: number, code: number, message: string): Response {
  return Response.json({ jsonrpc: "2.0", error: { code, message }, id: null }, { status, headers: { "Cache-Control": "no-store" } });
}
