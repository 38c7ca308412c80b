import { readAllowedOrigins, readPublicUrl } from "../config";
import { endpointFor } from "../shared/endpoints";
import { isLoopbackHostname } from "../shared/loopback";

/** What every response says about itself: never sniffed, never cached, and over https, https only from now on. */
const HSTS = "max-age=63072000; includeSubDomains";

/**
 * A 400 for plain http to a non-loopback host when the deployment is https: a key or token sent
 * that way has already crossed the network in clear, and the client must be told to fix its URL.
 * Runs before anything reads a key.
 */
export function refusePlainHttp(request: Request, env: Env): Response | undefined {
  const url = new URL(request.url);
  if (url.protocol !== "http:" || isLoopbackHostname(url.hostname)) return undefined;
  const publicUrl = readPublicUrl(env);
  if (publicUrl?.protocol !== "https:") return undefined;
  return Response.json(
    {
      error: "invalid_request",
      error_description:
        `This server only answers over https. Use ${publicUrl.origin}${url.pathname} (https, not http), ` +
        "and treat any key or token already sent over http as exposed.",
    },
    { status: 400 },
  );
}

/**
 * 204 with CORS headers for a preflight on a bearer-key endpoint (/mcp, /sse) from an allowed origin (a foreign one was
 * refused already), without a key. The OAuth connectors answer their own preflights.
 */
export function answerBearerPreflight(request: Request, env: Env): Response | undefined {
  const { pathname } = new URL(request.url);
  const origin = request.headers.get("Origin");
  if (request.method !== "OPTIONS" || origin === null || endpointFor(pathname)?.auth !== "bearer-key") return undefined;
  if (!readAllowedOrigins(env).has(origin.toLowerCase())) return undefined;
  return new Response(null, {
    status: 204,
    headers: {
      "Access-Control-Allow-Origin": origin,
      "Access-Control-Allow-Methods": "GET, POST, DELETE, OPTIONS",
      "Access-Control-Allow-Headers": "Authorization, Content-Type, Accept, Last-Event-ID, mcp-session-id, mcp-protocol-version",
      "Access-Control-Expose-Headers": "WWW-Authenticate, mcp-session-id",
      "Access-Control-Max-Age": "86400",
      Vary: "Origin",
    },
  });
}

/** `response` with X-Content-Type-Options, Cache-Control: no-store and, for an https request, HSTS. */
export function withSecurityHeaders(request: Request, response: Response): Response {
  // A WebSocket upgrade's response cannot be rebuilt; this worker hands none to clients, but stays safe.
  if (response.webSocket) return response;
  const headers = new Headers(response.headers);
  headers.set("X-Content-Type-Options", "nosniff");
  headers.set("Cache-Control", "no-store");
  if (new URL(request.url).protocol === "https:") headers.set("Strict-Transport-Security", HSTS);
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}
