import { env } from "cloudflare:workers";
import { createScheduledController } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import worker from "../../src/worker";
import { digestStoreName } from "../../src/agent/digest-store";
import { blockMember } from "../../src/auth";
import { sha256Hex } from "../../src/shared/hash";
import { useWebhookSink } from "../support/fetch-boundary";
import { installFakePlausible, plausibleError, TEXTS, type FakePlausible } from "../support/fake-plausible";
import { connectBearer, textOf } from "../support/mcp-clients";

const SINK = "https://hooks.sink.example";
const sink = useWebhookSink(SINK);

let plausible: FakePlausible;
const KEY = "test-key-aaaaaaaa";
const OTHER_KEY = "test-key-bbbbbbbb";
beforeEach(() => {
  plausible = installFakePlausible();
});
afterEach(async () => {
  plausible.restore();
  // Every test leaves the scopes empty, so a later run of the scheduled handler serves only its own test's.
  for (const store of [await keyStore(KEY), await keyStore(OTHER_KEY), teamStore()])
    for (const subscription of await store.list()) await store.unsubscribe(subscription.id);
});

async function keyStore(key: string) {
  return env.DIGESTS.getByName(digestStoreName({ kind: "key", keyDigest: await sha256Hex(key) }));
}

function teamStore() {
  return env.DIGESTS.getByName(digestStoreName({ kind: "team" }));
}

async function runScheduled(cron: string, scheduledTime = Date.now()): Promise<void> {
  await worker.scheduled!(createScheduledController({ cron, scheduledTime }), env);
}

async function callTool(key: string, name: string, args: Record<string, unknown>) {
  const client = await connectBearer("streamable-http (SDK v2)", key);
  const result = await client.callTool({ name, arguments: args });
  await client.close();
  return result;
}

/** A Monday in Europe/Berlin (the fake Sites API's timezone of example.com) at `hour`:30 local (UTC+1 in December). */
function berlinMonday(hour: number): number {
  return Date.parse(`2026-11-30T${String(hour - 1).padStart(2, "0")}:30:00Z`);
}

describe("subscriptions", () => {
  it("are made, listed with the URL masked, and removed through the tools, within the key's own scope", async () => {
    const made = await callTool(KEY, "subscribe_digest", {
      site_id: "example.com",
      webhook_url: `${SINK}/slack/T1/B1/secret`,
      format: "json",
    });
    expect(made.isError).toBeFalsy();
    const { id } = (made.structuredContent as { subscription: { id: string } }).subscription;

    const listed = await callTool(KEY, "list_subscriptions", {});
    expect(listed.structuredContent).toMatchObject({
      subscriptions: [{ id, site_id: "example.com", destination: "https://hooks.sink.example/…", format: "json" }],
    });
    expect(JSON.stringify(listed)).not.toContain("secret");

    // Another key's holder sees none of them and cannot remove them.
    expect((await callTool(OTHER_KEY, "list_subscriptions", {})).structuredContent).toEqual({ subscriptions: [] });
    const foreign = await callTool(OTHER_KEY, "unsubscribe", { id });
    expect(foreign.isError).toBe(true);
    expect(textOf(foreign)).toContain(`there is no subscription ${id} here`);

    expect((await callTool(KEY, "unsubscribe", { id })).structuredContent).toEqual({ id, deleted: true });
    expect((await callTool(KEY, "list_subscriptions", {})).structuredContent).toEqual({ subscriptions: [] });
  });

  it.each([
    ["plain http", "http://hooks.example.com/x"],
    ["loopback", "https://127.0.0.1/x"],
    ["cloud metadata", "https://169.254.169.254/latest/meta-data"],
    ["localhost", "https://localhost/x"],
    ["a private IPv6 address", "https://[fd12::1]/x"],
  ])("refuses a webhook on %s, naming the argument", async (_, url) => {
    const result = await callTool(KEY, "subscribe_digest", { site_id: "example.com", webhook_url: url });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/Invalid argument `webhook_url`: the webhook URL is refused/);
    expect(await (await keyStore(KEY)).list()).toEqual([]);
  });

  it("keeps the webhook URL and the key sealed at rest", async () => {
    await callTool(KEY, "subscribe_digest", { site_id: "example.com", webhook_url: `${SINK}/slack/T1/B1/secret` });
    const stored = await runInStore(await keyStore(KEY));
    expect(stored).not.toContain("secret");
    expect(stored).not.toContain(KEY);
    expect(stored).toContain("https://hooks.sink.example/…");
  });
});

/** Every text value in a store's SQLite tables, joined. */
async function runInStore(stub: DurableObjectStub): Promise<string> {
  const { runInDurableObject } = await import("cloudflare:test");
  return runInDurableObject(stub, (_instance, state) =>
    ["subscriptions", "scope_key"]
      .flatMap((table) =>
        state.storage.sql
          .exec(`SELECT * FROM ${table}`)
          .toArray()
          .map((row) => JSON.stringify(row)),
      )
      .join("\n"),
  );
}

describe("weekly digest", () => {
  it("a subscription made through the tool gets the digest at once on digest-now, in Slack's shape", async () => {
    const result = await callTool(KEY, "subscribe_digest", {
      site_id: "example.com",
      webhook_url: `${SINK}/slack/T1/B1/secret`,
      kinds: ["weekly_digest"],
    });
    expect(result.isError).toBeFalsy();
    expect(textOf(result)).toContain("https://hooks.sink.example/…");
    expect(textOf(result)).not.toContain("secret");

    await runScheduled("digest-now");
    const digest = sink.received.find((delivery) => delivery.path === "/slack/T1/B1/secret");
    expect(digest).toBeDefined();
    expect(digest!.body.text).toContain("Weekly digest for example.com");
    expect(digest!.body.blocks).toBeInstanceOf(Array);
    expect(JSON.stringify(digest!.body)).not.toContain(KEY);

    const [delivery] = await (await keyStore(KEY)).deliveries();
    expect(delivery).toMatchObject({ kind: "weekly_digest", status: "delivered", attempts: 1 });
  });

  it("is sent on Monday from 08:00 in the site's timezone, once a week", async () => {
    await callTool(KEY, "subscribe_digest", { site_id: "example.com", webhook_url: `${SINK}/hook`, kinds: ["weekly_digest"] });
    await runScheduled("0 * * * *", berlinMonday(7));
    await runScheduled("0 * * * *", Date.parse("2026-11-29T09:30:00Z")); // Sunday
    expect(sink.received).toEqual([]);
    await runScheduled("0 * * * *", berlinMonday(8));
    await runScheduled("0 * * * *", berlinMonday(9));
    expect(sink.received.map((delivery) => delivery.body.text)).toEqual([expect.stringContaining("Weekly digest for example.com")]);
    await runScheduled("0 * * * *", berlinMonday(8) + 7 * 86_400_000);
    expect(sink.received).toHaveLength(2);
  });

  it("is shaped for Google Chat and as plain JSON", async () => {
    await callTool(KEY, "subscribe_digest", { site_id: "example.com", webhook_url: `${SINK}/chat`, format: "google_chat" });
    await callTool(KEY, "subscribe_digest", { site_id: "example.com", webhook_url: `${SINK}/json`, format: "json" });
    await runScheduled("digest-now");
    const chat = sink.received.find((delivery) => delivery.path === "/chat")!.body;
    expect(Object.keys(chat)).toEqual(["text"]);
    expect(chat.text).toMatch(/^\*Weekly digest for example.com\*/);
    const json = sink.received.find((delivery) => delivery.path === "/json")!.body;
    expect(json).toMatchObject({ type: "weekly_digest", digest: { siteId: "example.com", sparkline: expect.any(String) } });
  });
});

describe("reliability", () => {
  it("retries a failing webhook, then pauses it after failed deliveries in a row, and shows it paused", async () => {
    sink.status = 503;
    await callTool(KEY, "subscribe_digest", { site_id: "example.com", webhook_url: `${SINK}/down`, kinds: ["weekly_digest"] });
    for (let run = 0; run < 4; run++) await runScheduled("digest-now");
    // Three tries per delivery (DIGEST_DELIVERY_ATTEMPTS), three deliveries (DIGEST_PAUSE_AFTER_FAILURES), then nothing.
    expect(sink.received).toHaveLength(9);
    const deliveries = await (await keyStore(KEY)).deliveries();
    expect(deliveries.map(({ status, attempts, detail }) => ({ status, attempts, detail }))).toEqual(
      Array(3).fill({ status: "failed", attempts: 3, detail: "HTTP 503" }),
    );
    const listed = await callTool(KEY, "list_subscriptions", {});
    expect(listed.structuredContent).toMatchObject({ subscriptions: [{ paused_at: expect.any(String), failures_in_a_row: 3 }] });
    expect(textOf(listed)).toContain("paused");
  });

  it("does not follow a redirect, and does not retry it", async () => {
    sink.status = 302;
    await callTool(KEY, "subscribe_digest", { site_id: "example.com", webhook_url: `${SINK}/moved`, kinds: ["weekly_digest"] });
    await runScheduled("digest-now");
    expect(sink.received).toHaveLength(1);
    const [delivery] = await (await keyStore(KEY)).deliveries();
    expect(delivery).toMatchObject({ status: "failed", attempts: 1, detail: "HTTP 302 (redirects are not followed)" });
  });

  it("sends nothing for a key Plausible no longer accepts, and pauses its subscription", async () => {
    await callTool(OTHER_KEY, "subscribe_digest", { site_id: "example.com", webhook_url: `${SINK}/revoked` });
    plausible.use((request) => (request.authorization === `Bearer ${OTHER_KEY}` ? plausibleError(401, TEXTS.invalidKey) : undefined));
    await runScheduled("digest-now");
    expect(sink.received).toEqual([]);
    const [subscription] = await (await keyStore(OTHER_KEY)).list();
    expect(subscription!.pausedAt).toBeDefined();
    const [delivery] = await (await keyStore(OTHER_KEY)).deliveries();
    expect(delivery).toMatchObject({ status: "skipped", attempts: 0, detail: expect.stringContaining("Plausible refused the key") });
  });

  it("waits for the next hour when Plausible's quota is used up, counting no failure", async () => {
    // A site of its own: the usage agent's cache holds example.com's answers from the tests before.
    await callTool(KEY, "subscribe_digest", { site_id: "quota.example.com", webhook_url: `${SINK}/later`, kinds: ["weekly_digest"] });
    plausible.use((request) => (request.path === "/api/v2/query" ? plausibleError(429, TEXTS.rateLimited) : undefined));
    await runScheduled("digest-now");
    expect(sink.received).toEqual([]);
    expect(await (await keyStore(KEY)).deliveries()).toEqual([]);
    expect((await (await keyStore(KEY)).list())[0]).toMatchObject({ failuresInARow: 0 });
    expect((await (await keyStore(KEY)).list())[0]!.pausedAt).toBeUndefined();

    plausible.restore();
    plausible = installFakePlausible();
    await runScheduled("digest-now");
    expect(sink.received.map((delivery) => delivery.body.text)).toEqual([expect.stringContaining("Weekly digest for quota.example.com")]);
  });

  it("sends nothing for a team subscription whose member is blocked", async () => {
    const made = await teamStore().subscribe(
      { siteId: "example.com", webhookUrl: `${SINK}/team`, kinds: ["weekly_digest"], format: "slack" },
      { kind: "member", sub: "sub-blocked-member", email: "gone@example.com" },
    );
    expect(made.ok).toBe(true);
    await blockMember(env.OAUTH_KV, "gone@example.com", ["sub-blocked-member"], "admin@example.com");
    await runScheduled("digest-now");
    expect(sink.received).toEqual([]);
    const [delivery] = await teamStore().deliveries();
    expect(delivery).toMatchObject({ status: "skipped", detail: expect.stringContaining("blocked") });
  });
});
