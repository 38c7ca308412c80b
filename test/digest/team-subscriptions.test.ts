import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { digestStoreName } from "../../src/agent/digest-store";
import { Browser, connectedClient, openInternalSession, useSignInFakes } from "../support/harness";
import { connectBearer } from "../support/mcp-clients";

/** Subscriptions made with the tools on /internal are the team's: every member sees them, no key holder does. */

const fakes = useSignInFakes();
afterEach(async () => {
  fakes.plausible.restore();
  const team = env.DIGESTS.getByName(digestStoreName({ kind: "team" }));
  for (const subscription of await team.list()) await team.unsubscribe(subscription.id);
});

async function member(sub: string, email: string) {
  fakes.issuer.user = { sub, email, name: email, email_verified: true };
  const browser = new Browser();
  const { tokens } = await connectedClient(browser, fakes.issuer);
  return openInternalSession(browser, tokens.access_token);
}

describe("team subscriptions on /internal", () => {
  it("are made by one member, seen and removable by another, and invisible to a key's holder", async () => {
    const ada = await member("team-digest-ada", "ada@example.com");
    const made = await ada.callTool({
      name: "subscribe_digest",
      arguments: { site_id: "example.com", webhook_url: "https://hooks.sink.example/team" },
    });
    expect(made.isError).toBeFalsy();
    const { id } = (made.structuredContent as { subscription: { id: string } }).subscription;

    const grace = await member("team-digest-grace", "grace@example.com");
    expect((await grace.callTool({ name: "list_subscriptions", arguments: {} })).structuredContent).toMatchObject({
      subscriptions: [{ id, created_by: "ada@example.com", destination: "https://hooks.sink.example/…" }],
    });

    const holder = await connectBearer("streamable-http (SDK v2)", "test-key-aaaaaaaa");
    const seenByKey = (await holder.callTool({ name: "list_subscriptions", arguments: {} })).structuredContent as {
      subscriptions: { id: string }[];
    };
    expect(seenByKey.subscriptions.map((subscription) => subscription.id)).not.toContain(id);
    expect((await holder.callTool({ name: "unsubscribe", arguments: { id } })).isError).toBe(true);

    expect((await grace.callTool({ name: "unsubscribe", arguments: { id } })).structuredContent).toEqual({ id, deleted: true });
    await Promise.all([ada.close(), grace.close(), holder.close()]);
  });
});
