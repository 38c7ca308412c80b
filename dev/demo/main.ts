// npm run demo: the whole system offline (Plausible simulator, local OpenID Connect issuer,
// wrangler dev) and how to connect an MCP client to it. Ctrl-C stops everything.

import { parseArgs } from "node:util";
import { DEMO_ALLOWED_EMAIL_DOMAINS, DEFAULT_PORTS, startDemoStack, type DemoStack } from "./stack.ts";
import { PortInUseError } from "./ports.ts";
import { describeDelivery, subscribeDemoDigest } from "./digest.ts";
import { seedDemoMemory, type SeededMemory } from "./seed-memory.ts";

const USAGE = `Usage: npm run demo -- [options]
  --port N              worker port (default ${DEFAULT_PORTS.worker}; 0 = any free port)
  --simulator-port N    Plausible simulator port (default ${DEFAULT_PORTS.simulator})
  --issuer-port N       OpenID Connect issuer port (default ${DEFAULT_PORTS.issuer})
  --sink-port N         local webhook sink port, for digests and alerts (default ${DEFAULT_PORTS.sink})
  --digest-now          send example.com's weekly digest to the sink at once (dev and demo only)
  --email ADDRESS       who signs in on /internal (default $DEMO_EMAIL or demo@example.com)
  --name NAME           that user's display name (default "Demo User")
  --allowed-domains D   ALLOWED_EMAIL_DOMAINS (default $ALLOWED_EMAIL_DOMAINS or ${DEMO_ALLOWED_EMAIL_DOMAINS})
  --persist-to DIR      wrangler dev's local storage (default .wrangler/demo-state)
  --community-edition   simulate Plausible Community Edition 3.2 (no Sites API, no "24h")
  --quiet               do not echo the worker's request log
  --help`;

const { values } = parseArgs({
  options: {
    port: { type: "string" },
    "simulator-port": { type: "string" },
    "issuer-port": { type: "string" },
    "sink-port": { type: "string" },
    "digest-now": { type: "boolean" },
    email: { type: "string" },
    name: { type: "string" },
    "allowed-domains": { type: "string" },
    "persist-to": { type: "string" },
    "community-edition": { type: "boolean" },
    quiet: { type: "boolean" },
    help: { type: "boolean" },
  },
});

if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}

function port(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0 || parsed > 65535) {
    process.stderr.write(`--${flag} must be a port number (0 for any free port), got "${value}".\n${USAGE}\n`);
    process.exit(2);
  }
  return parsed;
}

const email = values.email ?? process.env.DEMO_EMAIL ?? "demo@example.com";
const allowedEmailDomains = values["allowed-domains"] ?? process.env.ALLOWED_EMAIL_DOMAINS ?? DEMO_ALLOWED_EMAIL_DOMAINS;
let workerReady = false;
process.stderr.write("Starting the Plausible simulator, the local sign-in and wrangler dev...\n");

let stack: DemoStack;
try {
  stack = await startDemoStack({
    ports: {
      worker: port("port", values.port, DEFAULT_PORTS.worker),
      simulator: port("simulator-port", values["simulator-port"], DEFAULT_PORTS.simulator),
      issuer: port("issuer-port", values["issuer-port"], DEFAULT_PORTS.issuer),
      sink: port("sink-port", values["sink-port"], DEFAULT_PORTS.sink),
    },
    persistTo: values["persist-to"],
    simulator: { communityEdition: values["community-edition"] ?? false },
    user: { email, name: values.name ?? "Demo User" },
    allowedEmailDomains,
    // The request log is useful once the stack runs; the start-up banner is noise.
    onWorkerOutput: (line) => {
      if (workerReady && !values.quiet) process.stderr.write(`[worker] ${line}\n`);
    },
    onSinkDelivery: (delivery) => process.stdout.write(describeDelivery(delivery)),
  });
} catch (error) {
  process.stderr.write(`${error instanceof PortInUseError ? "" : "The demo could not start: "}${(error as Error).message}\n`);
  process.exit(1);
}
let seeded: SeededMemory;
try {
  seeded = await seedDemoMemory(stack);
} catch (error) {
  process.stderr.write(`The demo could not note its annotations and targets: ${(error as Error).message}\n`);
  await stack.stop();
  process.exit(1);
}
let digestSubscription: string;
try {
  digestSubscription = await subscribeDemoDigest(stack);
} catch (error) {
  process.stderr.write(`The demo could not subscribe its digest: ${(error as Error).message}\n`);
  await stack.stop();
  process.exit(1);
}
workerReady = true;

const { urls, apiKey } = stack;
const { spike, deploy } = stack.simulator.sites.find((site) => site.domain === "example.com")!.injected;
const example = seeded.sites.find((site) => site.domain === "example.com")!;
process.stdout.write(`
Plausible MCP demo is running (offline: simulated Plausible data, local sign-in).

  MCP (Streamable HTTP, your key as bearer)  ${urls.mcp}
  MCP (legacy SSE, same key)                 ${urls.sse}
  MCP connector (OAuth sign-in)              ${urls.internal}
  MCP connector (OAuth, your own key)        ${urls.connect} (paste ${apiKey} on its page)
  Admin page (members, revoke, audit)        ${urls.admin} (as ${stack.issuer.user.email})
  Home page                                  ${urls.worker}/
  Demo Plausible API key                     ${apiKey}
  Sites                                      ${stack.simulator.sites.map((site) => site.domain).join(", ")}
  Sign-in user                               ${stack.issuer.user.email} (allowed domains: ${allowedEmailDomains})
  Plausible simulator                        ${urls.simulator} (request counters: ${urls.simulator}/__sim/stats)
  OpenID Connect issuer                      ${urls.issuer}

Claude Code, bearer key:
  claude mcp add --transport http plausible-demo ${urls.mcp} --header "Authorization: Bearer ${apiKey}"

Claude Code, OAuth connector (run /mcp in Claude Code to sign in):
  claude mcp add --transport http plausible-demo-internal ${urls.internal}

Claude Code, bring-your-own-key connector (run /mcp in Claude Code, then paste ${apiKey}):
  claude mcp add --transport http plausible-demo-connect ${urls.connect}

MCP Inspector (CLI):
  npx @modelcontextprotocol/inspector --cli ${urls.mcp} --transport http --header "Authorization: Bearer ${apiKey}" --method tools/list
  npx @modelcontextprotocol/inspector --cli ${urls.mcp} --transport http --header "Authorization: Bearer ${apiKey}" --method tools/call \
--tool-name get_aggregate --tool-arg date_range=7d

Team memory (noted on every site, for the demo key and for the team on /internal; see it on ${urls.admin}/memory):
  "Is example.com on pace for its visitors target this month?"
     get_pacing: on pace for ... of the target of ${example.target.value} visitors in ${example.target.period}
  "What did the annotated deploy on example.com do to visitors of /pricing?"
     list_annotations finds "${example.deploy.text}" on ${example.deploy.date}; measure_impact with its annotation_id
     and page /pricing: an increase; explain_change names it next to its day

Digests and alerts (subscription ${digestSubscription} of the demo key; the sink prints what it receives):
  example.com's weekly digest goes to ${urls.sink}/demo on Mondays from 08:00 (Europe/Berlin), change alerts daily.
  npm run demo -- --digest-now                       sends the digest at once
  curl "${urls.worker}/__scheduled?cron=digest-now"   the same, while the demo runs
  Subscriptions of the team on /internal: ${urls.admin}/digests

Two questions to ask (the simulator planted the answers, see dev/plausible-simulator/README.md):
  "What happened on example.com in the last 7 days, and where did the extra visitors come from?"
     explain_change flags ${spike.date} and ranks ${spike.source} first
  "Did the deploy on ${deploy.date} change visitors to ${deploy.page}?"
     measure_impact: an increase, significant at 95 %
  npx @modelcontextprotocol/inspector --cli ${urls.mcp} --transport http --header "Authorization: Bearer ${apiKey}" --method tools/call \
--tool-name explain_change
  npx @modelcontextprotocol/inspector --cli ${urls.mcp} --transport http --header "Authorization: Bearer ${apiKey}" --method tools/call \
--tool-name measure_impact --tool-arg event=${deploy.date} --tool-arg page=${deploy.page}

Press Ctrl-C to stop.
`);

if (values["digest-now"]) await stack.runScheduled("digest-now");

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(130);
    stopping = true;
    process.stderr.write("\nStopping wrangler dev, the issuer and the simulator...\n");
    void stack.stop().then(() => process.exit(0));
  });
}
