import type { OAuthProviderOptions } from "@cloudflare/workers-oauth-provider";
import { checkClientRegistration } from "./client-registration";

/**
 * The callbacks both connectors (/internal, /connect) build their OAuth servers with: dynamic
 * client registration checked by `checkClientRegistration`, and each error logged by its reason slug
 * under `[connector]` (diagnostic, never a secret; the request body is never logged).
 */
export function connectorCallbacks(connector: string): Pick<OAuthProviderOptions<Env>, "clientRegistrationCallback" | "onError"> {
  return {
    clientRegistrationCallback: checkClientRegistration,
    onError: ({ code, status, internal }) => {
      console.warn(`[${connector}] OAuth error ${status} ${code}: ${internal.category}/${internal.reason}`);
    },
  };
}

/**
 * A connector's OAuth servers, built once per isolate and reused while its configuration and the
 * handler behind it are unchanged, not once per request.
 */
export function memoPerConfig<Config, Handler, Built>(
  build: (config: Config, handler: Handler) => Built,
): (config: Config, handler: Handler) => Built {
  let cached: { key: string; handler: Handler; built: Built } | undefined;
  return (config, handler) => {
    const key = JSON.stringify(config);
    if (cached?.key === key && cached.handler === handler) return cached.built;
    const built = build(config, handler);
    cached = { key, handler, built };
    return built;
  };
}
