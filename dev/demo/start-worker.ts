// `wrangler dev` without its inspector, for measurements: node dev/demo/start-worker.ts '<JSON options>'.
//
// The CLI always opens an inspector, and wrangler receives every console line of the worker through it: under
// `wrangler dev` each line costs CPU in the worker's runtime, in the proxy's and in wrangler's Node, which a
// deployed worker never pays. wrangler's own API can leave the inspector out; the lines then come as plain output.

import { createRequire } from "node:module";

interface StartWorkerOptions {
  cwd: string;
  config: string;
  port: number;
  persistTo: string;
  vars: Record<string, string>;
}

const options = JSON.parse(process.argv[2] ?? "{}") as StartWorkerOptions;
// The wrangler of the repository that is measured, as the CLI path uses.
const { unstable_startWorker } = createRequire(`${options.cwd}/package.json`)("wrangler") as typeof import("wrangler");
const worker = await unstable_startWorker({
  config: options.config,
  bindings: Object.fromEntries(Object.entries(options.vars).map(([name, value]) => [name, { type: "plain_text", value }])),
  dev: {
    server: { hostname: "127.0.0.1", port: options.port },
    inspector: false,
    persist: options.persistTo,
    watch: false,
  },
});
await worker.ready;
const stop = () => void worker.dispose().finally(() => process.exit(0));
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
