import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { getAgentByName } from "agents";
import { afterEach, beforeEach, describe, expect, it, onTestFinished, vi } from "vitest";
import { sha256Hex } from "../../src/shared/hash";
import { SHARED_KEY_GUARD_MIGRATIONS } from "../../src/agent/migrations";
import { SharedKeyGuard, sharedKeyGuardName } from "../../src/agent/shared-key-guard";
import { describeToolError } from "../../src/mcp/tool-errors";
import { usageAgentName } from "../../src/agent/usage-agent";
import { fromFailure, type UsageOutcome } from "../../src/agent/usage-outcome";
import type { PlausibleRequest } from "../../src/plausible";
import { defaultQueryAnswer, installFakePlausible, plausibleError, TEXTS, type FakePlausible } from "../support/fake-plausible";
import { runParsed } from "../support/durable-objects";

// The shared key behind /internal: one guard counts its calls per UTC hour for
// every user, after each user's own bucket. The clock is moved with fake Date.
const SHARED_KEY = (env as unknown as { PLAUSIBLE_API_KEY: string }).PLAUSIBLE_API_KEY;
const LIMIT = Number(env.PLAUSIBLE_HOURLY_LIMIT);
const BURST = Number(env.RATE_LIMIT_BURST);
const THRESHOLD = Number(env.CIRCUIT_FAILURE_THRESHOLD);
const COOLING_OFF_SECONDS = Number(env.CIRCUIT_COOLING_OFF_SECONDS);
const MEMBER_LIMIT = Number(env.PLAUSIBLE_USER_HOURLY_LIMIT);
const HOUR_MS = 3_600_000;

let plausible: FakePlausible;
let sharedKeyAnswer: (request: { body: unknown }) => Response = (request) => defaultQueryAnswer(request.body as never);
beforeEach(async () => {
  plausible = installFakePlausible();
  sharedKeyAnswer = (request) => defaultQueryAnswer(request.body as never);
  plausible.use((request) =>
    request.authorization === `Bearer ${SHARED_KEY}` && request.path === "/api/v2/query" ? sharedKeyAnswer(request) : undefined,
  );
  await setUsed(0);
});
afterEach(() => {
  plausible.restore();
  vi.useRealTimers();
});

async function guard() {
  return env.SHARED_KEY_GUARD.get(env.SHARED_KEY_GUARD.idFromName(await sharedKeyGuardName(SHARED_KEY)));
}

/** Puts this hour's count of the shared key at `used`. */
async function setUsed(used: number, closed = false) {
  await runInDurableObject(await guard(), (_guard: SharedKeyGuard, state) => {
    const hourStart = Math.floor(Date.now() / HOUR_MS) * HOUR_MS;
    state.storage.sql.exec("DELETE FROM shared_key_hour");
    state.storage.sql.exec(
      "INSERT INTO shared_key_hour (id, hour_start_ms, used, closed) VALUES (1, ?, ?, ?)",
      hourStart,
      used,
      closed ? 1 : 0,
    );
  });
}

let userCounter = 0;
async function freshUserAgent() {
  return getAgentByName(env.USAGE, usageAgentName("user", await sha256Hex(`quota-user-${++userCounter}-${crypto.randomUUID()}`)));
}
async function freshUser() {
  const stub = await freshUserAgent();
  return (requests: PlausibleRequest[]) => runParsed(stub, requests);
}

/** Puts this hour's count of one member's requests on the shared key at `used`. */
async function setMemberUsed(stub: Awaited<ReturnType<typeof freshUserAgent>>, used: number) {
  await runInDurableObject(stub, (_agent, state) => {
    const hourStart = Math.floor(Date.now() / HOUR_MS) * HOUR_MS;
    state.storage.sql.exec(
      "INSERT INTO member_hour (id, hour_start_ms, used, closed) VALUES (1, ?, ?, 0) ON CONFLICT (id) " +
        "DO UPDATE SET hour_start_ms = excluded.hour_start_ms, used = excluded.used",
      hourStart,
      used,
    );
  });
}

/** The tool error text a model would read for a failed outcome. */
function errorText(outcome: UsageOutcome | undefined): string {
  if (!outcome || outcome.ok) throw new Error("expected a failure");
  return describeToolError(fromFailure(outcome.failure));
}

const query = (site: string): PlausibleRequest => ({ kind: "query", body: { site_id: site, metrics: ["visitors"], date_range: "7d" } });

function toNextHour() {
  const next = (Math.floor(Date.now() / HOUR_MS) + 1) * HOUR_MS;
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(next + 1_000);
}

describe("shared-key quota guard", () => {
  it("is exact under concurrency: of 100 simultaneous takes, exactly what is left passes", async () => {
    await setUsed(LIMIT - 7);
    const stub = await guard();
    const admissions = await Promise.all(Array.from({ length: 100 }, () => stub.admit(1)));
    expect(admissions.filter((admission) => admission.admitted)).toHaveLength(7);
    expect(await stub.usage()).toMatchObject({ used: LIMIT, limit: LIMIT, closed: false });
  });

  it("refuses users before Plausible does, saying when capacity returns, and takes from every user's calls", async () => {
    await setUsed(LIMIT - 3);
    const users = await Promise.all(Array.from({ length: 6 }, () => freshUser()));
    const outcomes = await Promise.all(users.map((run, index) => run([query(`team-${index}.example.com`)])));
    expect(outcomes.filter((outcome) => outcome.ok)).toHaveLength(3);
    const refused = outcomes.filter((outcome) => !outcome.ok);
    expect(refused).toHaveLength(3);
    for (const outcome of refused)
      expect(outcome).toMatchObject({ ok: false, failure: { kind: "shared_quota", reason: "hourly_limit", hourlyLimit: LIMIT } });
    expect(plausible.requests).toHaveLength(3);
    const failure = (refused[0] as { failure: { retryAfterSeconds: number } }).failure;
    expect(failure.retryAfterSeconds).toBeGreaterThan(0);
    expect(failure.retryAfterSeconds).toBeLessThanOrEqual(3600);
    const text = errorText(refused[0]);
    expect(text).toContain(
      `The team's shared Plausible key has used its ${LIMIT} calls for this hour; capacity returns in ` +
        `${failure.retryAfterSeconds} s, when the hour turns (UTC).`,
    );
  });

  it("applies each user's bucket first, so a refused call takes no quota", async () => {
    const run = await freshUser();
    const outcomes = await Promise.all(Array.from({ length: BURST + 15 }, (_, index) => run([query(`heavy-${index}.example.com`)])));
    expect(outcomes.filter((outcome) => outcome.ok)).toHaveLength(BURST);
    expect(outcomes.filter((outcome) => !outcome.ok && outcome.failure.kind === "rate_limited")).toHaveLength(15);
    expect((await (await guard()).usage()).used).toBe(BURST);
  });

  it("keeps its schema with the project's migrations, in storage of its own", async () => {
    const versions = await runInDurableObject(await guard(), (_guard: SharedKeyGuard, state) =>
      state.storage.sql
        .exec<{ name: string }>("SELECT name FROM schema_version ORDER BY version")
        .toArray()
        .map((row) => row.name),
    );
    expect(versions).toEqual(SHARED_KEY_GUARD_MIGRATIONS.map((migration) => migration.name));
  });

  it("gives the user's tokens back when the shared quota refuses", async () => {
    await setUsed(LIMIT);
    const stub = await getAgentByName(env.USAGE, usageAgentName("user", await sha256Hex(`refund-user-${crypto.randomUUID()}`)));
    const outcomes: UsageOutcome[] = [];
    for (let index = 0; index < BURST + 5; index += 1) outcomes.push(await runParsed(stub, [query(`refused-${index}.example.com`)]));
    // One after another, every call reached the guard: none was refused by the user's own bucket.
    expect(outcomes.every((outcome) => !outcome.ok && outcome.failure.kind === "shared_quota")).toBe(true);
    const tokens = await runInDurableObject(
      stub,
      (_agent, state) => state.storage.sql.exec<{ tokens: number }>("SELECT tokens FROM token_bucket").one().tokens,
    );
    expect(tokens).toBeGreaterThanOrEqual(BURST - 1);
    expect(plausible.requests).toHaveLength(0);
  });

  it("charges one call per Plausible request, none for cache hits", async () => {
    const run = await freshUser();
    await run([query("pair-a.example.com"), query("pair-b.example.com")]);
    await run([query("pair-a.example.com")]);
    expect((await (await guard()).usage()).used).toBe(2);
  });

  it("still answers from the cache once the hour's quota is used", async () => {
    const run = await freshUser();
    await run([query("kept.example.com")]);
    await setUsed(LIMIT);
    expect(await run([query("kept.example.com")])).toMatchObject({ ok: true, cacheHits: 1 });
    expect(await run([query("new.example.com")])).toMatchObject({ ok: false, failure: { kind: "shared_quota" } });
  });

  it("opens again when the UTC hour turns", async () => {
    await setUsed(LIMIT);
    const run = await freshUser();
    expect(await run([query("late.example.com")])).toMatchObject({ ok: false, failure: { kind: "shared_quota" } });
    toNextHour();
    expect(await run([query("late.example.com")])).toMatchObject({ ok: true });
    expect((await (await guard()).usage()).used).toBe(1);
  });

  it("closes the shared key until the hour turns after Plausible answers 429", async () => {
    sharedKeyAnswer = () => plausibleError(429, TEXTS.rateLimited);
    const first = await freshUser();
    const limited = await first([query("limited.example.com")]);
    expect(limited).toMatchObject({ ok: false, failure: { kind: "plausible_api", status: 429, plausibleMessage: TEXTS.rateLimited } });
    expect(errorText(limited)).toContain(`Plausible answered 429: ${TEXTS.rateLimited}`);

    sharedKeyAnswer = (request) => defaultQueryAnswer(request.body as never);
    const other = await freshUser();
    const refused = await other([query("someone-else.example.com")]);
    expect(refused).toMatchObject({ ok: false, failure: { kind: "shared_quota", reason: "plausible_limit" } });
    expect(errorText(refused)).toMatch(
      /Plausible refused the team's shared key for too many requests; this server stops using it until the hour turns \(UTC\), in \d+ s\./,
    );
    expect(plausible.requests).toHaveLength(1);

    toNextHour();
    expect(await other([query("someone-else.example.com")])).toMatchObject({ ok: true });
  });
});

describe("each member's share of the shared key", () => {
  it("stops one member's burst at PLAUSIBLE_USER_HOURLY_LIMIT, saying it is per member, while another member gets through", async () => {
    const heavy = await freshUserAgent();
    await setMemberUsed(heavy, MEMBER_LIMIT - 2);
    const outcomes = (await Promise.all(
      Array.from({ length: 6 }, (_, index) => runParsed(heavy, [query(`share-${index}.example.com`)])),
    )) as UsageOutcome[];
    expect(outcomes.filter((outcome) => outcome.ok)).toHaveLength(2);
    const refused = outcomes.filter((outcome) => !outcome.ok);
    expect(refused).toHaveLength(4);
    for (const outcome of refused)
      expect(outcome).toMatchObject({ ok: false, failure: { kind: "shared_quota", reason: "member_limit", hourlyLimit: MEMBER_LIMIT } });
    const text = errorText(refused[0]);
    expect(text).toContain(
      `You have used your ${MEMBER_LIMIT} Plausible requests on the team's shared key for this hour; the limit is per member`,
    );
    expect(text).toMatch(/Your capacity returns in \d+ s, when the hour turns \(UTC\)\./);
    // The refusals took nothing from the team's quota and sent nothing.
    expect((await (await guard()).usage()).used).toBe(2);
    expect(plausible.requests).toHaveLength(2);

    const colleague = await freshUser();
    expect(await colleague([query("share-0.example.com")])).toMatchObject({ ok: true });
    toNextHour();
    expect(await runParsed(heavy, [query("share-next-hour.example.com")])).toMatchObject({ ok: true });
  });

  it("counts a retried request twice, for the team and for the member", async () => {
    let answered = 0;
    sharedKeyAnswer = (request) => (answered++ === 0 ? new Response("busy", { status: 502 }) : defaultQueryAnswer(request.body as never));
    const member = await freshUserAgent();
    expect(await runParsed(member, [query("retried.example.com")])).toMatchObject({ ok: true });
    expect(plausible.requests).toHaveLength(2);
    expect((await (await guard()).usage()).used).toBe(2);
    const memberUsed = await runInDurableObject(
      member,
      (_agent, state) => state.storage.sql.exec<{ used: number }>("SELECT used FROM member_hour").one().used,
    );
    expect(memberUsed).toBe(2);
  });

  it("counts every page of a Sites API list", async () => {
    plausible.use((request) =>
      request.path === "/api/v1/sites"
        ? Response.json(
            request.search.get("after") === "page-2"
              ? { sites: [{ domain: "second.example.com" }], meta: { after: null, before: null, limit: 1 } }
              : { sites: [{ domain: "first.example.com" }], meta: { after: "page-2", before: null, limit: 1 } },
          )
        : undefined,
    );
    const member = await freshUserAgent();
    expect(await runParsed(member, [{ kind: "sites" }])).toMatchObject({
      ok: true,
      answers: [[{ domain: "first.example.com" }, { domain: "second.example.com" }]],
    });
    expect(plausible.requests).toHaveLength(2);
    expect((await (await guard()).usage()).used).toBe(2);
  });

  it("does not send a retry the team's quota has no room for", async () => {
    sharedKeyAnswer = () => new Response("busy", { status: 502 });
    await setUsed(LIMIT - 1);
    const outcome = await (await freshUser())([query("no-room.example.com")]);
    expect(outcome).toMatchObject({ ok: false, failure: { kind: "shared_quota", reason: "hourly_limit" } });
    expect(plausible.requests).toHaveLength(1);
    expect((await (await guard()).usage()).used).toBe(LIMIT);
  });
});

describe("shared-key circuit", () => {
  /** Counts the reports the guard receives from here on (the guard runs in this isolate, so its class can be watched). */
  function countReports() {
    const report = vi.spyOn(SharedKeyGuard.prototype, "report");
    onTestFinished(() => report.mockRestore());
    return () => report.mock.calls.map(([outcome]) => outcome);
  }

  it("takes a success on a clean circuit without a second round trip to the guard", async () => {
    const run = await freshUser();
    // The first success of an agent is reported, which leaves the circuit clean whatever earlier tests left.
    expect(await run([query("clean-1.example.com")])).toMatchObject({ ok: true });
    const reports = countReports();
    expect(await run([query("clean-2.example.com")])).toMatchObject({ ok: true });
    expect(await run([query("clean-3.example.com")])).toMatchObject({ ok: true });
    expect(reports()).toEqual([]);
  });

  it("still reports a success admitted after a failure, which clears the failures before it", async () => {
    const run = await freshUser();
    expect(await run([query("clear-0.example.com")])).toMatchObject({ ok: true });
    const reports = countReports();
    const outage = async (from: number) => {
      sharedKeyAnswer = () => new Response("down", { status: 503 });
      const users = await Promise.all(Array.from({ length: THRESHOLD - 1 }, () => freshUser()));
      await Promise.all(users.map((user, index) => user([query(`clear-${from + index}.example.com`)])));
      sharedKeyAnswer = (request) => defaultQueryAnswer(request.body as never);
    };
    await outage(1);
    expect(await run([query("clear-after.example.com")])).toMatchObject({ ok: true });
    expect(reports().at(-1)).toBe("answered");
    // Had the success not been reported, these would be the THRESHOLD-th failure and more, and open the circuit.
    await outage(100);
    expect(await run([query("clear-still-closed.example.com")])).toMatchObject({ ok: true });
    expect((await (await guard()).usage()).circuit.open).toBe(false);
  });

  it("opens for every user after repeated unavailable answers, and one probe closes it", async () => {
    sharedKeyAnswer = () => new Response("down", { status: 503 });
    const users = await Promise.all(Array.from({ length: THRESHOLD }, () => freshUser()));
    const failures = await Promise.all(users.map((run, index) => run([query(`outage-${index}.example.com`)])));
    expect(failures.every((outcome) => !outcome.ok && outcome.failure.kind === "unavailable")).toBe(true);
    const sent = plausible.requests.length;

    const bystander = await freshUser();
    const fast = await bystander([query("bystander.example.com")]);
    expect(fast).toMatchObject({ ok: false, failure: { kind: "circuit_open" } });
    expect(plausible.requests.length).toBe(sent);
    // Each unavailable call was sent twice (the client's retry), and the guard counts what was sent.
    const usedWhileOpen = (await (await guard()).usage()).used;
    expect(usedWhileOpen).toBe(2 * THRESHOLD);

    sharedKeyAnswer = (request) => defaultQueryAnswer(request.body as never);
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + (COOLING_OFF_SECONDS + 1) * 1000);
    expect(await bystander([query("bystander.example.com")])).toMatchObject({ ok: true });
    expect(await users[0]!([query("outage-0.example.com")])).toMatchObject({ ok: true });
  });
});
