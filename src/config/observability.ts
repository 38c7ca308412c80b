import { SERVER_INFO } from "../shared/server-identity";
import { settingText } from "./settings";

/** Sentry's settings; the SDK reads SENTRY_TRACES_SAMPLE_RATE from the environment itself. */
interface SentrySettings {
  /** `SENTRY_DSN` (a secret): without it nothing is sent anywhere. */
  dsn: string | undefined;
  release: string;
  environment: string;
}

export function readSentrySettings(env: Env): SentrySettings {
  return {
    dsn: settingText(env, "SENTRY_DSN"),
    release: settingText(env, "SENTRY_RELEASE") ?? `${SERVER_INFO.name}@${SERVER_INFO.version}`,
    environment: settingText(env, "SENTRY_ENVIRONMENT") ?? "development",
  };
}
