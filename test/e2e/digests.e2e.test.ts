import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callOk, connectWithKey, type E2eClient } from "../../dev/clients/mcp-clients.ts";
import { adminSession } from "../../dev/demo/seed-memory.ts";
import { startE2eStack, type DemoStack } from "./support/stack.ts";

/**
 * Digests and alerts through wrangler dev: subscriptions made with the tool (the demo key's scope) and
 * on /admin (the team's), the Cron Trigger run through wrangler dev's /__scheduled, and the stack's
 * webhook sink reading what arrives. The simulator planted a spike in example.com's last 7 days,
 * which explain_change flags, so there is an alert to send. wrangler dev's /__scheduled runs as of now
 * (it takes no time), so the digest is sent with cron digest-now; test/digest covers the Monday schedule.
 */

const REVOKED_KEY = "e2e-digest-revoked-key";

let stack: DemoStack;
const clients: E2eClient[] = [];

beforeAll(async () => {
  stack = await startE2eStack({ keys: { [REVOKED_KEY]: "*" } }, { DIGEST_RETRY_BASE_MS: "20" });
});
afterAll(async () => {
  for (const client of clients) await client.close().catch(() => undefined);
  await stack?.stop();
});

async function withKey(apiKey: string): Promise<E2eClient> {
  const client = await connectWithKey("SDK v2, Streamable HTTP", stack.urls.mcp, apiKey);
  clients.push(client);
  return client;
}

const texts = (path: string) =>
  stack.sink.deliveries.filter((delivery) => delivery.path === path).map((delivery) => String(delivery.body.text));

async function subscribeOnAdmin(path: string): Promise<void> {
  const { cookie, csrf } = await adminSession(stack, "/digests");
  const form = new URLSearchParams([
    ["csrf", csrf],
    ["site_id", "example.com"],
    ["webhook_url", `${stack.urls.sink}${path}`],
    ["kinds", "weekly_digest"],
    ["kinds", "change_alerts"],
    ["format", "google_chat"],
  ]);
  const response = await fetch(`${stack.urls.admin}/digests/subscribe`, {
    method: "POST",
    headers: { Cookie: cookie, Origin: stack.urls.worker, "Content-Type": "application/x-www-form-urlencoded" },
    body: form,
    redirect: "manual",
  });
  await response.body?.cancel();
  expect(response.status).toBe(303);
}

describe("digests and alerts under wrangler dev", () => {
  it("a subscription made through the tool and one made on /admin each get the digest and one alert", async () => {
    const key = await withKey(stack.apiKey);
    await callOk(key, "subscribe_digest", { site_id: "example.com", webhook_url: `${stack.urls.sink}/tool`, format: "slack" });
    await subscribeOnAdmin("/admin");

    await stack.runScheduled("digest-now");
    for (const path of ["/tool", "/admin"]) {
      const [digest, alert, ...more] = texts(path);
      expect(more).toEqual([]);
      expect(digest).toContain("Weekly digest for example.com");
      expect(digest).toMatch(/Daily: [▁▂▃▄▅▆▇█]{7}/);
      expect(alert).toContain("Change alert for example.com");
      expect(alert).toContain("at most 3 % of runs");
    }
    expect(JSON.stringify(stack.sink.deliveries)).not.toContain(stack.apiKey);

    // The hourly run: the digest went out this week and the alert's anomalies were reported, so nothing is sent again.
    await stack.runScheduled("0 * * * *");
    expect(texts("/tool")).toHaveLength(2);
    expect(texts("/admin")).toHaveLength(2);
  });

  it("retries a failing sink, then pauses it", async () => {
    stack.sink.answerWith(500, "/failing");
    const key = await withKey(stack.apiKey);
    const made = await callOk<{ subscription: { id: string } }>(key, "subscribe_digest", {
      site_id: "example.com",
      webhook_url: `${stack.urls.sink}/failing`,
      kinds: ["weekly_digest"],
    });
    for (let run = 0; run < 4; run++) await stack.runScheduled("digest-now");
    // Three tries per delivery, three failed deliveries in a row, then paused: nothing more.
    expect(texts("/failing")).toHaveLength(9);
    const { subscriptions } = await callOk<{ subscriptions: { id: string; paused_at?: string }[] }>(key, "list_subscriptions");
    expect(subscriptions.find((subscription) => subscription.id === made.subscription.id)?.paused_at).toEqual(expect.any(String));
  });

  it("sends nothing for a revoked key's subscription", async () => {
    const key = await withKey(REVOKED_KEY);
    await callOk(key, "subscribe_digest", { site_id: "example.com", webhook_url: `${stack.urls.sink}/revoked` });
    stack.simulator.revokeKey(REVOKED_KEY);
    await stack.runScheduled("digest-now");
    await stack.runScheduled("0 * * * *");
    expect(texts("/revoked")).toEqual([]);
  });
});
