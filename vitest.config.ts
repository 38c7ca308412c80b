import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        bindings: { PLAUSIBLE_BASE_URL: "https://plausible.test" },
      },
    }),
  ],
  test: { include: ["test/**/*.test.ts"] },
});
