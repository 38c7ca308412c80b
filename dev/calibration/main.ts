// `npm run calibrate`: measures the analysis tools' false-verdict rates and
// power on synthetic traffic, prints the table and writes docs/calibration.md
// and docs/calibration.svg.
//   npm run calibrate -- [--runs 300] [--baseline <git-ref>] [--only <text>]
// src/ is not loadable by plain Node (extensionless imports, parameter
// properties), so the runner is bundled with esbuild into a temporary file,
// once with the working tree's src/ and, with --baseline, once with src/ as it
// was at that ref (from `git archive`), and each bundle runs in its own process.

import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { build } from "esbuild";
import type { Plugin } from "esbuild";
import type { Measurement } from "./measure.ts";
import { markdownReport, svgPlot, textTable } from "./report.ts";
import type { Column } from "./report.ts";

/** A Wednesday in mid-month: "month" is half over, and no window touches the partial today. */
const NOW = "2026-06-17T10:00:00Z";
const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const RUNNER = join(REPO, "dev/calibration/run.ts");

const { values } = parseArgs({
  options: { runs: { type: "string" }, baseline: { type: "string" }, only: { type: "string" }, help: { type: "boolean" } },
});
if (values.help) {
  process.stdout.write(
    "npm run calibrate -- [--runs N (default 300)] [--baseline GIT_REF] [--only TEXT (scenarios whose id contains it; prints only)]\n",
  );
  process.exit(0);
}
const runs = Number(values.runs ?? 300);
if (!Number.isInteger(runs) || runs < 1) {
  process.stderr.write(`--runs must be a positive whole number, got "${values.runs}".\n`);
  process.exit(2);
}

/** Sends the bundle's imports of <repo>/src/… to <root>/src/…, so it runs the tools as they were at a baseline. */
function sourcesFrom(root: string): Plugin {
  const current = join(REPO, "src") + sep;
  return {
    name: "baseline-src",
    setup(bundle) {
      bundle.onResolve({ filter: /^\.\.?\// }, async (args) => {
        if (args.pluginData === "baseline") return undefined;
        const target = resolve(args.resolveDir, args.path);
        if (!target.startsWith(current)) return undefined;
        const moved = join(root, "src", target.slice(current.length));
        const found = await bundle.resolve(`./${moved.split(sep).pop()}`, {
          resolveDir: dirname(moved),
          kind: args.kind,
          importer: args.importer,
          pluginData: "baseline",
        });
        return found.errors.length > 0 ? { errors: found.errors } : { path: found.path };
      });
    },
  };
}

async function bundleRunner(outfile: string, sourceRoot?: string): Promise<void> {
  await build({
    entryPoints: [RUNNER],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node22",
    logLevel: "warning",
    // The baseline's files live outside the repository; their packages come from its node_modules.
    nodePaths: [join(REPO, "node_modules")],
    banner: { js: 'import { createRequire } from "node:module"; const require = createRequire(import.meta.url);' },
    plugins: sourceRoot ? [sourcesFrom(sourceRoot)] : [],
  });
}

function runBundle(bundle: string, out: string, label: string): Measurement[] {
  const result = spawnSync(
    process.execPath,
    [bundle, "--runs", String(runs), "--now", NOW, "--out", out, "--label", label, ...(values.only ? ["--only", values.only] : [])],
    { stdio: ["ignore", "inherit", "inherit"] },
  );
  if (result.status !== 0) throw new Error(`The ${label} calibration run failed (exit ${result.status}).`);
  return JSON.parse(readFileSync(out, "utf8")) as Measurement[];
}

const work = mkdtempSync(join(tmpdir(), "calibrate-"));
try {
  await bundleRunner(join(work, "current.mjs"));
  const current: Column = { name: "after", measurements: runBundle(join(work, "current.mjs"), join(work, "current.json"), "after") };

  let baseline: Column | undefined;
  if (values.baseline) {
    const commit = execFileSync("git", ["rev-parse", "--verify", `${values.baseline}^{commit}`], { cwd: REPO, encoding: "utf8" }).trim();
    const root = join(work, "baseline");
    mkdirSync(root);
    const archive = execFileSync("git", ["archive", "--format=tar", commit, "src"], { cwd: REPO, maxBuffer: 256 * 1024 * 1024 });
    execFileSync("tar", ["-x", "-C", root], { input: archive });
    await bundleRunner(join(work, "baseline.mjs"), root);
    baseline = { name: values.baseline, measurements: runBundle(join(work, "baseline.mjs"), join(work, "baseline.json"), values.baseline) };
  }

  const command = `npm run calibrate --${values.baseline ? ` --baseline ${values.baseline}` : ""}${runs === 300 ? "" : ` --runs ${runs}`}`;
  const report = { runs, now: NOW, command, current, ...(baseline ? { baseline } : {}) };
  process.stdout.write(`${textTable(report)}\n`);
  if (values.only) {
    process.stdout.write("--only: the report in docs/ was left as it was.\n");
  } else {
    writeFileSync(join(REPO, "docs/calibration.md"), markdownReport(report));
    writeFileSync(join(REPO, "docs/calibration.svg"), svgPlot(report));
    process.stdout.write("Wrote docs/calibration.md and docs/calibration.svg.\n");
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
