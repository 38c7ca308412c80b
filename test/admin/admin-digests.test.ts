import { env } from "cloudflare:workers";
import { createScheduledController } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { digestStoreName } from "../../src/agent/digest-store";
import { usageAgentName } from "../../src/agent/usage-agent";
import { sha256Hex } from "../../src/shared/hash";
import worker from "../../src/worker";
import { useWebhookSink } from "../support/fetch-boundary";
import { BASE, Browser, useSignInFakes } from "../support/harness";
import { csrfOf, postForm, signInToAdmin } from "../support/admin-session";
import { captureLogLines } from "../support/log-lines";

/** /admin/digests: administrators see, add and delete the team's digest subscriptions, paused ones marked. */

const ADMIN = "keeper@example.com";
const SETTINGS = { ADMIN_EMAILS: ADMIN } as Partial<Record<keyof Env, string>>;
const SINK = "https://hooks.sink.example";
const sink = useWebhookSink(SINK);

const fakes = useSignInFakes();
afterEach(async () => {
  fakes.plausible.restore();
  for (const subscription of await team().list()) await team().unsubscribe(subscription.id);
});

const team = () => env.DIGESTS.getByName(digestStoreName({ kind: "team" }));

async function signedInAdmin(): Promise<Browser> {
  const { browser, callback } = await signInToAdmin(fakes, new Browser(SETTINGS), ADMIN, "/admin/digests");
  expect(callback.status).toBe(302);
  return browser;
}

const page = async (browser: Browser, path = "/admin/digests") => (await browser.fetch(`${BASE}${path}`)).text();

async function digestNow(): Promise<void> {
  await worker.scheduled!(createScheduledController({ cron: "digest-now", scheduledTime: Date.now() }), env);
}

const subscription = (csrf: string, url = `${SINK}/team/T1/secret`): [string, string][] => [
  ["csrf", csrf],
  ["site_id", "example.com"],
  ["webhook_url", url],
  ["kinds", "weekly_digest"],
  ["format", "slack"],
];

describe("/admin/digests", () => {
  it("adds a team subscription sent as the administrator, shows it masked with its deliveries, and deletes it", async () => {
    const admin = await signedInAdmin();
    const csrf = csrfOf(await page(admin));
    const added = await postForm(admin, "/admin/digests/subscribe", subscription(csrf));
    expect(added.status).toBe(303);
    expect(added.headers.get("Location")).toBe("/admin/digests?notice=subscription_added");

    await digestNow();
    expect(sink.received.map((delivery) => delivery.path)).toEqual(["/team/T1/secret"]);
    expect(sink.received[0]!.body.text).toContain("Weekly digest for example.com");
    // In the administrator's audit trail, next to the Plausible calls that built it.
    const agent = env.USAGE.getByName(usageAgentName("user", await sha256Hex(`sub-${ADMIN}`)));
    const trail = await agent.auditRecords(0, Date.now() + 1);
    expect(trail.filter((record) => record.tool === "weekly_digest").length).toBeGreaterThan(0);
    expect(trail.find((record) => record.tool === "digest:weekly_digest")).toMatchObject({
      email: ADMIN,
      site_id: "example.com",
      status: "delivered",
      attempts: 1,
    });

    const shown = await page(admin, "/admin/digests?notice=subscription_added");
    expect(shown).toContain("<strong>Subscribed</strong> the webhook");
    expect(shown).toContain("https://hooks.sink.example/…");
    expect(shown).not.toContain("secret");
    expect(shown).toContain(`<td>${ADMIN}</td>`);
    expect(shown).toContain("<td>weekly_digest</td><td>delivered</td><td>1</td>");

    const [stored] = await team().list();
    expect(
      (
        await postForm(admin, "/admin/digests/delete", [
          ["csrf", csrf],
          ["id", stored!.id],
        ])
      ).status,
    ).toBe(303);
    expect(await team().list()).toEqual([]);
  });

  it("logs a subscription added and deleted on /admin, with the administrator and the site", async () => {
    const admin = await signedInAdmin();
    const csrf = csrfOf(await page(admin));
    const log = captureLogLines();
    await postForm(admin, "/admin/digests/subscribe", subscription(csrf));
    const [stored] = await team().list();
    await postForm(admin, "/admin/digests/delete", [
      ["csrf", csrf],
      ["id", stored!.id],
    ]);
    log.stop();

    expect(log.events("admin_action")).toEqual([
      { event: "admin_action", user: ADMIN, action: "digests:subscribe", site_id: "example.com" },
      { event: "admin_action", user: ADMIN, action: "digests:delete", site_id: "example.com" },
    ]);
  });

  it("shows a destination that kept failing as paused", async () => {
    sink.status = 500;
    const admin = await signedInAdmin();
    const csrf = csrfOf(await page(admin));
    await postForm(admin, "/admin/digests/subscribe", subscription(csrf));
    for (let run = 0; run < 3; run++) await digestNow();
    expect(await page(admin)).toMatch(/<strong>paused<\/strong> since .* UTC \(3 failed in a row\)/);
  });

  it("says why a webhook is refused", async () => {
    const admin = await signedInAdmin();
    const csrf = csrfOf(await page(admin));
    const refused = await postForm(admin, "/admin/digests/subscribe", subscription(csrf, "https://192.168.1.10/hook"));
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain("the webhook URL is refused: 192.168.1.10 is in 192.168.0.0/16");
    expect(await team().list()).toEqual([]);
  });

  it("refuses a change without the session's CSRF token, from another origin, or signed out", async () => {
    const admin = await signedInAdmin();
    const csrf = csrfOf(await page(admin));
    expect((await postForm(admin, "/admin/digests/subscribe", subscription("0".repeat(48)))).status).toBe(403);
    expect((await postForm(admin, "/admin/digests/subscribe", subscription(csrf), { Origin: "https://evil.test" })).status).toBe(403);
    expect((await postForm(new Browser(SETTINGS), "/admin/digests/subscribe", subscription(csrf))).status).toBe(403);
    expect(await team().list()).toEqual([]);
  });
});
