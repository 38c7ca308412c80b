import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { MEMORY_LIMITS, memoryStoreName, type MemoryActor, type MemoryScope, type MemoryStore } from "../../src/agent/memory-store";
import { storedTeamMemory } from "../../src/mcp/team-memory-store";
import { toolContextFor } from "../../src/mcp/tool-context";
import { sha256Hex } from "../../src/shared/hash";
import { TeamMemoryRefusal, ToolInputError } from "../../src/tools";

// The team memory store behind the tools, through the port the tools use. Each test takes scopes of
// its own (a random key digest), so the objects' storage never carries over between tests.
const keyScope = (): MemoryScope => ({ kind: "key", keyDigest: crypto.randomUUID().replaceAll("-", "") });
const memory = (scope: MemoryScope, actor: MemoryActor = { kind: "holder" }) =>
  storedTeamMemory(env.MEMORY.getByName(memoryStoreName(scope)), actor);
const alice: MemoryActor = { kind: "member", email: "alice@example.com", admin: false };
const bob: MemoryActor = { kind: "member", email: "bob@example.com", admin: false };
const admin: MemoryActor = { kind: "member", email: "admin@example.com", admin: true };
const DEPLOY = { siteId: "example.com", at: "2026-05-12", text: "Deployed the new pricing page", kind: "deploy" } as const;

describe("team memory store", () => {
  it("names an object by the key's digest, never the key", () => {
    expect(memoryStoreName({ kind: "key", keyDigest: "ab12" })).toBe("key-ab12");
    expect(memoryStoreName({ kind: "team" })).toBe("team");
  });

  it("gives a key's callers the store named by the key's digest, and members the team's with their email as author", async () => {
    const apiKey = `memory-key-${crypto.randomUUID()}`;
    const keyContext = await toolContextFor(env, { scope: "key", apiKey });
    const { annotation } = await keyContext.memory.addAnnotation(DEPLOY);
    const byDigest = env.MEMORY.getByName(`key-${await sha256Hex(apiKey)}`);
    expect(await byDigest.getAnnotation(annotation.id)).toMatchObject({ text: DEPLOY.text });
    const member = await toolContextFor(env, { scope: "user", sub: "sub-carol", email: "Carol@Example.com" });
    const noted = await member.memory.addAnnotation({ ...DEPLOY, text: `Carol's ${crypto.randomUUID()}` });
    expect(noted.annotation.author).toBe("carol@example.com");
    expect(await env.MEMORY.getByName("team").getAnnotation(noted.annotation.id)).not.toBeNull();
    expect(await member.memory.getAnnotation(annotation.id)).toBeNull();
  });

  it("adds, lists and deletes an annotation; identical input returns the stored one", async () => {
    const store = memory(keyScope());
    const first = await store.addAnnotation(DEPLOY);
    expect(first.created).toBe(true);
    expect(first.annotation).toMatchObject({ ...DEPLOY, date: "2026-05-12" });
    expect(first.annotation.author).toBeUndefined();
    const again = await store.addAnnotation({ ...DEPLOY, text: `  ${DEPLOY.text} ` });
    expect(again).toEqual({ annotation: first.annotation, created: false });
    await store.addAnnotation({ ...DEPLOY, at: "2026-05-20T09:30:00+02:00", text: "Newsletter", kind: "campaign" });
    expect((await store.listAnnotations("example.com", "2026-05-01", "2026-05-31")).map((a) => a.text)).toEqual([
      DEPLOY.text,
      "Newsletter",
    ]);
    expect(await store.listAnnotations("example.com", "2026-05-13", "2026-05-19")).toEqual([]);
    expect(await store.listAnnotations("other.example", "2026-05-01", "2026-05-31")).toEqual([]);
    expect(await store.deleteAnnotation(first.annotation.id)).toEqual({ deleted: true });
    expect(await store.deleteAnnotation(first.annotation.id)).toEqual({ deleted: false, refused: "not_found" });
    expect(await store.getAnnotation(first.annotation.id)).toBeNull();
  });

  it("keeps each scope's memory to itself", async () => {
    const one = memory(keyScope());
    const other = memory(keyScope());
    const { annotation } = await one.addAnnotation(DEPLOY);
    await one.setTarget({ siteId: "example.com", metric: "visitors", period: "2026-05", value: 120_000 });
    await one.setSiteContext("example.com", "Signup means a completed trial form.");
    expect(await other.listAnnotations("example.com", "0000-01-01", "9999-12-31")).toEqual([]);
    expect(await other.getAnnotation(annotation.id)).toBeNull();
    expect(await other.deleteAnnotation(annotation.id)).toEqual({ deleted: false, refused: "not_found" });
    expect(await other.getTarget("example.com", "visitors", "2026-05")).toBeNull();
    expect(await other.getSiteContext("example.com")).toBeNull();
    expect(await one.getAnnotation(annotation.id)).not.toBeNull();
  });

  it("on the team, lets only the author or an administrator delete an annotation", async () => {
    const team = { kind: "team" } as const;
    const { annotation } = await memory(team, alice).addAnnotation({ ...DEPLOY, text: `Alice's deploy ${crypto.randomUUID()}` });
    expect(annotation.author).toBe("alice@example.com");
    expect(await memory(team, bob).deleteAnnotation(annotation.id)).toEqual({ deleted: false, refused: "not_author" });
    expect(await memory(team, alice).getAnnotation(annotation.id)).not.toBeNull();
    expect(await memory(team, alice).deleteAnnotation(annotation.id)).toEqual({ deleted: true });
    const second = await memory(team, alice).addAnnotation({ ...DEPLOY, text: `Another ${crypto.randomUUID()}` });
    expect(await memory(team, admin).deleteAnnotation(second.annotation.id)).toEqual({ deleted: true });
  });

  it("on the team, lets only administrators set targets; a key's holder sets its own", async () => {
    const target = { siteId: `t${crypto.randomUUID()}.example`, metric: "visitors", period: "2026-Q2", value: 300_000 };
    await expect(memory({ kind: "team" }, alice).setTarget(target)).rejects.toThrow(TeamMemoryRefusal);
    await expect(memory({ kind: "team" }, alice).setTarget(target)).rejects.toThrow(/administrator.*ask one/);
    expect(await memory({ kind: "team" }, admin).setTarget(target)).toEqual(target);
    expect(await memory({ kind: "team" }, bob).getTarget(target.siteId, "visitors", "2026-Q2")).toEqual(target);
    expect(await memory({ kind: "team" }, admin).setTarget({ ...target, value: 350_000 })).toEqual({ ...target, value: 350_000 });
    const own = memory(keyScope());
    expect(await own.setTarget(target)).toEqual(target);
  });

  it("refuses invalid input with the argument and what to do instead", async () => {
    const store = memory(keyScope());
    const refusal = async (write: Promise<unknown>) => {
      const error = await write.then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(ToolInputError);
      return (error as Error).message;
    };
    expect(await refusal(store.addAnnotation({ ...DEPLOY, text: "x".repeat(281) }))).toMatch(/`text`.*shorten it to 280/);
    expect(await refusal(store.addAnnotation({ ...DEPLOY, at: "12 May" }))).toMatch(/`date`.*"2026-05-14"/);
    expect(await refusal(store.addAnnotation({ ...DEPLOY, kind: "party" as never }))).toMatch(/`kind`.*deploy, campaign/);
    expect(await refusal(store.setTarget({ siteId: "example.com", metric: "bounce_rate", period: "2026-05", value: 1 }))).toMatch(
      /`metric`.*visitors, visits, pageviews, events/,
    );
    expect(await refusal(store.setTarget({ siteId: "example.com", metric: "visitors", period: "May", value: 1 }))).toMatch(
      /`period`.*"2026-05".*"2026-Q2"/,
    );
    expect(await refusal(store.setTarget({ siteId: "example.com", metric: "visitors", period: "2026-05", value: -3 }))).toMatch(
      /`value`.*positive/,
    );
    expect(await refusal(store.setSiteContext("example.com", "x".repeat(4001)))).toMatch(/`text`.*4000/);
  });

  it("replaces and clears site context", async () => {
    const store = memory(keyScope());
    await store.setSiteContext("example.com", "Signup = trial form.");
    await store.setSiteContext("example.com", "Signup = completed trial form. /pricing matters.");
    expect(await store.getSiteContext("example.com")).toBe("Signup = completed trial form. /pricing matters.");
    await store.setSiteContext("example.com", " ");
    expect(await store.getSiteContext("example.com")).toBeNull();
  });

  it("keeps at most MEMORY_LIMITS rows per scope, and says what to do when full", async () => {
    const scope = keyScope();
    const stub = env.MEMORY.getByName(memoryStoreName(scope));
    await runInDurableObject(stub, (_instance: MemoryStore, state) => {
      for (let row = 0; row < MEMORY_LIMITS.annotations; row += 1)
        state.storage.sql.exec(
          "INSERT INTO annotations (id, site_id, at, day, text, kind, author, created_ms) VALUES (?, " +
            "'example.com', '2026-01-01', '2026-01-01', ?, 'other', NULL, 0)",
          `ann_${row}`,
          `note ${row}`,
        );
    });
    const store = memory(scope);
    await expect(store.addAnnotation(DEPLOY)).rejects.toThrow(
      new TeamMemoryRefusal("This memory already keeps 5000 annotations; delete old ones (list_annotations, delete_annotation) first."),
    );
    await expect(store.addAnnotation({ ...DEPLOY, at: "2026-01-01", text: "note 7", kind: "other" })).resolves.toMatchObject({
      created: false,
    });
  });
});
