import { PlausibleApiError } from "../plausible";

/**
 * The Sites API exists only on Plausible's Enterprise plans; Community Edition
 * and other plans answer 404. Tools that use it fall back and say so.
 */
export function isSitesApiMissing(error: unknown): boolean {
  return error instanceof PlausibleApiError && error.status === 404;
}
