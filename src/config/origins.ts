import { isSecureOrLoopbackUrl } from "../shared/loopback";
import { settingText } from "./settings";

/** What a usable PUBLIC_URL is, for the log line and the 503 of an endpoint that needs one. */
export const PUBLIC_URL_RULE = "must be the deployment's origin, https (http only on a loopback host), without a path";

/**
 * PUBLIC_URL, the deployment's origin, when it is usable: https (http only on a loopback host) and
 * nothing after the host. Undefined when unset or unusable; then there is no host to guard, no https
 * to insist on, and the connectors and /admin answer 503 naming it.
 */
export function readPublicUrl(env: Env): Readonly<URL> | undefined {
  // Every request's guards read it; the environment of a deployment does not change.
  if (!publicUrls.has(env)) publicUrls.set(env, parsePublicUrl(settingText(env, "PUBLIC_URL")));
  return publicUrls.get(env);
}

const publicUrls = new WeakMap<Env, Readonly<URL> | undefined>();

function parsePublicUrl(raw: string | undefined): Readonly<URL> | undefined {
  if (raw === undefined || !URL.canParse(raw)) return undefined;
  const url = new URL(raw);
  return isSecureOrLoopbackUrl(url) && url.pathname === "/" && !url.search && !url.hash ? url : undefined;
}

/** MCP_ALLOWED_ORIGINS: the browser origins that may call the MCP endpoints, lower-cased and without a trailing slash. */
export function readAllowedOrigins(env: Env): Set<string> {
  return new Set(
    (settingText(env, "MCP_ALLOWED_ORIGINS") ?? "")
      .split(",")
      .map((origin) => origin.trim().replace(/\/$/, "").toLowerCase())
      .filter(Boolean),
  );
}
