import { env } from "cloudflare:workers";
import { createScheduledController } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import worker from "../../src/worker";
import { digestStoreName } from "../../src/agent/digest-store";
import { sha256Hex } from "../../src/shared/hash";
import { addDays, dateIn, datesBetween } from "../../src/tools/dates";
import { interceptOrigin } from "../support/fetch-boundary";
import { installFakePlausible, type FakePlausible } from "../support/fake-plausible";
import { connectBearer } from "../support/mcp-clients";

/**
 * Change alerts against a site whose traffic is steady but for a spike from one source yesterday (in
 * Berlin, the fake Sites API's timezone of the site): one alert a day at most, and an anomaly once.
 */

const SINK = "https://hooks.sink.example";
const KEY = "test-key-bbbbbbbb";
const SITE = "example.com";
const DAY_MS = 86_400_000;

let plausible: FakePlausible;
let received: Record<string, unknown>[];
let removeSink: () => void;

const today = dateIn("Europe/Berlin", new Date());
const spikeDay = addDays(today, -1);

/** Steady visitors with a little deterministic noise, and 300 more from Hacker News on the spike day. */
function visitors(source: string, date: string): number {
  const wobble = ([...date].reduce((sum, char) => sum * 31 + char.charCodeAt(0), 7) % 11) - 5;
  if (source === "Hacker News") return date === spikeDay ? 300 : 1;
  return 200 + wobble * 2;
}

beforeEach(() => {
  plausible = installFakePlausible();
  plausible.use((request) => {
    const body = request.body as { date_range?: unknown; dimensions?: string[] } | undefined;
    if (request.path !== "/api/v2/query" || !Array.isArray(body?.date_range) || !body.dimensions?.includes("time:day")) return undefined;
    const [from, to] = (body.date_range as string[]).map((date) => date.slice(0, 10));
    const dates = datesBetween(from!, to!).filter((date) => date < today);
    const byValue = body.dimensions.length > 1;
    const results = dates.flatMap((date) =>
      byValue
        ? ["Google", "Hacker News"].map((value) => ({ dimensions: [value, date], metrics: [visitors(value, date)] }))
        : [{ dimensions: [date], metrics: [visitors("Google", date) + visitors("Hacker News", date)] }],
    );
    return Response.json({ results, meta: {}, query: body });
  });
  received = [];
  removeSink = interceptOrigin(SINK, async (request) => {
    received.push((await request.json()) as Record<string, unknown>);
    return new Response("ok");
  });
});
afterEach(async () => {
  removeSink();
  plausible.restore();
  const store = env.DIGESTS.getByName(digestStoreName({ kind: "key", keyDigest: await sha256Hex(KEY) }));
  for (const subscription of await store.list()) await store.unsubscribe(subscription.id);
});

async function hourly(at: number): Promise<void> {
  await worker.scheduled!(createScheduledController({ cron: "0 * * * *", scheduledTime: at }), env);
}

describe("change alerts", () => {
  it("alerts once on the flagged day with the false-alarm rate, at most once a day, never the same anomaly twice", async () => {
    const client = await connectBearer("streamable-http (SDK v2)", KEY);
    await client.callTool({
      name: "subscribe_digest",
      arguments: { site_id: SITE, webhook_url: `${SINK}/alerts`, kinds: ["change_alerts"], format: "json" },
    });
    await client.close();

    // 10:30 in Berlin today, then an hour later, then the same time tomorrow (the spike is still in the week).
    const morning = Date.parse(`${today}T09:30:00Z`);
    await hourly(morning);
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ type: "change_alert" });
    expect(received[0]!.text).toContain(`${spikeDay}: visitors`);
    expect(received[0]!.text).toContain('visit:source "Hacker News"');
    expect(received[0]!.text).toContain("at most 3 % of runs");

    await hourly(morning + 3_600_000);
    await hourly(morning + DAY_MS);
    expect(received).toHaveLength(1);
    // Tomorrow's run looked again and found only what it had reported.
    const store = env.DIGESTS.getByName(digestStoreName({ kind: "key", keyDigest: await sha256Hex(KEY) }));
    const [latest] = await store.deliveries();
    expect(latest).toMatchObject({ kind: "change_alerts", status: "skipped", detail: "nothing new" });
  });
});
