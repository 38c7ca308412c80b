import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig, type TestProjectInlineConfiguration } from "vitest/config";

// Code that runs on Workers is tested inside workerd; pure functions and the Node dev tools
// (simulator, scripts) are tested in Node, where files such as Plausible's reference schema can be
// read from disk. The Sentry privacy tests get a workerd project of their own, because the worker
// decides once, when it loads, whether Sentry is on (SENTRY_DSN). So do the production tests: they
// run [env.production] of wrangler.toml as deployed (its compatibility flags, among them
// global_fetch_strictly_public, and its variables), with only the secrets given here.
const SENTRY_TESTS = "test/observability/sentry-*.test.ts";
const PRODUCTION_TESTS = "test/production/**/*.test.ts";

const SECRETS = {
  OIDC_CLIENT_ID: "plausible-mcp-test-client",
  OIDC_CLIENT_SECRET: "test-oidc-client-secret-0123456789",
  PLAUSIBLE_API_KEY: "test-plausible-api-key",
  COOKIE_SECRET: "test-cookie-secret-0123456789abcdefghij",
  ADMIN_SESSION_SECRET: "test-admin-session-secret-0123456789abcdef",
};
const LOCAL_BINDINGS = {
  PLAUSIBLE_BASE_URL: "https://plausible.test",
  // Sign-in for /internal against the fake issuer in test/support/oidc-issuer.ts.
  OIDC_ISSUER: "http://127.0.0.1:9400",
  ALLOWED_EMAIL_DOMAINS: "example.com, @Example.org",
  MCP_ALLOWED_ORIGINS: "https://claude.ai",
  // Most test files send all their requests from one address; the per-address ceiling's own tests
  // (test/http/address-ceiling.test.ts) restore the defaults.
  ADDRESS_RATE_LIMIT_PER_MINUTE: "1000000",
  NEW_KEYS_PER_ADDRESS_PER_HOUR: "1000000",
  // Webhook retries back off from 1 ms, so the digest tests do not sleep.
  DIGEST_RETRY_BASE_MS: "1",
};

function workersProject(
  name: string,
  include: string[],
  exclude: string[],
  bindings: Record<string, string> = {},
  environment?: string,
): TestProjectInlineConfiguration {
  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: "./wrangler.toml", environment },
        miniflare: { bindings: { ...SECRETS, ...bindings } },
      }),
    ],
    test: {
      name,
      // The chart page the worker serves (wrangler's [build] command, which vitest does not run).
      globalSetup: ["scripts/build-chart.ts"],
      // Generous: a file's first call starts workerd's Durable Objects, slow on a busy 2-core
      // machine. Tests assert behaviour, never timings.
      testTimeout: 30_000,
      hookTimeout: 30_000,
      include,
      exclude,
    },
  };
}

/** The calibration tests of the analysis tools (issue 19): false-verdict rates and power over many synthetic series. */
const CALIBRATION_TESTS = "test/**/*-calibration.node.test.ts";

export default defineConfig({
  test: {
    projects: [
      // test/e2e runs against wrangler dev in Node: vitest.e2e.config.ts.
      workersProject(
        "workers",
        ["test/**/*.test.ts"],
        ["test/**/*.node.test.ts", "test/e2e/**", SENTRY_TESTS, PRODUCTION_TESTS],
        LOCAL_BINDINGS,
      ),
      workersProject("workers-sentry", [SENTRY_TESTS], ["test/**/*.node.test.ts"], {
        ...LOCAL_BINDINGS,
        // Envelopes to this DSN are captured at the fetch boundary (test/observability/sentry-capture.ts).
        SENTRY_DSN: "https://0123456789abcdef0123456789abcdef@o1.ingest.sentry.test/42",
        SENTRY_TRACES_SAMPLE_RATE: "1.0",
        // As npm run deploy sets it (scripts/deploy.ts).
        SENTRY_RELEASE: "plausible-mcp@0.1.0+0123456789ab",
      }),
      workersProject("workers-production", [PRODUCTION_TESTS], [], {}, "production"),
      {
        test: {
          name: "node",
          environment: "node",
          include: ["test/**/*.node.test.ts"],
          exclude: [CALIBRATION_TESTS],
          // Generous for the same reason: the simulator's start and the loops over synthetic sites slow down on a
          // busy machine. Tests assert behaviour, never timings.
          testTimeout: 120_000,
          hookTimeout: 60_000,
        },
      },
      {
        // Thousands of synthetic series per tool: run on their own after the other projects (see npm test), so
        // they do not starve tests that start servers.
        test: {
          name: "calibration",
          environment: "node",
          include: [CALIBRATION_TESTS],
          testTimeout: 3_600_000,
        },
      },
    ],
  },
});
