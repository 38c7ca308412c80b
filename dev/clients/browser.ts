import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext } from "playwright-core";

/** Debian's chromium package; never a downloaded browser. CHROMIUM_PATH overrides it. */
const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const chromiumAvailable = existsSync(CHROMIUM_PATH);
export const MISSING_CHROMIUM =
  `The browser tests need Chromium at ${CHROMIUM_PATH} (playwright-core drives it; no browser is downloaded). ` +
  "Install it with: apt-get install -y chromium (or set CHROMIUM_PATH).";

const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export interface HeadlessBrowser {
  /** A fresh profile: no cookies, no remembered consent. */
  newContext(): Promise<BrowserContext>;
  close(): Promise<void>;
}

/** Headless Chromium with a fresh user-data directory per context. */
export async function launchHeadlessChromium(): Promise<HeadlessBrowser> {
  const contexts: Array<{ context: BrowserContext; dir: string }> = [];
  return {
    async newContext() {
      const dir = mkdtempSync(join(tmpdir(), "plausible-mcp-chromium-"));
      const context = await chromium.launchPersistentContext(dir, { executablePath: CHROMIUM_PATH, headless: true, args: ARGS });
      contexts.push({ context, dir });
      return context;
    },
    async close() {
      for (const { context, dir } of contexts.splice(0)) {
        await context.close();
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
