import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { getAgentByName } from "agents";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { sha256Hex } from "../../src/shared/hash";
import { applyMigrations, MIGRATIONS } from "../../src/agent/migrations";
import { usageAgentName, type UsageAgent } from "../../src/agent/usage-agent";
import type { PlausibleRequest } from "../../src/plausible";
import { retryWhileDestroying, runParsed } from "../support/durable-objects";
import { installFakePlausible, plausibleError, type FakePlausible } from "../support/fake-plausible";
import type { ResultCache } from "../../src/agent/result-cache";

// Storage is shared by the tests of this file, so each test uses its own key
// (and so its own agent), from the fake's set of valid keys or a fresh one.
let plausible: FakePlausible;
beforeEach(() => {
  plausible = installFakePlausible();
});
afterEach(() => plausible.restore());

let keyCounter = 0;
async function freshAgent() {
  const apiKey = `usage-test-${++keyCounter}-${crypto.randomUUID()}`;
  // The fake knows only its own keys; this file's fresh keys are valid too.
  plausible.use((request) => (request.authorization === `Bearer ${apiKey}` ? validAnswer(request) : undefined));
  const name = usageAgentName("key", await sha256Hex(apiKey));
  const stub = await getAgentByName(env.USAGE, name);
  return { apiKey, name, stub, run: (requests: PlausibleRequest[]) => runParsed(stub, requests, apiKey) };
}

function validAnswer(request: { path: string; body: unknown }): Response | undefined {
  if (request.path === "/api/v1/stats/realtime/visitors") return Response.json(3);
  if (request.path !== "/api/v2/query") return undefined;
  return Response.json({ results: [{ metrics: [42], dimensions: [] }], meta: {}, query: request.body });
}

/** The cache's rows once `count` are written: an answer is cached just after it has been sent. */
async function writtenRows(stub: DurableObjectStub<UsageAgent>, count: number) {
  const rows = () =>
    runInDurableObject(stub, (_agent: UsageAgent, state) =>
      state.storage.sql
        .exec<{ cache_key: string; ttl: number }>("SELECT cache_key, expires_ms - stored_ms AS ttl FROM result_cache")
        .toArray(),
    );
  await vi.waitFor(async () => expect(await rows()).toHaveLength(count));
  return rows();
}

/** The cache keeps JSON text; these tests put values in and read them back. */
const put = (cache: ResultCache, key: string, value: unknown, ttlSeconds: number, now: number) =>
  cache.setJson(key, JSON.stringify(value), ttlSeconds, now);
const read = (cache: ResultCache, key: string, now: number): unknown => {
  const body = cache.getJson(key, now);
  return body === undefined ? undefined : JSON.parse(body);
};

const query = (site: string, date_range: string | [string, string] = "7d"): PlausibleRequest => ({
  kind: "query",
  body: { site_id: site, metrics: ["visitors"], date_range },
});

describe("token bucket", () => {
  // The agent runs in this isolate, so this stops the clock for it too: on a loaded machine the calls
  // below can take over a second, and a token refilled meanwhile would let one more through.
  beforeEach(() => vi.useFakeTimers({ toFake: ["Date"] }));
  afterEach(() => vi.useRealTimers());

  it("lets exactly the burst through when 100 calls arrive at once", async () => {
    const { run } = await freshAgent();
    const outcomes = await Promise.all(Array.from({ length: 100 }, (_, index) => run([query(`site-${index}.example.com`)])));
    const passed = outcomes.filter((outcome) => outcome.ok);
    const limited = outcomes.filter((outcome) => !outcome.ok && outcome.failure.kind === "rate_limited");
    expect(passed).toHaveLength(30);
    expect(limited).toHaveLength(70);
    expect(plausible.requests).toHaveLength(30);
  });

  it("says how many seconds until the next token, and does not call Plausible", async () => {
    const { run } = await freshAgent();
    for (let index = 0; index < 30; index += 1) expect((await run([query(`s${index}.example.com`)])).ok).toBe(true);
    const refused = await run([query("one-more.example.com")]);
    expect(refused).toEqual({ ok: false, failure: { kind: "rate_limited", retryAfterSeconds: 1, scope: "key" } });
    expect(plausible.requests).toHaveLength(30);
  });

  it("takes one token per Plausible request, all or none", async () => {
    const { run, stub } = await freshAgent();
    for (let index = 0; index < 29; index += 1) await run([query(`s${index}.example.com`)]);
    const pair = await run([query("a.example.com"), query("b.example.com")]);
    expect(pair.ok).toBe(false);
    const tokens = await runInDurableObject(
      stub,
      (agent: UsageAgent, state) => state.storage.sql.exec<{ tokens: number }>("SELECT tokens FROM token_bucket").one().tokens,
    );
    expect(tokens).toBeGreaterThanOrEqual(1);
    expect(tokens).toBeLessThan(2);
  });

  it("does not charge cache hits", async () => {
    const { run } = await freshAgent();
    await run([query("cached.example.com")]);
    for (let index = 0; index < 29; index += 1) await run([query(`s${index}.example.com`)]);
    const hits = await Promise.all(Array.from({ length: 10 }, () => run([query("cached.example.com")])));
    expect(hits.every((outcome) => outcome.ok && outcome.cacheHits === 1)).toBe(true);
  });
});

describe("result cache", () => {
  it("answers a repeated request from the cache, with one Plausible call", async () => {
    const { run } = await freshAgent();
    const first = await run([query("repeat.example.com")]);
    const second = await run([query("repeat.example.com")]);
    expect(first).toMatchObject({ ok: true, cacheHits: 0 });
    expect(second).toMatchObject({ ok: true, cacheHits: 1 });
    expect(second.ok && second.answers).toEqual(first.ok && first.answers);
    expect(plausible.requests).toHaveLength(1);
  });

  it("keeps historical ranges for CACHE_TTL_SECONDS and recent ones for 60 s", async () => {
    const { run, stub } = await freshAgent();
    await run([query("old.example.com", ["2024-01-01", "2024-01-31"]), query("recent.example.com", "7d")]);
    const ttls = await writtenRows(stub, 2);
    expect(ttls.find((row) => row.cache_key.includes("old.example.com"))?.ttl).toBe(3_600_000);
    expect(ttls.find((row) => row.cache_key.includes("recent.example.com"))?.ttl).toBe(60_000);
  });

  it("asks Plausible again once an entry has expired", async () => {
    const { run, stub } = await freshAgent();
    await run([query("expiring.example.com")]);
    await writtenRows(stub, 1);
    await runInDurableObject(stub, (_agent: UsageAgent, state) => state.storage.sql.exec("UPDATE result_cache SET expires_ms = 0"));
    const again = await run([query("expiring.example.com")]);
    expect(again).toMatchObject({ ok: true, cacheHits: 0 });
    expect(plausible.requests).toHaveLength(2);
  });

  it("never caches realtime visitors", async () => {
    const { run } = await freshAgent();
    const realtime: PlausibleRequest = { kind: "realtime", siteId: "live.example.com" };
    await run([realtime]);
    const second = await run([realtime]);
    expect(second).toMatchObject({ ok: true, cacheHits: 0, answers: [3] });
    expect(plausible.requests).toHaveLength(2);
  });

  it("keeps nothing of a failed request", async () => {
    const { run } = await freshAgent();
    let failNext = true;
    plausible.use((request) => {
      if (!failNext || request.path !== "/api/v2/query") return undefined;
      failNext = false;
      return plausibleError(400, "Invalid filters.");
    });
    const failed = await run([query("flaky.example.com")]);
    expect(failed).toMatchObject({ ok: false, failure: { kind: "plausible_api", status: 400, plausibleMessage: "Invalid filters." } });
    expect(await run([query("flaky.example.com")])).toMatchObject({ ok: true, cacheHits: 0 });
    expect(plausible.requests).toHaveLength(2);
  });

  it("shares one Plausible request among identical concurrent misses, charging one token", async () => {
    const { run, stub } = await freshAgent();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    plausible.use((request) =>
      request.path === "/api/v2/query"
        ? gate.then(() => Response.json({ results: [{ metrics: [5], dimensions: [] }], meta: {}, query: request.body }))
        : undefined,
    );
    const pending = Array.from({ length: 5 }, () => run([query("together.example.com")]));
    await new Promise((resolve) => setTimeout(resolve, 50));
    release();
    const outcomes = await Promise.all(pending);
    expect(outcomes.every((outcome) => outcome.ok && outcome.answers[0] !== undefined)).toBe(true);
    expect(plausible.requests).toHaveLength(1);
    const tokens = await runInDurableObject(
      stub,
      (_agent: UsageAgent, state) => state.storage.sql.exec<{ tokens: number }>("SELECT tokens FROM token_bucket").one().tokens,
    );
    expect(tokens).toBeGreaterThanOrEqual(29);
  });

  it("evicts the oldest entries past CACHE_MAX_ENTRIES", async () => {
    const { stub } = await freshAgent();
    const size = await runInDurableObject(stub, async (agent: UsageAgent, state) => {
      const { ResultCache } = await import("../../src/agent/result-cache");
      const cache = new ResultCache(state.storage.sql, { maxEntries: 3, maxBytes: 1_000_000 });
      for (let index = 0; index < 5; index += 1) put(cache, `k${index}`, { index }, 60, 1_000 + index);
      return { size: cache.size(), newest: read(cache, "k4", 1_000), oldest: read(cache, "k0", 1_000) };
    });
    expect(size.size.entries).toBe(3);
    expect(size.newest).toEqual({ index: 4 });
    expect(size.oldest).toBeUndefined();
  });

  it("evicts expired entries before fresh ones, and keeps its totals through replacements and expiries", async () => {
    const { stub } = await freshAgent();
    const result = await runInDurableObject(stub, async (_agent: UsageAgent, state) => {
      const { ResultCache } = await import("../../src/agent/result-cache");
      const cache = new ResultCache(state.storage.sql, { maxEntries: 2, maxBytes: 1_000_000 });
      put(cache, "short", "s", 1, 1_000);
      put(cache, "long", "l", 60, 1_001);
      put(cache, "long", "longer", 60, 1_002);
      const afterReplace = { ...cache.size() };
      put(cache, "new", "n", 60, 5_000);
      const counted = state.storage.sql
        .exec<{ entries: number; bytes: number }>("SELECT COUNT(*) AS entries, SUM(bytes) AS bytes FROM result_cache")
        .one();
      return { afterReplace, size: { ...cache.size() }, counted, long: read(cache, "long", 5_000), short: read(cache, "short", 5_000) };
    });
    expect(result.afterReplace).toEqual({ entries: 2, bytes: 3 + 8 });
    expect(result.size).toEqual(result.counted);
    expect(result.size.entries).toBe(2);
    expect(result.long).toBe("longer");
    expect(result.short).toBeUndefined();
  });

  it("evicts past the byte cap and never stores an entry larger than it", async () => {
    const { stub } = await freshAgent();
    const result = await runInDurableObject(stub, async (_agent: UsageAgent, state) => {
      const { ResultCache } = await import("../../src/agent/result-cache");
      const cache = new ResultCache(state.storage.sql, { maxEntries: 100, maxBytes: 250 });
      put(cache, "big", "x".repeat(300), 60, 1_000);
      put(cache, "a", "y".repeat(100), 60, 1_001);
      put(cache, "b", "z".repeat(100), 60, 1_002);
      put(cache, "c", "w".repeat(100), 60, 1_003);
      return { big: read(cache, "big", 1_000), a: read(cache, "a", 1_000), c: read(cache, "c", 1_000), size: cache.size() };
    });
    expect(result.big).toBeUndefined();
    expect(result.a).toBeUndefined();
    expect(result.c).toBe("w".repeat(100));
    expect(result.size.bytes).toBeLessThanOrEqual(250);
  });

  it("keeps an answer in a full cache by reading a few rows, not every answer it holds", async () => {
    const { stub } = await freshAgent();
    const rowsRead = await runInDurableObject(stub, async (_agent: UsageAgent, state) => {
      const { ResultCache } = await import("../../src/agent/result-cache");
      // Counts the rows every statement of the cache reads.
      const cursors: SqlStorageCursor<Record<string, SqlStorageValue>>[] = [];
      const counted = {
        exec: (query: string, ...bindings: unknown[]) => {
          const cursor = state.storage.sql.exec(query, ...bindings);
          cursors.push(cursor);
          return cursor;
        },
      } as SqlStorage;
      const cache = new ResultCache(counted, { maxEntries: 300, maxBytes: 100_000_000 });
      const answer = "x".repeat(20_000);
      for (let index = 0; index < 300; index += 1) cache.setJson(`k${index}`, answer, 60, 1_000 + index);
      cursors.length = 0;
      cache.setJson("one more", answer, 60, 2_000);
      return cursors.reduce((sum, cursor) => sum + cursor.rowsRead, 0);
    });
    expect(rowsRead).toBeLessThan(20);
  });
});

describe("a revoked key", () => {
  it("empties the key's cache when Plausible answers 401, so no earlier answer is served after revocation", async () => {
    const { run, apiKey } = await freshAgent();
    expect(await run([query("before-revocation.example.com")])).toMatchObject({ ok: true, cacheHits: 0 });
    plausible.use((request) => (request.authorization === `Bearer ${apiKey}` ? plausibleError(401, "Invalid API key") : undefined));
    expect(await run([query("after-revocation.example.com")])).toMatchObject({
      ok: false,
      failure: { kind: "plausible_api", status: 401 },
    });
    const again = await run([query("before-revocation.example.com")]);
    expect(again).toMatchObject({ ok: false, failure: { kind: "plausible_api", status: 401 } });
    expect(plausible.requests).toHaveLength(3);
  });

  it("keeps the cache through other refusals (a 400 says nothing about the key)", async () => {
    const { run, apiKey } = await freshAgent();
    await run([query("kept.example.com")]);
    plausible.use((request) =>
      request.authorization === `Bearer ${apiKey}` && JSON.stringify(request.body).includes("bad.example.com")
        ? plausibleError(400, "Invalid filters.")
        : undefined,
    );
    await run([query("bad.example.com")]);
    expect(await run([query("kept.example.com")])).toMatchObject({ ok: true, cacheHits: 1 });
  });
});

describe("a member agent's cache", () => {
  let memberCounter = 0;
  async function memberAgent() {
    const sharedKey = (env as unknown as { PLAUSIBLE_API_KEY: string }).PLAUSIBLE_API_KEY;
    plausible.use((request) => (request.authorization === `Bearer ${sharedKey}` ? validAnswer(request) : undefined));
    const name = usageAgentName("user", await sha256Hex(`cache-member-${++memberCounter}-${crypto.randomUUID()}`));
    return getAgentByName(env.USAGE, name);
  }
  const cachedKeys = (stub: Awaited<ReturnType<typeof memberAgent>>) =>
    runInDurableObject(stub, (_agent: UsageAgent, state) =>
      state.storage.sql
        .exec<{ cache_key: string }>("SELECT cache_key FROM result_cache")
        .toArray()
        .map((row) => row.cache_key),
    );

  it("schedules a prune when it caches an answer, and the prune removes expired answers and keeps fresh ones", async () => {
    const stub = await memberAgent();
    expect(await runParsed(stub, [query("expires.example.com"), query("stays.example.com", ["2024-01-01", "2024-01-31"])])).toMatchObject({
      ok: true,
    });
    await writtenRows(stub, 2);
    await vi.waitFor(async () =>
      expect(await runInDurableObject(stub, (agent: UsageAgent) => agent.getSchedules().map((schedule) => schedule.callback))).toContain(
        "pruneCache",
      ),
    );

    await runInDurableObject(stub, (_agent: UsageAgent, state) =>
      state.storage.sql.exec("UPDATE result_cache SET expires_ms = 0 WHERE cache_key LIKE '%expires.example.com%'"),
    );
    await runInDurableObject(stub, (agent: UsageAgent) => agent.pruneCache());
    const left = await cachedKeys(stub);
    expect(left).toHaveLength(1);
    expect(left[0]).toContain("stays.example.com");
    // The next prune is due for the answer that is left.
    const pending = await runInDurableObject(stub, (agent: UsageAgent) =>
      agent.getSchedules().filter((schedule) => schedule.callback === "pruneCache"),
    );
    expect(pending).toHaveLength(1);
  });

  it("empties the cache when Plausible refuses the shared key with 401", async () => {
    const stub = await memberAgent();
    await runParsed(stub, [query("shared-before.example.com")]);
    plausible.use((request) => (request.path === "/api/v2/query" ? plausibleError(401, "Invalid API key") : undefined));
    expect(await runParsed(stub, [query("shared-after.example.com")])).toMatchObject({ ok: false, failure: { status: 401 } });
    expect(await cachedKeys(stub)).toEqual([]);
  });
});

describe("key binding and lifetime", () => {
  it("refuses a key that is not the one the agent is named after", async () => {
    const { stub } = await freshAgent();
    const outcome = await runParsed(stub, [query("x.example.com")], "someone-elses-key");
    expect(outcome).toMatchObject({ ok: false, failure: { kind: "config" } });
    expect(plausible.requests).toHaveLength(0);
  });

  it("still refuses another key after its own key has been used (the agent remembers only a key whose digest matched)", async () => {
    const { stub, run } = await freshAgent();
    expect(await run([query("own.example.com")])).toMatchObject({ ok: true });
    const outcome = await runParsed(stub, [query("own.example.com")], "someone-elses-key");
    expect(outcome).toMatchObject({ ok: false, failure: { kind: "config" } });
    expect(plausible.requests).toHaveLength(1);
  });

  it("schedules an idle check after a call, and destroys itself once idle", async () => {
    const { run, stub, name, apiKey } = await freshAgent();
    await run([query("idle.example.com")]);
    const scheduled = await runInDurableObject(stub, (agent: UsageAgent) => agent.getSchedules().map((schedule) => schedule.callback));
    expect(scheduled).toEqual(["expireIfIdle"]);
    await runInDurableObject(stub, (_agent: UsageAgent, state) => state.storage.sql.exec("UPDATE agent_activity SET last_call_ms = 0"));
    await runInDurableObject(stub, (agent: UsageAgent) => agent.expireIfIdle()).catch(() => undefined);
    // A destroyed agent starts empty: the cached answer is gone, so Plausible is asked again.
    const again = await retryWhileDestroying(async () =>
      runParsed(await getAgentByName(env.USAGE, name), [query("idle.example.com")], apiKey),
    );
    expect(again).toMatchObject({ ok: true, cacheHits: 0 });
    expect(plausible.requests).toHaveLength(2);
  });

  it("stays while calls keep coming, and checks again later", async () => {
    const { run, stub } = await freshAgent();
    await run([query("busy.example.com")]);
    await runInDurableObject(stub, (agent: UsageAgent) => agent.expireIfIdle());
    expect(await run([query("busy.example.com")])).toMatchObject({ ok: true, cacheHits: 1 });
    const scheduled = await runInDurableObject(stub, (agent: UsageAgent) => agent.getSchedules().map((schedule) => schedule.callback));
    expect(scheduled).toEqual(["expireIfIdle"]);
  });
});

describe("migrations", () => {
  it("applies every migration to a fresh agent, in order", async () => {
    const { stub } = await freshAgent();
    const versions = await runInDurableObject(stub, (_agent: UsageAgent, state) =>
      state.storage.sql.exec<{ version: number; name: string }>("SELECT version, name FROM schema_version ORDER BY version").toArray(),
    );
    expect(versions).toEqual(MIGRATIONS.map(({ version, name }) => ({ version, name })));
  });

  it("upgrades an agent at version N to N+1 and keeps its rows", async () => {
    const { stub } = await freshAgent();
    const after = await runInDurableObject(stub, (_agent: UsageAgent, state) => {
      const { sql } = state.storage;
      // Put the agent back at version 1, holding data, as an agent created before 0002 would be.
      sql.exec("DROP TABLE audit_log");
      sql.exec("DROP TABLE member_hour");
      sql.exec("DROP INDEX result_cache_by_expiry");
      sql.exec("DELETE FROM schema_version WHERE version > 1");
      sql.exec("INSERT INTO result_cache (cache_key, body, bytes, stored_ms, expires_ms) VALUES ('kept', '1', 1, 0, 9999999999999)");
      const reached = applyMigrations(state.storage);
      return {
        reached,
        versions: sql
          .exec<{ version: number }>("SELECT version FROM schema_version ORDER BY version")
          .toArray()
          .map((row) => row.version),
        kept: sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM result_cache WHERE cache_key = 'kept'").one().n,
        auditTable: sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM sqlite_master WHERE name = 'audit_log'").one().n,
        memberTable: sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM sqlite_master WHERE name = 'member_hour'").one().n,
        expiryIndex: sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM sqlite_master WHERE name = 'result_cache_by_expiry'").one().n,
      };
    });
    expect(after).toEqual({
      reached: MIGRATIONS.length,
      versions: MIGRATIONS.map((migration) => migration.version),
      kept: 1,
      auditTable: 1,
      memberTable: 1,
      expiryIndex: 1,
    });
  });

  it("is a no-op when already current", async () => {
    const { stub } = await freshAgent();
    const count = await runInDurableObject(stub, (_agent: UsageAgent, state) => {
      applyMigrations(state.storage);
      applyMigrations(state.storage);
      return state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM schema_version").one().n;
    });
    expect(count).toBe(MIGRATIONS.length);
  });
});
