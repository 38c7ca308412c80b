/**
 * The production bundle's startup budget (npm run check:startup, part of npm test). Runs
 * `wrangler check startup --env production`, which builds the bundle as `wrangler deploy --dry-run`
 * would and profiles its startup in a local workerd: no account and no network. Fails when the
 * gzipped bundle or the active startup time exceeds its budget.
 *
 * Cloudflare refuses to deploy a Worker whose startup exceeds its limit. The budget is several
 * times today's figures, so a slower or busier machine passes, and catches a dependency or a
 * top-level computation that multiplies the startup work.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";

const BUDGET = { gzipKiB: 1024, activeStartupMs: 400 };

const root = resolve(import.meta.dirname, "..");
const wrangler = join(dirname(createRequire(import.meta.url).resolve("wrangler/package.json")), "bin", "wrangler.js");
const dir = mkdtempSync(join(tmpdir(), "startup-profile-"));
let output: string;
try {
  const result = spawnSync(process.execPath, [wrangler, "check", "startup", "--env", "production", "--outfile", join(dir, "startup.cpuprofile")], {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
  });
  output = `${result.stdout}\n${result.stderr}`;
  if (result.status !== 0) {
    console.error(output);
    console.error(`wrangler check startup failed (exit ${result.status}).`);
    process.exit(1);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const gzipKiB = Number(/gzip: ([\d.]+) KiB/.exec(output)?.[1]);
const activeStartupMs = Number(/Active: ([\d.]+) ms/.exec(output)?.[1]);
if (!Number.isFinite(gzipKiB) || !Number.isFinite(activeStartupMs)) {
  console.error(output);
  console.error("Could not read the bundle size and startup time from wrangler check startup's output (did its format change?).");
  process.exit(1);
}

const over = [
  gzipKiB > BUDGET.gzipKiB ? `bundle ${gzipKiB} KiB gzipped exceeds ${BUDGET.gzipKiB} KiB` : "",
  activeStartupMs > BUDGET.activeStartupMs ? `active startup ${activeStartupMs} ms exceeds ${BUDGET.activeStartupMs} ms` : "",
].filter(Boolean);
const summary = `bundle ${gzipKiB} KiB gzipped (budget ${BUDGET.gzipKiB}), active startup ${activeStartupMs} ms (budget ${BUDGET.activeStartupMs})`;
if (over.length > 0) {
  console.error(`Startup budget exceeded: ${over.join("; ")}. Profile it with npx wrangler check startup --env production and open the .cpuprofile in Chrome DevTools.`);
  process.exit(1);
}
console.log(`Startup within budget: ${summary}.`);
