import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

// Two projects: code that runs on Workers is tested inside workerd; pure
// functions and the Node dev tools (simulator, scripts) are tested in Node,
// where files such as Plausible's reference schema can be read from disk.
export default defineConfig({
  test: {
    projects: [
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              bindings: {
                PLAUSIBLE_BASE_URL: "https://plausible.test",
                // Sign-in for /internal against the fake issuer in test/support/oidc-issuer.ts.
                OIDC_ISSUER: "http://127.0.0.1:9400",
                OIDC_CLIENT_ID: "plausible-mcp-test-client",
                OIDC_CLIENT_SECRET: "test-oidc-client-secret-0123456789",
                PLAUSIBLE_API_KEY: "test-plausible-api-key",
                ALLOWED_EMAIL_DOMAINS: "example.com, @Example.org",
                MCP_ALLOWED_ORIGINS: "https://claude.ai",
              },
            },
          }),
        ],
        test: {
          name: "workers",
          // Generous: a file's first call starts workerd's Durable Objects, slow on a busy 2-core
          // machine. Tests assert behaviour, never timings.
          testTimeout: 30_000,
          hookTimeout: 30_000,
          include: ["test/**/*.test.ts"],
          // test/e2e runs against wrangler dev in Node: vitest.e2e.config.ts.
          exclude: ["test/**/*.node.test.ts", "test/e2e/**"],
        },
      },
      {
        test: {
          name: "node",
          environment: "node",
          include: ["test/**/*.node.test.ts"],
        },
      },
    ],
  },
});
