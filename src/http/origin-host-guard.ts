import { readAllowedOrigins, readPublicUrl } from "../config";
import { isMcpPath } from "../shared/endpoints";
import { isLoopbackHostname } from "../shared/loopback";

/**
 * DNS-rebinding and cross-site protection for the MCP endpoints (MCP transport spec: servers MUST
 * validate Origin). A browser page on another site cannot call /internal, /connect, /mcp or /sse with a
 * user's ambient network position; clients that are not browsers send no Origin and pass.
 */

/** A 403 for a foreign Host (any path, once PUBLIC_URL is set) or a foreign Origin (MCP paths and their preflights). */
export function refuseUntrustedRequest(request: Request, env: Env): Response | undefined {
  const url = new URL(request.url);
  // Without a valid PUBLIC_URL there is no host to compare with. The connectors, which need it,
  // answer 503 naming PUBLIC_URL (src/config/origins.ts); /mcp and /sse authenticate every request
  // with the caller's own key and hold no ambient credential a rebinding page could borrow, so
  // they keep serving, with the Origin check below.
  const publicUrl = readPublicUrl(env);
  if (publicUrl && !isTrustedHost(request.headers.get("Host") ?? url.host, publicUrl)) {
    return forbidden("This server does not answer for this host name.");
  }
  const origin = request.headers.get("Origin");
  if (origin !== null && isMcpPath(url.pathname) && !readAllowedOrigins(env).has(origin.toLowerCase())) {
    return forbidden("This origin may not call this MCP server; ask the administrator to add it to MCP_ALLOWED_ORIGINS.");
  }
  return undefined;
}

/**
 * The request without `x-agents-*` headers: the agents library uses them between the worker and a
 * Durable Object (a session's props travel in one), so a client must never be able to set them.
 */
export function withoutAgentHeaders(request: Request): Request {
  const internal = [...request.headers.keys()].filter((name) => name.toLowerCase().startsWith("x-agents-"));
  if (internal.length === 0) return request;
  const headers = new Headers(request.headers);
  for (const name of internal) headers.delete(name);
  return new Request(request, { headers });
}

/**
 * CORS on the MCP endpoints only for allowlisted origins: the allowlisted origin is reflected, and a
 * request without Origin gets no CORS headers at all (the MCP transports otherwise add "*").
 */
export function applyMcpCors(request: Request, env: Env, response: Response): Response {
  if (!isMcpPath(new URL(request.url).pathname)) return response;
  const origin = request.headers.get("Origin");
  const allowed = origin !== null && readAllowedOrigins(env).has(origin.toLowerCase());
  const current = response.headers.get("Access-Control-Allow-Origin");
  if (allowed ? current === origin : current === null) return response;
  const headers = new Headers(response.headers);
  if (allowed) {
    headers.set("Access-Control-Allow-Origin", origin);
    headers.set("Vary", "Origin");
  } else {
    for (const name of [...headers.keys()]) if (name.startsWith("access-control-")) headers.delete(name);
  }
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

/**
 * PUBLIC_URL's host. When PUBLIC_URL is itself on loopback (wrangler dev), any loopback host is
 * accepted, since localhost and 127.0.0.1 name the same machine.
 */
function isTrustedHost(host: string, publicUrl: URL): boolean {
  const requested = host.toLowerCase();
  if (requested === publicUrl.host) return true;
  const hostname = hostnameOf(requested);
  return isLoopbackHostname(publicUrl.hostname) && hostname !== undefined && isLoopbackHostname(hostname);
}

function hostnameOf(host: string): string | undefined {
  try {
    return new URL(`http://${host}`).hostname;
  } catch {
    return undefined;
  }
}

function forbidden(message: string): Response {
  return Response.json({ error: "forbidden", error_description: message }, { status: 403, headers: { "Cache-Control": "no-store" } });
}
