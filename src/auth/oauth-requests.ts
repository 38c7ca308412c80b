import { AuthorizationError, CimdFetchError, authorizationErrorRedirect, type AuthRequest } from "@cloudflare/workers-oauth-provider";
import { logAuthorization } from "../observability/structured-log";
import { refusalPage } from "../pages/html";
import { OidcError } from "./oidc";

/** The steps both connectors (/internal, /connect) take with an authorization request. */

/** Control characters have no business in OAuth parameters or client metadata; CR/LF are header-injection attempts. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
export const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

function redirect(location: string): Response {
  return new Response(null, { status: 302, headers: { Location: location, "Cache-Control": "no-store" } });
}

/**
 * The provider lets confidential clients skip PKCE; this server requires it of every client. The
 * error redirect back to the client when `authRequest` has no code challenge, else undefined.
 */
export function refuseWithoutPkce(authRequest: AuthRequest): Response | undefined {
  if (authRequest.codeChallenge) return undefined;
  return redirect(authorizationErrorRedirect(authRequest, "invalid_request", "PKCE with code_challenge_method=S256 is required"));
}

/** The answer to an error thrown while authorizing: back to the client when the provider says so, else a refusal page. */
export function renderError(error: unknown): Response {
  if (error instanceof AuthorizationError && error.redirectTo) return redirect(error.redirectTo);
  if (error instanceof AuthorizationError) return refusalPage(400, "Invalid request", error.description);
  if (error instanceof CimdFetchError)
    return refusalPage(400, "Invalid request", "This app could not be verified: its client metadata document could not be fetched.");
  if (error instanceof OidcError && error.kind === "rejected") {
    logAuthorization("refused", error.message);
    return refusalPage(403, "Sign-in failed", error.message);
  }
  if (error instanceof OidcError) return refusalPage(502, "Sign-in unavailable", error.message);
  throw error;
}
