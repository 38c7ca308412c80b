// `npm run calibrate`: measures the analysis tools' false-verdict rates and
// power on synthetic traffic, prints the table and writes docs/calibration.md
// and docs/calibration.svg.
//   npm run calibrate -- [--runs 300] [--baseline <git-ref>] [--only <text>] [--jobs 2]
// src/ is not loadable by plain Node (extensionless imports, parameter
// properties), so the runner is bundled with esbuild into a temporary file,
// once with the working tree's src/ and, with --baseline, once with src/ as it
// was at that ref (from `git archive`), and each bundle runs in its own process.

import { execFileSync, spawn } from "node:child_process";
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
import { SCENARIOS } from "./scenarios.ts";

/** A Wednesday in mid-month: "month" is half over, and no window touches the partial today. */
const NOW = "2026-06-17T10:00:00Z";
const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const RUNNER = join(REPO, "dev/calibration/run.ts");

const { values } = parseArgs({
  options: {
    runs: { type: "string" },
    baseline: { type: "string" },
    only: { type: "string" },
    jobs: { type: "string" },
    help: { type: "boolean" },
  },
});
if (values.help) {
  process.stdout.write(
    "npm run calibrate -- [--runs N (default 300)] [--baseline GIT_REF] [--only TEXT (scenarios " +
      "whose id contains it; prints only)] [--jobs N (processes per column, default 2)]\n",
  );
  process.exit(0);
}
const runs = Number(values.runs ?? 300);
const jobs = Number(values.jobs ?? 2);
if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(jobs) || jobs < 1) {
  process.stderr.write(`--runs and --jobs must be positive whole numbers, got "${values.runs}" and "${values.jobs}".\n`);
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

/** Runs a bundle in `jobs` processes, each on its share of the scenarios; the measurements in the scenarios' order. */
async function runBundle(bundle: string, label: string): Promise<Measurement[]> {
  const shards = await Promise.all(
    Array.from({ length: jobs }, (_, shard) => {
      const out = `${bundle}.${shard}.json`;
      const args = [bundle, "--runs", String(runs), "--now", NOW, "--out", out, "--label", label, "--shard", `${shard}/${jobs}`];
      const child = spawn(process.execPath, [...args, ...(values.only ? ["--only", values.only] : [])], {
        stdio: ["ignore", "inherit", "inherit"],
      });
      return new Promise<Measurement[]>((done, fail) => {
        child.on("error", fail);
        child.on("exit", (code) =>
          code === 0
            ? done(JSON.parse(readFileSync(out, "utf8")) as Measurement[])
            : fail(new Error(`The ${label} calibration run failed (exit ${code}).`)),
        );
      });
    }),
  );
  const order = new Map(SCENARIOS.map((scenario, index) => [scenario.id, index]));
  return shards.flat().sort((a, b) => order.get(a.id)! - order.get(b.id)!);
}

const work = mkdtempSync(join(tmpdir(), "calibrate-"));
try {
  await bundleRunner(join(work, "current.mjs"));
  let baselineBundle: string | undefined;
  if (values.baseline) {
    const commit = execFileSync("git", ["rev-parse", "--verify", `${values.baseline}^{commit}`], { cwd: REPO, encoding: "utf8" }).trim();
    const root = join(work, "baseline");
    mkdirSync(root);
    const archive = execFileSync("git", ["archive", "--format=tar", commit, "src"], { cwd: REPO, maxBuffer: 256 * 1024 * 1024 });
    execFileSync("tar", ["-x", "-C", root], { input: archive });
    baselineBundle = join(work, "baseline.mjs");
    await bundleRunner(baselineBundle, root);
  }
  // Both columns at once: the machine's cores, not one process, set the pace.
  const [currentMeasurements, baselineMeasurements] = await Promise.all([
    runBundle(join(work, "current.mjs"), "after"),
    baselineBundle ? runBundle(baselineBundle, values.baseline!) : Promise.resolve(undefined),
  ]);
  const current: Column = { name: "after", measurements: currentMeasurements };
  const baseline: Column | undefined = baselineMeasurements ? { name: values.baseline!, measurements: baselineMeasurements } : undefined;

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
