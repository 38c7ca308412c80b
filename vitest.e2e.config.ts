import { defineConfig } from "vitest/config";

// End-to-end suite: real `wrangler dev`, the Plausible simulator, the local OpenID Connect
// issuer, real MCP clients and headless Chromium, all in plain Node. Each file starts its own
// stack on free ports (about two seconds), so files may run side by side.
export default defineConfig({
  test: {
    name: "e2e",
    environment: "node",
    include: ["test/e2e/*.e2e.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // A stack holds ports and child processes; failures are reported, never retried.
    retry: 0,
  },
});
