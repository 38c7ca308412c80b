import { env } from "cloudflare:workers";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { addressHash, sha256Hex } from "../../src/shared/hash";
import { usageAgentName } from "../../src/agent/usage-agent";
import { AuditLog } from "../../src/observability/audit-log";
import { readUsageConfig } from "../../src/config";
import { auditSelectSql, toAuditRecord, type AuditRow } from "../../src/observability/audit-record";
import { canonicalJson } from "../../src/plausible";
import { Browser, connectedClient, useSignInFakes, openInternalSession } from "../support/harness";
import { plausibleError } from "../support/fake-plausible";
import { onlySettings } from "../support/settings";
import { connectBearer } from "../support/mcp-clients";

const fakes = useSignInFakes();
beforeEach(() => {
  fakes.plausible.use((request) =>
    request.authorization === "Bearer test-plausible-api-key" && request.path === "/api/v2/query"
      ? Response.json({ results: [{ metrics: [5], dimensions: [] }], meta: {}, query: request.body })
      : undefined,
  );
});
afterEach(() => {
  fakes.plausible.restore();
  vi.restoreAllMocks();
});

async function memberSession(member: { sub: string; email: string }) {
  fakes.issuer.user = { ...member, email_verified: true, name: member.email };
  const browser = new Browser();
  const { tokens } = await connectedClient(browser, fakes.issuer);
  return openInternalSession(browser, tokens.access_token);
}

async function auditOf(scope: "user" | "key", secret: string) {
  const stub = env.USAGE.get(env.USAGE.idFromName(usageAgentName(scope, await sha256Hex(secret))));
  return runInDurableObject(stub, (_agent, state) =>
    state.storage.sql.exec<AuditRow & Record<string, SqlStorageValue>>(auditSelectSql(false)).toArray().map(toAuditRecord),
  );
}

/** The JSON lines written to the console while `run` ran. */
async function logLines(run: () => Promise<void>): Promise<Record<string, unknown>[]> {
  const lines: string[] = [];
  const capture = (text: unknown) => void lines.push(String(text));
  vi.spyOn(console, "log").mockImplementation(capture);
  vi.spyOn(console, "error").mockImplementation(capture);
  await run();
  return lines.filter((line) => line.startsWith("{")).map((line) => JSON.parse(line) as Record<string, unknown>);
}

const DAY_MS = 86_400_000;
const aggregate = (site: string) => ({ name: "get_aggregate", arguments: { site_id: site, date_range: "7d", metrics: ["visitors"] } });

describe("audit trail of the shared key", () => {
  it("records each call that reaches Plausible for a member (who, when, site, tool, query hash), not the cached ones", async () => {
    const member = { sub: "audit-member-1", email: "ada@example.com" };
    const client = await memberSession(member);
    const before = Date.now();
    expect((await client.callTool(aggregate("audited.example.com"))).isError).toBeFalsy();
    expect((await client.callTool(aggregate("audited.example.com"))).isError).toBeFalsy(); // from the cache
    await client.close();

    const records = await auditOf("user", member.sub);
    expect(records).toHaveLength(1);
    const [record] = records;
    expect(record).toMatchObject({ email: member.email, tool: "get_aggregate", site_id: "audited.example.com" });
    expect(Date.parse(record!.at)).toBeGreaterThanOrEqual(before - 1000);
    const sent = fakes.plausible.requests.at(-1)!.body;
    expect(record!.query_hash).toBe(await sha256Hex(canonicalJson({ kind: "query", body: sent as never })));
  });

  it("records a member's resource reads and completions that reach Plausible, under the method and what they name", async () => {
    const member = { sub: "audit-member-resources", email: "rea@example.com" };
    const client = await memberSession(member);
    await client.readResource({ uri: "plausible://sites/read.example.com/goals" });
    await client.complete({
      ref: { type: "ref/prompt", name: "launch_review" },
      argument: { name: "page", value: "/" },
      context: { arguments: { site_id: "pages.example.com" } },
    });
    await client.readResource({ uri: "plausible://reference/query-language" }); // no Plausible call, nothing to record
    await client.close();

    const records = await auditOf("user", member.sub);
    expect(records.map(({ email, tool, site_id }) => ({ email, tool, site_id }))).toEqual([
      { email: member.email, tool: "resources/read plausible://sites/{site_id}/goals", site_id: "read.example.com" },
      { email: member.email, tool: "completion/complete page", site_id: "pages.example.com" },
    ]);
  });

  it("records nothing for bearer keys, whose own key is used", async () => {
    const client = await connectBearer("streamable-http (SDK v2)", "test-key-bbbbbbbb");
    expect((await client.callTool(aggregate("own-key.example.com"))).isError).toBeFalsy();
    await client.close();
    expect(await auditOf("key", "test-key-bbbbbbbb")).toEqual([]);
  });

  it("schedules the prune for when a member's first record passes AUDIT_RETENTION_DAYS, so it runs if they never call again", async () => {
    const member = { sub: "audit-prune-member", email: "ada@example.com" };
    const client = await memberSession(member);
    const before = Date.now();
    expect((await client.callTool(aggregate("pruned.example.com"))).isError).toBeFalsy();
    await client.close();
    const stub = env.USAGE.get(env.USAGE.idFromName(usageAgentName("user", await sha256Hex(member.sub))));
    const prunes = await runInDurableObject(stub, (agent) => agent.getSchedules().filter((schedule) => schedule.callback === "pruneAudit"));
    expect(prunes).toHaveLength(1);
    const retentionMs = 90 * DAY_MS;
    expect(prunes[0]!.time * 1000).toBeGreaterThanOrEqual(Math.floor((before + retentionMs) / 1000) * 1000);
    expect(prunes[0]!.time * 1000).toBeLessThanOrEqual(Date.now() + retentionMs);
  });

  it("removes a departed member's records when their prune falls due, with no further call", async () => {
    const member = { sub: "audit-departed-member", email: "ada@example.com" };
    const client = await memberSession(member);
    expect((await client.callTool(aggregate("departed.example.com"))).isError).toBeFalsy();
    await client.close();
    const stub = env.USAGE.get(env.USAGE.idFromName(usageAgentName("user", await sha256Hex(member.sub))));
    expect(await auditOf("user", member.sub)).toHaveLength(1);

    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      vi.setSystemTime(Date.now() + 90 * DAY_MS + 60_000);
      expect(await runDurableObjectAlarm(stub)).toBe(true);
    } finally {
      vi.useRealTimers();
    }
    expect(await auditOf("user", member.sub)).toEqual([]);
    expect(
      await runInDurableObject(stub, (agent) => agent.getSchedules().filter((schedule) => schedule.callback === "pruneAudit")),
    ).toEqual([]);
  });

  it("prunes the records older than AUDIT_RETENTION_DAYS and schedules itself for the next one", async () => {
    const stub = env.USAGE.get(env.USAGE.idFromName(usageAgentName("user", await sha256Hex("retention-member"))));
    const now = Date.now();
    const { kept, prunes } = await runInDurableObject(stub, async (agent, state) => {
      const log = new AuditLog(state.storage.sql, 90);
      await log.record("a@example.com", "list_sites", { kind: "sites" }, now - 91 * DAY_MS);
      await log.record("a@example.com", "list_goals", { kind: "goals", siteId: "a.example" }, now - 89 * DAY_MS);
      await log.record("a@example.com", "get_realtime_visitors", { kind: "realtime", siteId: "a.example" }, now - DAY_MS);
      await agent.pruneAudit();
      return {
        kept: state.storage.sql
          .exec<AuditRow & Record<string, SqlStorageValue>>(auditSelectSql(true), "A@Example.com")
          .toArray()
          .map(toAuditRecord),
        prunes: agent.getSchedules().filter((schedule) => schedule.callback === "pruneAudit"),
      };
    });
    expect(kept.map((record) => record.tool)).toEqual(["list_goals", "get_realtime_visitors"]);
    // Next due: the 89-day-old record, a day from now.
    expect(prunes.map((schedule) => Math.round((schedule.time * 1000 - now) / DAY_MS))).toEqual([1]);
  });

  it("leaves nothing scheduled once the trail is empty", async () => {
    const stub = env.USAGE.get(env.USAGE.idFromName(usageAgentName("user", await sha256Hex("departed-member"))));
    const prunes = await runInDurableObject(stub, async (agent, state) => {
      await new AuditLog(state.storage.sql, 90).record("gone@example.com", "list_sites", { kind: "sites" }, Date.now() - 100 * DAY_MS);
      await agent.pruneAudit();
      expect(state.storage.sql.exec("SELECT COUNT(*) AS n FROM audit_log").one().n).toBe(0);
      return agent.getSchedules().filter((schedule) => schedule.callback === "pruneAudit");
    });
    expect(prunes).toEqual([]);
  });

  it("reads AUDIT_RETENTION_DAYS, 90 by default, and refuses a value that is not a whole number of days", () => {
    const days = (vars: Env) => readUsageConfig(vars).auditRetentionDays;
    expect(days(onlySettings())).toBe(90);
    expect(days(onlySettings({ AUDIT_RETENTION_DAYS: " 30 " }))).toBe(30);
    expect(() => days(onlySettings({ AUDIT_RETENTION_DAYS: "1.5" }))).toThrow(/AUDIT_RETENTION_DAYS must be a whole number/);
    expect(days(env)).toBe(90);
  });
});

describe("structured logs", () => {
  it("writes one JSON line per tool call: the member on /internal, cache miss then hit, upstream time, outcome", async () => {
    const member = { sub: "log-member-1", email: "grace@example.com" };
    const client = await memberSession(member);
    const lines = await logLines(async () => {
      await client.callTool(aggregate("logged.example.com"));
      await client.callTool(aggregate("logged.example.com"));
      // Plausible refuses the question: the caller's mistake, a tool error rather than a failure.
      fakes.plausible.use((request) =>
        (request.body as { site_id?: string } | undefined)?.site_id === "refused.example.com"
          ? plausibleError(400, "Invalid metric")
          : undefined,
      );
      await client.callTool(aggregate("refused.example.com"));
    });
    await client.close();
    const calls = lines.filter((line) => line.event === "tool_call");
    expect(calls).toHaveLength(3);
    expect(calls[0]).toMatchObject({
      endpoint: "internal",
      tool: "get_aggregate",
      user: member.email,
      cache: "miss",
      plausible_requests: 1,
      outcome: "ok",
    });
    expect(calls[0]!.upstream_ms).toEqual(expect.any(Number));
    expect(calls[1]).toMatchObject({ user: member.email, cache: "hit", plausible_requests: 1, upstream_ms: 0, outcome: "ok" });
    expect(calls[2]).toMatchObject({ user: member.email, cache: "miss", plausible_requests: 1, outcome: "tool_error" });
  });

  it("names nobody on the bearer endpoints", async () => {
    const client = await connectBearer("sse (SDK v1)", "test-key-aaaaaaaa");
    const lines = await logLines(async () => void (await client.callTool(aggregate("anon-log.example.com"))));
    await client.close();
    const [call] = lines.filter((line) => line.event === "tool_call");
    expect(call).toEqual({
      event: "tool_call",
      endpoint: "sse",
      tool: "get_aggregate",
      cache: "miss",
      plausible_requests: 1,
      upstream_ms: expect.any(Number),
      outcome: "ok",
    });
  });

  it("writes one JSON line per sign-in decision, granted with the member, refused with the reason", async () => {
    const granted = await logLines(async () => void (await memberSession({ sub: "log-member-2", email: "lin@example.com" })).close());
    expect(granted.filter((line) => line.event === "authorization")).toEqual([
      { event: "authorization", decision: "granted", reason: expect.stringContaining("allowed domain"), user: "lin@example.com" },
    ]);

    vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const refused = await logLines(async () => {
      await expect(memberSession({ sub: "log-outsider", email: "eve@elsewhere.test" })).rejects.toThrow();
    });
    expect(refused.filter((line) => line.event === "authorization")).toEqual([
      {
        event: "authorization",
        decision: "refused",
        reason: expect.stringContaining("is not in an allowed domain"),
        user_hash: await addressHash("eve@elsewhere.test"),
      },
    ]);
  });
});
