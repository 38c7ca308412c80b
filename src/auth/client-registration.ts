import type { ClientRegistrationCallbackOptions, ClientRegistrationCallbackResult } from "@cloudflare/workers-oauth-provider";
import { CONTROL_CHARACTERS } from "./oauth-requests";

/**
 * What dynamic client registration (RFC 7591) accepts beyond the provider's own checks, on /register
 * and /connect/register alike. Anyone may register and a record is kept for 90 days, so its size is
 * bounded: the texts shown on consent pages, the contacts and the redirect URIs.
 */
export const MAX_DISPLAY_CHARS = 200;
export const MAX_REDIRECT_URIS = 10;
export const MAX_REDIRECT_URI_CHARS = 2000;

/** Display fields, each also in localized forms such as `client_name#de`. */
const DISPLAY_FIELDS = ["client_name", "client_uri", "logo_uri", "policy_uri", "tos_uri", "software_id", "software_version"];

/** The RFC 7591 error for metadata this server does not store, or undefined to let the registration through. */
export function checkClientRegistration({
  clientMetadata,
}: ClientRegistrationCallbackOptions): ClientRegistrationCallbackResult | undefined {
  const name = clientMetadata.client_name;
  if (typeof name === "string" && CONTROL_CHARACTERS.test(name)) return { description: "client_name must not contain control characters" };
  for (const [field, value] of Object.entries(clientMetadata)) {
    if (DISPLAY_FIELDS.includes(field.split("#")[0]!) && typeof value === "string" && value.length > MAX_DISPLAY_CHARS) {
      return { description: `${field} must be at most ${MAX_DISPLAY_CHARS} characters` };
    }
  }
  const contacts = clientMetadata.contacts;
  if (
    Array.isArray(contacts) &&
    (contacts.length > MAX_REDIRECT_URIS || contacts.some((contact) => String(contact).length > MAX_DISPLAY_CHARS))
  ) {
    return { description: `contacts may list at most ${MAX_REDIRECT_URIS} addresses of at most ${MAX_DISPLAY_CHARS} characters each` };
  }
  const redirectUris = clientMetadata.redirect_uris;
  if (Array.isArray(redirectUris) && redirectUris.length > MAX_REDIRECT_URIS) {
    return { code: "invalid_redirect_uri", description: `redirect_uris may list at most ${MAX_REDIRECT_URIS} URIs` };
  }
  if (Array.isArray(redirectUris) && redirectUris.some((uri) => String(uri).length > MAX_REDIRECT_URI_CHARS)) {
    return { code: "invalid_redirect_uri", description: `each redirect URI must be at most ${MAX_REDIRECT_URI_CHARS} characters` };
  }
  return undefined;
}
