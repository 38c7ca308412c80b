import { afterEach, describe, expect, it, vi } from "vitest";
import { Browser, connectedClient, useSignInFakes, openInternalSession } from "../support/harness";
import { textOf } from "../support/mcp-clients";

const fakes = useSignInFakes();
afterEach(() => {
  vi.useRealTimers();
  fakes.plausible.restore();
});

/** Signs `user` in through the whole OAuth flow and opens an MCP session on /internal. */
async function signedInSession(user: { sub: string; email: string; name: string }) {
  fakes.issuer.user = { ...user, email_verified: true };
  const browser = new Browser();
  const { tokens } = await connectedClient(browser, fakes.issuer);
  return openSession(browser, tokens.access_token);
}

async function openSession(browser: Browser, accessToken: string) {
  return { client: await openInternalSession(browser, accessToken), browser, accessToken };
}

const aggregate = (site: string) => ({ name: "get_aggregate", arguments: { site_id: site, date_range: "7d" } });

describe("/internal sessions share the user's limits and cache", () => {
  it("queries Plausible with the shared server-side key", async () => {
    const { client } = await signedInSession({ sub: "shared-key-user", email: "kay@example.com", name: "Kay" });
    const result = await client.callTool(aggregate("shared.example.com"));
    expect(result.isError).toBeFalsy();
    expect(fakes.plausible.requests.at(-1)?.authorization).toBe("Bearer test-plausible-api-key");
    await client.close();
  });

  it("limits one user's burst across two sessions, while another user is unaffected", async () => {
    const first = await signedInSession({ sub: "burst-user", email: "ada@example.com", name: "Ada" });
    // A second MCP session of the same user (same grant): a new session must not reset the bucket.
    const second = await openSession(first.browser, first.accessToken);
    // The clock stands still, so no token refills while the burst is spent, however slow the machine.
    vi.useFakeTimers({ toFake: ["Date"] });
    for (let index = 0; index < 30; index += 1) {
      const session = index % 2 === 0 ? first : second;
      const result = await session.client.callTool(aggregate(`burst-${index}.example.com`));
      expect(result.isError, textOf(result)).toBeFalsy();
    }
    const refused = await second.client.callTool(aggregate("one-too-many.example.com"));
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toContain("Rate limit reached for this user");
    expect(textOf(refused)).toMatch(/next request is allowed in \d+ s/);
    const sentByFirstUser = fakes.plausible.requests.length;
    expect(sentByFirstUser).toBe(30);

    const other = await signedInSession({ sub: "other-user", email: "grace@example.com", name: "Grace" });
    const unaffected = await other.client.callTool(aggregate("one-too-many.example.com"));
    expect(unaffected.isError, textOf(unaffected)).toBeFalsy();
    expect(fakes.plausible.requests.length).toBe(sentByFirstUser + 1);

    vi.useRealTimers();
    await Promise.all([first.client.close(), second.client.close(), other.client.close()]);
  });

  it("answers a user's repeated question from the cache, whichever session asks", async () => {
    const first = await signedInSession({ sub: "cache-user", email: "lin@example.com", name: "Lin" });
    const second = await openSession(first.browser, first.accessToken);
    await first.client.callTool(aggregate("cached.example.com"));
    const before = fakes.plausible.requests.length;
    const repeated = await second.client.callTool(aggregate("cached.example.com"));
    expect(repeated.isError).toBeFalsy();
    expect(fakes.plausible.requests.length).toBe(before);
    await Promise.all([first.client.close(), second.client.close()]);
  });
});
