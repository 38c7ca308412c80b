import { readAdminSettings } from "./admin";
import { readAuthConfig, readConnectConfig } from "./connectors";
import { readDigestConfig } from "./digests";
import { readAddressLimits, readMaxResultChars, readSessionIdleSeconds, readUsageConfig } from "./limits";
import { readAgentPlacement } from "./placement";
import { SettingError } from "./settings";

// An isolate keeps one env object, so each is checked once.
const checked = new WeakMap<Env, SettingError | undefined>();

/** The first setting every endpoint needs that is set but invalid, checked by the worker before it serves a request. */
export function invalidSetting(env: Env): SettingError | undefined {
  if (checked.has(env)) return checked.get(env);
  let invalid: SettingError | undefined;
  try {
    readUsageConfig(env);
    readSessionIdleSeconds(env);
    readMaxResultChars(env);
    readAddressLimits(env);
    readAgentPlacement(env);
    readDigestConfig(env);
  } catch (error) {
    if (!(error instanceof SettingError)) throw error;
    invalid = error;
  }
  checked.set(env, invalid);
  return invalid;
}

/**
 * Which optional parts this deployment has the settings for (the bearer-key endpoints need none):
 * the home page lists them, and each part answers 503 or 404 by the same readers while it has not.
 */
export interface Configured {
  /** /internal: the team's connector (sign-in provider, shared key, PUBLIC_URL, KV). */
  internal: boolean;
  /** /connect: the bring-your-own-key connector (PUBLIC_URL, KV). */
  connect: boolean;
  /** /admin: administrators named, their session secret, and /internal's sign-in. */
  admin: boolean;
}

export function whatIsConfigured(env: Env): Configured {
  const internal = readAuthConfig(env).ok;
  const admin = readAdminSettings(env);
  return {
    internal,
    connect: readConnectConfig(env).ok,
    admin: internal && admin.emails.size > 0 && admin.sessionSecret !== undefined,
  };
}
