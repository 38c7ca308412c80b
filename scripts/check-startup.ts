/**
 * The production bundle's build and startup budget (npm run check:startup, part of npm test).
 * Builds the bundle with `wrangler deploy --dry-run --env production` (so a production bundle that
 * does not build fails CI), then profiles that very bundle's startup in a local workerd with
 * `wrangler check startup`: no account and no network. Fails when the gzipped bundle or the
 * active startup time exceeds its budget.
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
/** Runs wrangler with `args`; exits with its output when it fails. */
function runWrangler(args: string[]): string {
  const result = spawnSync(process.execPath, [wrangler, ...args], {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
  });
  const output = `${result.stdout}\n${result.stderr}`;
  if (result.status !== 0) {
    console.error(output);
    console.error(`wrangler ${args.slice(0, 2).join(" ")} failed (exit ${result.status}).`);
    process.exit(1);
  }
  return output;
}

let output: string;
try {
  // The bundle `wrangler deploy --env production` would upload ([env.production] minifies it).
  const bundle = join(dir, "worker.bundle");
  runWrangler(["deploy", "--dry-run", "--env", "production", "--outfile", bundle]);
  output = runWrangler(["check", "startup", "--env", "production", "--worker", bundle, "--outfile", join(dir, "startup.cpuprofile")]);
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
const bundle = `bundle ${gzipKiB} KiB gzipped (budget ${BUDGET.gzipKiB})`;
const summary = `${bundle}, active startup ${activeStartupMs} ms (budget ${BUDGET.activeStartupMs})`;
if (over.length > 0) {
  console.error(
    `Startup budget exceeded: ${over.join("; ")}. Profile it with npx wrangler check startup --env ` +
      "production and open the .cpuprofile in Chrome DevTools.",
  );
  process.exit(1);
}
console.log(`Startup within budget: ${summary}.`);
