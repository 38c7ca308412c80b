// CLI: starts the simulator and prints one JSON line once it listens, e.g.
//   node dev/plausible-simulator/main.ts --port 0 --latency-ms 0
// Notices go to stderr so stdout stays machine-readable.

import { parseArgs } from "node:util";
import { startSimulator } from "./server.ts";

const USAGE = `Usage: node dev/plausible-simulator/main.ts [options]
  --port N            port to listen on (default 0: any free port)
  --host ADDR         interface to bind (default 127.0.0.1)
  --seed N            seed of the synthetic data (default 1)
  --now ISO           moment the data ends (default: now)
  --latency-ms N      delay before each API response (default 0)
  --jitter-ms N       extra random delay up to N ms (default 0)
  --hourly-limit N    requests per key per hour before 429 (default 600)
  --key KEY[=SITES]   extra API key; SITES is a comma list of domains (default: all)
  --schema PATH       Plausible's query-api-schema.json (default: $PLAUSIBLE_QUERY_SCHEMA or ../shared/plausible/)
  --community-edition answer as Community Edition 3.2: no Sites API (406 HTML), no "24h"
  --synthetic DOMAIN  list this synthetic site (*.synthetic.test, see README) in the Sites API; repeatable
  --help`;

function number(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < 0) {
    process.stderr.write(`--${name} must be a non-negative number, got "${value}".\n${USAGE}\n`);
    process.exit(2);
  }
  return parsed;
}

const { values } = parseArgs({
  options: {
    port: { type: "string" },
    host: { type: "string" },
    seed: { type: "string" },
    now: { type: "string" },
    "latency-ms": { type: "string" },
    "jitter-ms": { type: "string" },
    "hourly-limit": { type: "string" },
    key: { type: "string", multiple: true },
    schema: { type: "string" },
    "community-edition": { type: "boolean" },
    synthetic: { type: "string", multiple: true },
    help: { type: "boolean" },
  },
});

if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}

const now = values.now === undefined ? undefined : Date.parse(values.now);
if (now !== undefined && !Number.isFinite(now)) {
  process.stderr.write(`--now must be an ISO 8601 date-time, got "${values.now}".\n`);
  process.exit(2);
}

const keys: Record<string, "*" | string[]> = {};
for (const entry of values.key ?? []) {
  const [key = "", sites] = entry.split("=", 2);
  keys[key] = sites ? sites.split(",") : "*";
}

const simulator = await startSimulator({
  port: number("port", values.port),
  host: values.host,
  seed: number("seed", values.seed),
  now,
  keys,
  schemaPath: values.schema,
  latencyMs: number("latency-ms", values["latency-ms"]),
  jitterMs: number("jitter-ms", values["jitter-ms"]),
  hourlyLimit: number("hourly-limit", values["hourly-limit"]),
  communityEdition: values["community-edition"] ?? false,
  syntheticSites: values.synthetic ?? [],
});

process.stdout.write(
  `${JSON.stringify({
    url: simulator.url,
    port: simulator.port,
    sites: simulator.sites.map((site) => site.domain),
    schemaValidation: simulator.schemaValidation,
  })}\n`,
);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    void simulator.close().then(() => process.exit(0));
  });
}
