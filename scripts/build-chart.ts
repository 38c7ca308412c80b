/**
 * Builds the chart app (src/ui/chart) into one self-contained HTML document,
 * src/ui/chart/chart.generated.html, which the worker serves as ui://plausible/chart.html.
 * MCP Apps hosts block CDNs, so the app and the ext-apps library are bundled with esbuild
 * and inlined into the page.
 *
 * Built on demand, never committed, so it cannot go stale: wrangler runs this as its
 * [build] command (wrangler dev, again whenever src/ui changes, and wrangler deploy), and
 * the workerd test projects of vitest.config.ts run it as their global setup.
 *
 *   node scripts/build-chart.ts
 */
import { readFile, rename, writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { build } from "esbuild";

const CHART_DIR = resolve(import.meta.dirname, "../src/ui/chart");
const OUTPUT = resolve(CHART_DIR, "chart.generated.html");
/** The page's script tag for the app, replaced by the bundle. */
const ENTRY_TAG = '<script type="module" src="./browser/main.ts"></script>';

/** The page with the bundled app inlined. */
async function chartPage(): Promise<string> {
  const [template, bundled] = await Promise.all([
    readFile(resolve(CHART_DIR, "page.html"), "utf8"),
    build({
      entryPoints: [resolve(CHART_DIR, "browser/main.ts")],
      bundle: true,
      format: "esm",
      platform: "browser",
      target: "es2022",
      minify: true,
      charset: "utf8",
      write: false,
      logLevel: "warning",
    }),
  ]);
  const script = bundled.outputFiles[0]!.text;
  if (!template.includes(ENTRY_TAG)) throw new Error(`src/ui/chart/page.html must load the app with ${ENTRY_TAG}`);
  // esbuild escapes "</script" in strings; the check keeps an inline script from ending early if it ever did not.
  if (/<\/script/i.test(script)) throw new Error('The chart bundle contains "</script" and cannot be inlined');
  return template.replace(ENTRY_TAG, () => `<script type="module">${script}</script>`);
}

/**
 * Writes the page when it changed, through a rename: the end-to-end tests start several
 * wrangler dev processes at once, each running this build and watching the file.
 */
export default async function buildChartPage(): Promise<void> {
  const page = await chartPage();
  const current = await readFile(OUTPUT, "utf8").catch(() => undefined);
  if (current === page) return;
  const partial = `${OUTPUT}.${process.pid}.partial`;
  await writeFile(partial, page);
  await rename(partial, OUTPUT);
}

if (import.meta.main) await buildChartPage();
