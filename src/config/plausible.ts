import { settingText } from "./settings";

/** Where Plausible is and which key the team shares; the base URL is checked where it is used (src/plausible/base-url.ts). */
interface PlausibleSettings {
  /** `PLAUSIBLE_BASE_URL` as set; undefined means Plausible Cloud. A bad one is a tool error naming it, not a 503. */
  baseUrl: string | undefined;
  /** `PLAUSIBLE_DEFAULT_SITE_ID`: the site a question that names none is about. */
  defaultSiteId: string | undefined;
  /** `PLAUSIBLE_API_KEY`: the team's shared key behind /internal. */
  sharedApiKey: string | undefined;
}

export function readPlausibleSettings(env: Env): PlausibleSettings {
  return {
    baseUrl: settingText(env, "PLAUSIBLE_BASE_URL"),
    defaultSiteId: settingText(env, "PLAUSIBLE_DEFAULT_SITE_ID"),
    sharedApiKey: settingText(env, "PLAUSIBLE_API_KEY"),
  };
}

const PLAUSIBLE_CLOUD_HOST = "plausible.io";

/** Whether `PLAUSIBLE_BASE_URL` is Plausible Cloud (its default); a malformed URL is reported where it is used. */
export function isPlausibleCloud(env: Env): boolean {
  const { baseUrl } = readPlausibleSettings(env);
  return baseUrl === undefined || (URL.canParse(baseUrl) && new URL(baseUrl).hostname === PLAUSIBLE_CLOUD_HOST);
}
