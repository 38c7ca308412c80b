export { parsePlausibleBaseUrl } from "./base-url";
export { canonicalJson } from "./canonical-json";
export { COMMUNITY_EDITION_FEATURES, featureRefusedIn, versionHint, versionTableMarkdown } from "./ce-versions";
export { PlausibleClient, type PlausibleClientOptions } from "./client";
export { isSitesApiMissing, PlausibleApiError, PlausibleConfigError, PlausibleResponseError, PlausibleUnavailableError } from "./errors";
export type * from "./types";
export { EVENT_DIMENSIONS, METRICS, NAMED_DATE_RANGES, TIME_DIMENSIONS, VISIT_DIMENSIONS } from "./vocabulary";
