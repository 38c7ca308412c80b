import { env } from "cloudflare:workers";
import { getAgentByName } from "agents";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { sha256Hex } from "../../src/shared/hash";
import { describeToolError } from "../../src/mcp/tool-errors";
import { usageAgentName } from "../../src/agent/usage-agent";
import { fromFailure, type UsageOutcome } from "../../src/agent/usage-outcome";
import type { PlausibleRequest } from "../../src/plausible";
import { defaultQueryAnswer, installFakePlausible, type FakePlausible } from "../support/fake-plausible";
import { connectBearer, textOf } from "../support/mcp-clients";
import { runParsed } from "../support/durable-objects";

// The circuit of a key's usage agent, with the defaults from wrangler.toml:
// 5 unavailable answers within 60 s open it for 30 s. The clock is moved with
// fake Date (the agents run in this isolate), never waited for.
let plausible: FakePlausible;
let down = false;
beforeEach(() => {
  plausible = installFakePlausible();
  down = false;
  plausible.use(() => (down ? new Response("bad gateway", { status: 502 }) : undefined));
});
afterEach(() => {
  plausible.restore();
  vi.useRealTimers();
});

const THRESHOLD = Number(env.CIRCUIT_FAILURE_THRESHOLD);
const COOLING_OFF_SECONDS = Number(env.CIRCUIT_COOLING_OFF_SECONDS);

let keyCounter = 0;
async function freshKey() {
  const apiKey = `circuit-${++keyCounter}-${crypto.randomUUID()}`;
  plausible.use((request) =>
    !down && request.authorization === `Bearer ${apiKey}` && request.path === "/api/v2/query"
      ? defaultQueryAnswer(request.body as never)
      : undefined,
  );
  const stub = await getAgentByName(env.USAGE, usageAgentName("key", await sha256Hex(apiKey)));
  const run = (requests: PlausibleRequest[]) => runParsed(stub, requests, apiKey);
  return { apiKey, run };
}

/** The tool error text a model would read for a failed outcome. */
function errorText(outcome: UsageOutcome | undefined): string {
  if (!outcome || outcome.ok) throw new Error("expected a failure");
  return describeToolError(fromFailure(outcome.failure));
}

const query = (site: string): PlausibleRequest => ({ kind: "query", body: { site_id: site, metrics: ["visitors"], date_range: "7d" } });

/** Sends THRESHOLD failing calls at once (distinct sites, so none coalesce) and returns their outcomes. */
async function tripCircuit(run: (requests: PlausibleRequest[]) => Promise<UsageOutcome>) {
  down = true;
  return Promise.all(Array.from({ length: THRESHOLD }, (_, index) => run([query(`trip-${index}.example.com`)])));
}

function coolOff() {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(Date.now() + (COOLING_OFF_SECONDS + 1) * 1000);
}

describe("circuit on a key's usage agent", () => {
  it("opens after repeated unavailable answers: the last one says how long the server waits", async () => {
    const { run } = await freshKey();
    const outcomes = await tripCircuit(run);
    expect(outcomes.every((outcome) => !outcome.ok && outcome.failure.kind === "unavailable")).toBe(true);
    const waits = outcomes.map((outcome) =>
      !outcome.ok && outcome.failure.kind === "unavailable" ? outcome.failure.retryAfterSeconds : -1,
    );
    expect(waits.filter((wait) => wait === 0)).toHaveLength(THRESHOLD - 1);
    const opening = outcomes[waits.findIndex((wait) => wait > 0)]!;
    expect(errorText(opening)).toContain(
      `After repeated failures the server will wait ${COOLING_OFF_SECONDS} s before calling Plausible again`,
    );
    expect(plausible.requests).toHaveLength(THRESHOLD * 2);
  });

  it("fails fast while open: no Plausible call, no token, and a message saying when it tries again", async () => {
    const { run } = await freshKey();
    await tripCircuit(run);
    const sent = plausible.requests.length;
    const refused = await Promise.all(Array.from({ length: 40 }, (_, index) => run([query(`waiting-${index}.example.com`)])));
    expect(refused.every((outcome) => !outcome.ok && outcome.failure.kind === "circuit_open")).toBe(true);
    expect(plausible.requests.length).toBe(sent);
    const text = errorText(refused[0]);
    expect(text).toMatch(
      /^Plausible is unavailable: Plausible failed repeatedly just now, so this server is not calling it for the next \d+ s/,
    );
    expect(text).toMatch(/Ask again in \d+ s/);
  });

  it("after cooling off lets one probe through; its success closes the circuit", async () => {
    const { run } = await freshKey();
    await tripCircuit(run);
    down = false;
    coolOff();
    // The probe is held at Plausible until the other calls have been answered.
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    plausible.use((request) =>
      (request.body as { site_id?: string } | undefined)?.site_id === "probe.example.com"
        ? gate.then(() => defaultQueryAnswer(request.body as never))
        : undefined,
    );
    const sent = plausible.requests.length;
    const probe = run([query("probe.example.com")]);
    const others = await Promise.all([run([query("other-1.example.com")]), run([query("other-2.example.com")])]);
    release();
    expect(await probe).toMatchObject({ ok: true });
    expect(others.every((outcome) => !outcome.ok && outcome.failure.kind === "circuit_open")).toBe(true);
    expect(plausible.requests.length).toBe(sent + 1);
    expect(await run([query("after.example.com")])).toMatchObject({ ok: true });
  });

  it("a failed probe opens it again", async () => {
    const { run } = await freshKey();
    await tripCircuit(run);
    coolOff();
    const probe = await run([query("probe-fails.example.com")]);
    expect(probe).toMatchObject({ ok: false, failure: { kind: "unavailable", retryAfterSeconds: COOLING_OFF_SECONDS } });
    expect(await run([query("still-down.example.com")])).toMatchObject({ ok: false, failure: { kind: "circuit_open" } });
  });

  it("cache hits are still answered while open", async () => {
    const { run } = await freshKey();
    await run([query("cached.example.com")]);
    await tripCircuit(run);
    expect(await run([query("cached.example.com")])).toMatchObject({ ok: true, cacheHits: 1 });
  });

  it("reaches an MCP client as a tool error that says Plausible is unavailable and for how long", async () => {
    const { apiKey, run } = await freshKey();
    await tripCircuit(run);
    const client = await connectBearer("streamable-http (SDK v1)", apiKey);
    const result = await client.callTool({ name: "get_aggregate", arguments: { site_id: "open-circuit.example.com" } });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/Plausible is unavailable: .* not calling it for the next \d+ s/);
    await client.close();
  });
});
