import { parseDomains, randomSecret } from "./settings";

/** /admin's own settings; it signs administrators in with /internal's (src/config/connectors.ts). */
interface AdminSettings {
  /** ADMIN_EMAILS, lower-cased; empty turns /admin off (404). Parsed like ALLOWED_EMAIL_DOMAINS: comma-separated, trimmed. */
  emails: Set<string>;
  /** ADMIN_SESSION_SECRET when it is a usable random secret. */
  sessionSecret: string | undefined;
}

export function readAdminSettings(env: Env): AdminSettings {
  return { emails: new Set(parseDomains(env.ADMIN_EMAILS)), sessionSecret: randomSecret(env, "ADMIN_SESSION_SECRET") };
}
