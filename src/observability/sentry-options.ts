import type { CloudflareOptions } from "@sentry/cloudflare";
import { SERVER_INFO } from "../shared/server-identity";
import { scrubBreadcrumb, scrubEvent, scrubSpan } from "./redact";

/** Set with `wrangler secret put SENTRY_DSN`; without it nothing is sent anywhere. */
interface SentrySettings {
  SENTRY_DSN?: string;
  SENTRY_RELEASE?: string;
  SENTRY_ENVIRONMENT?: string;
}

/**
 * The one Sentry configuration, for the worker and every Durable Object. The SDK
 * collects nothing on its own (no headers, cookies, bodies, query strings, IP,
 * tool inputs or outputs, SQL parameters, local variables); what the code adds
 * explicitly for /internal is kept, and everything passes through the scrubbers.
 */
export function sentryOptions(env: Env): CloudflareOptions {
  const settings = env as Env & SentrySettings;
  const dsn = settings.SENTRY_DSN?.trim() || undefined;
  return {
    dsn,
    enabled: dsn !== undefined,
    release: settings.SENTRY_RELEASE?.trim() || `${SERVER_INFO.name}@${SERVER_INFO.version}`,
    environment: settings.SENTRY_ENVIRONMENT?.trim() || "development",
    // Without a DSN no span is recorded at all; with one, SENTRY_TRACES_SAMPLE_RATE decides.
    ...(dsn ? {} : { tracesSampleRate: 0 }),
    dataCollection: {
      userInfo: false,
      cookies: false,
      httpHeaders: false,
      httpBodies: [],
      urlQueryParams: false,
      graphQL: { document: false, variables: false },
      // /internal turns these on for its own MCP server (src/observability/mcp-telemetry.ts).
      genAI: { inputs: false, outputs: false },
      databaseQueryData: false,
      queues: false,
      stackFrameVariables: false,
      frameContextLines: 0,
    },
    traceLifecycle: "stream",
    beforeSend: scrubEvent,
    beforeSendSpan: scrubSpan,
    beforeBreadcrumb: scrubBreadcrumb,
  };
}
