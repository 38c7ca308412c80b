import { describe, expect, it } from "vitest";
import { scrubBreadcrumb, scrubEvent, scrubSpan } from "../../src/observability/redact";
import { sentryOptions } from "../../src/observability/sentry-options";

const env = (vars: Record<string, string>) => vars as unknown as Env;

describe("sentryOptions", () => {
  it("is off without SENTRY_DSN: not enabled, nothing sampled", () => {
    const options = sentryOptions(env({ SENTRY_DSN: "  " }));
    expect(options).toMatchObject({ dsn: undefined, enabled: false, tracesSampleRate: 0 });
  });

  it("sets the DSN, a release and an environment when on", () => {
    expect(sentryOptions(env({ SENTRY_DSN: "https://k@o1.ingest.sentry.io/2" }))).toMatchObject({
      dsn: "https://k@o1.ingest.sentry.io/2",
      enabled: true,
      release: "plausible-mcp@0.1.0",
      environment: "development",
    });
    expect(
      sentryOptions(env({ SENTRY_DSN: "https://k@o1.ingest.sentry.io/2", SENTRY_RELEASE: "abc123", SENTRY_ENVIRONMENT: "production" })),
    ).toMatchObject({
      release: "abc123",
      environment: "production",
    });
  });

  it("collects nothing by itself and sends everything through the scrubbers", () => {
    const options = sentryOptions(env({ SENTRY_DSN: "https://k@o1.ingest.sentry.io/2" }));
    expect(options.dataCollection).toMatchObject({
      userInfo: false,
      cookies: false,
      httpHeaders: false,
      httpBodies: [],
      urlQueryParams: false,
      genAI: { inputs: false, outputs: false },
    });
    expect(options).toMatchObject({
      traceLifecycle: "stream",
      beforeSend: scrubEvent,
      beforeSendSpan: scrubSpan,
      beforeBreadcrumb: scrubBreadcrumb,
    });
  });
});
