// `npm run backtest:pacing`: the back-test of get_pacing's 80 % interval
// (dev/calibration/pacing.ts); prints the table and writes docs/pacing.md.
//   npm run backtest:pacing -- [--runs 1000] [--seed 24]
// src/ is not loadable by plain Node (extensionless imports), so the back-test is
// bundled with esbuild into a temporary file first, as npm run calibrate does.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { build } from "esbuild";

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

const { values } = parseArgs({ options: { runs: { type: "string" }, seed: { type: "string" } } });
const runs = Number(values.runs ?? 1000);
const seed = Number(values.seed ?? 24);
if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(seed)) {
  process.stderr.write(`--runs and --seed must be whole numbers, got "${values.runs}" and "${values.seed}".\n`);
  process.exit(2);
}

const work = mkdtempSync(join(tmpdir(), "backtest-pacing-"));
try {
  const bundle = join(work, "pacing.mjs");
  await build({
    entryPoints: [join(REPO, "dev/calibration/pacing.ts")],
    outfile: bundle,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node22",
    logLevel: "warning",
  });
  const pacing = (await import(pathToFileURL(bundle).href)) as typeof import("./pacing.ts");
  const results = await pacing.backtestPacing(runs, seed);
  const options = [...(runs === 1000 ? [] : [`--runs ${runs}`]), ...(seed === pacing.DEFAULT_SEED ? [] : [`--seed ${seed}`])];
  const command = ["npm run backtest:pacing", ...(options.length > 0 ? ["--", ...options] : [])].join(" ");
  const report = pacing.pacingReport(results, seed, command);
  writeFileSync(join(REPO, "docs/pacing.md"), report);
  process.stdout.write(`${report}\nWrote docs/pacing.md.\n`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
