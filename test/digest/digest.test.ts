import { env } from "cloudflare:workers";
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import worker from "../../src/worker";
import { digestStoreName } from "../../src/agent/digest-store";
import { sha256Hex } from "../../src/shared/hash";
import { interceptOrigin } from "../support/fetch-boundary";
import { installFakePlausible, type FakePlausible } from "../support/fake-plausible";
import { connectBearer, textOf } from "../support/mcp-clients";

const SINK = "https://hooks.sink.example";

let plausible: FakePlausible;
let received: { path: string; body: Record<string, unknown> }[];
let sinkStatus: number;
let removeSink: () => void;
beforeEach(() => {
  plausible = installFakePlausible();
  received = [];
  sinkStatus = 200;
  removeSink = interceptOrigin(SINK, async (request) => {
    received.push({ path: new URL(request.url).pathname, body: (await request.json()) as Record<string, unknown> });
    return new Response("ok", { status: sinkStatus });
  });
});
afterEach(() => {
  removeSink();
  plausible.restore();
});

async function runScheduled(cron: string, scheduledTime = Date.now()): Promise<void> {
  const ctx = createExecutionContext();
  await worker.scheduled!(createScheduledController({ cron, scheduledTime }), env, ctx);
  await waitOnExecutionContext(ctx);
}

async function subscribe(apiKey: string, args: Record<string, unknown>) {
  const client = await connectBearer("streamable-http (SDK v2)", apiKey);
  const result = await client.callTool({ name: "subscribe_digest", arguments: args });
  await client.close();
  return result;
}

describe("weekly digest", () => {
  it("a subscription made through the tool gets the digest at once on digest-now, in Slack's shape", async () => {
    const result = await subscribe("test-key-aaaaaaaa", { site_id: "example.com", webhook_url: `${SINK}/slack/T1/B1/secret` });
    expect(result.isError).toBeFalsy();
    expect(textOf(result)).toContain("https://hooks.sink.example/…");
    expect(textOf(result)).not.toContain("secret");

    await runScheduled("digest-now");
    const digest = received.find((delivery) => delivery.path === "/slack/T1/B1/secret");
    expect(digest).toBeDefined();
    expect(digest!.body.text).toContain("Weekly digest for example.com");
    expect(digest!.body.blocks).toBeInstanceOf(Array);
    expect(JSON.stringify(digest!.body)).not.toContain("test-key-aaaaaaaa");

    const store = env.DIGESTS.getByName(digestStoreName({ kind: "key", keyDigest: await sha256Hex("test-key-aaaaaaaa") }));
    const [delivery] = await store.deliveries();
    expect(delivery).toMatchObject({ kind: "weekly_digest", status: "delivered", attempts: 1 });
  });
});
