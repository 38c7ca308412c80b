export { parsePlausibleBaseUrl } from "./base-url";
export { canonicalJson } from "./canonical-json";
export { PlausibleClient, type PlausibleClientOptions } from "./client";
export { PlausibleApiError, PlausibleConfigError, PlausibleResponseError, PlausibleUnavailableError } from "./errors";
export type * from "./types";
