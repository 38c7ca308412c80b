import { PlausibleApiError } from "../plausible";

/**
 * The Sites API exists only on Plausible Cloud. Community Edition has no such
 * routes: the request falls through to an HTML catch-all page that answers 406
 * to `Accept: application/json`; other setups answer 404. Tools that use it
 * fall back and say so.
 */
export function isSitesApiMissing(error: unknown): boolean {
  return error instanceof PlausibleApiError && (error.status === 404 || error.status === 406);
}
