import type { CloudflareOptions } from "@sentry/cloudflare";
import { readSentrySettings } from "../config";
import { scrubBreadcrumb, scrubEvent, scrubSpan } from "./redact";

/**
 * The one Sentry configuration, for the worker and every Durable Object. The SDK
 * collects nothing on its own (no headers, cookies, bodies, query strings, IP,
 * tool inputs or outputs, SQL parameters, local variables); what the code adds
 * explicitly for /internal is kept, and everything passes through the scrubbers.
 */
export function sentryOptions(env: Env): CloudflareOptions {
  const { dsn, release, environment } = readSentrySettings(env);
  return {
    dsn,
    enabled: dsn !== undefined,
    release,
    environment,
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
