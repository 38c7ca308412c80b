import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_SITE_ID } from "../../dev/demo/stack.ts";
import { DEFAULT_DEMO_USER, type DemoUser } from "../../dev/oidc/issuer.ts";
import { callOk, connectWithKey, connectWithOAuth, textOf, type E2eClient } from "../../dev/clients/mcp-clients.ts";
import { RecordingOAuthProvider, startLoopbackRedirect, type LoopbackRedirect } from "../../dev/clients/oauth-client.ts";
import { seedDemoMemory } from "../../dev/demo/seed-memory.ts";
import { walkAuthorization } from "./support/form-browser.ts";
import { startE2eStack, type DemoStack } from "./support/stack.ts";

/**
 * Team memory through wrangler dev: annotations and targets added, listed and deleted on /mcp (the
 * key's own memory) and /internal (the team's, behind sign-in), and never seen across scopes. The
 * demo user is the stack's administrator (ADMIN_EMAILS); Alice and Bob are members.
 */

const OTHER_KEY = "e2e-memory-other-key";
const ALICE: DemoUser = { email: "alice@example.com", name: "Alice" };
const BOB: DemoUser = { email: "bob@example.com", name: "Bob" };
const MAY: [string, string] = ["2026-05-01", "2026-05-31"];

interface Listed {
  annotations: { id: string; text: string; author?: string }[];
}
interface Added {
  annotation: { id: string; author?: string };
  created: boolean;
}

let stack: DemoStack;
let loopback: LoopbackRedirect;
const clients: E2eClient[] = [];

beforeAll(async () => {
  stack = await startE2eStack({ keys: { [OTHER_KEY]: "*" } });
  loopback = await startLoopbackRedirect();
});
afterAll(async () => {
  for (const client of clients) await client.close().catch(() => undefined);
  await loopback?.close();
  await stack?.stop();
});

async function withKey(apiKey: string): Promise<E2eClient> {
  const client = await connectWithKey("SDK v2, Streamable HTTP", stack.urls.mcp, apiKey);
  clients.push(client);
  return client;
}

/** A member signed in to /internal: discovery from the 401, the consent form and the issuer walked without a browser. */
async function member(user: DemoUser): Promise<E2eClient> {
  const provider = new RecordingOAuthProvider(loopback.redirectUrl, `${user.name}'s client`);
  stack.issuer.signInAs(user);
  try {
    const transport = new StreamableHTTPClientTransport(new URL(stack.urls.internal), { authProvider: provider });
    await expect(new Client({ name: "plausible-mcp-e2e", version: "1.0.0" }).connect(transport)).rejects.toBeInstanceOf(UnauthorizedError);
    const walked = await walkAuthorization(provider.authorizationUrls.at(-1)!.href, loopback.redirectUrl, { button: "Approve" });
    expect(walked.status, walked.body).toBe(200);
    await transport.finishAuth(loopback.hits.at(-1)!.code!);
  } finally {
    stack.issuer.signInAs(DEFAULT_DEMO_USER);
  }
  const client = await connectWithOAuth("SDK v1, Streamable HTTP", stack.urls.internal, provider);
  clients.push(client);
  return client;
}

const listMay = (client: E2eClient) => callOk<Listed>(client, "list_annotations", { site_id: DEMO_SITE_ID, date_range: MAY });

describe("team memory end to end", () => {
  it("on /mcp, a key adds, lists and deletes annotations and sets a target; another key sees none of it", async () => {
    const mine = await withKey(stack.apiKey);
    const other = await withKey(OTHER_KEY);
    const note = { site_id: DEMO_SITE_ID, date: "2026-05-12", text: "Key holder's deploy", kind: "deploy" };
    const added = await callOk<Added>(mine, "add_annotation", note);
    expect(added.created).toBe(true);
    expect(await callOk<Added>(mine, "add_annotation", note)).toEqual({ ...added, created: false });
    expect((await listMay(mine)).annotations.map((annotation) => annotation.text)).toEqual(["Key holder's deploy"]);
    expect(await callOk(mine, "set_target", { site_id: DEMO_SITE_ID, metric: "visitors", period: "2026-05", value: 120000 })).toEqual({
      site_id: DEMO_SITE_ID,
      metric: "visitors",
      period: "2026-05",
      value: 120000,
    });
    await callOk(mine, "set_site_context", { site_id: DEMO_SITE_ID, text: "Signup means a completed trial form." });
    const context = await mine.readResource({ uri: `plausible://sites/${DEMO_SITE_ID}/context` });
    expect(context.contents[0]!.text).toBe("Signup means a completed trial form.");

    expect((await listMay(other)).annotations).toEqual([]);
    const refused = await other.callTool({ name: "delete_annotation", arguments: { id: added.annotation.id } });
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toContain(`there is no annotation ${added.annotation.id} here`);
    const thisMonth = new Date().toISOString().slice(0, 7);
    await callOk(mine, "set_target", { site_id: DEMO_SITE_ID, metric: "visits", period: thisMonth, value: 90000 });
    const weekly = await mine.getPrompt({ name: "weekly_report", arguments: { site_id: DEMO_SITE_ID } });
    expect(weekly.messages[0]!.content.text).toContain("Site context (what the team says about example.com; read the numbers with it):");
    expect(weekly.messages[0]!.content.text).toContain(`- visits: 90000 in ${thisMonth}`);
    const otherWeekly = await other.getPrompt({ name: "weekly_report", arguments: { site_id: DEMO_SITE_ID } });
    expect(otherWeekly.messages[0]!.content.text).not.toContain("What the team noted");

    expect((await other.readResource({ uri: `plausible://sites/${DEMO_SITE_ID}/context` })).contents[0]!.text).toMatch(/No context/);
    const annotations = await other.readResource({ uri: `plausible://sites/${DEMO_SITE_ID}/annotations` });
    expect(JSON.parse(annotations.contents[0]!.text!)).toMatchObject({ annotations: [] });

    expect(await callOk(mine, "delete_annotation", { id: added.annotation.id })).toEqual({ id: added.annotation.id, deleted: true });
    expect((await listMay(mine)).annotations).toEqual([]);
  });

  it("on /internal, members share annotations; only the author or an administrator deletes, only administrators set targets", async () => {
    const alice = await member(ALICE);
    const bob = await member(BOB);
    const admin = await member(DEFAULT_DEMO_USER);
    const key = await withKey(stack.apiKey);

    const added = await callOk<Added>(alice, "add_annotation", {
      site_id: DEMO_SITE_ID,
      date: "2026-05-14T15:30:00+02:00",
      text: "Alice's pricing page release",
      kind: "release",
    });
    expect(added.annotation.author).toBe(ALICE.email);
    expect((await listMay(bob)).annotations).toMatchObject([{ id: added.annotation.id, author: ALICE.email }]);
    // The team's memory is not the key's, and the key's is not the team's.
    expect((await listMay(key)).annotations).toEqual([]);
    await callOk(key, "add_annotation", { site_id: DEMO_SITE_ID, date: "2026-05-20", text: "Only the key's" });
    expect((await listMay(bob)).annotations.map((annotation) => annotation.text)).toEqual(["Alice's pricing page release"]);

    const notAuthor = await bob.callTool({ name: "delete_annotation", arguments: { id: added.annotation.id } });
    expect(notAuthor.isError).toBe(true);
    expect(textOf(notAuthor)).toContain("only its author or an administrator (ADMIN_EMAILS) can delete it");
    expect((await listMay(alice)).annotations).toHaveLength(1);

    const target = { site_id: DEMO_SITE_ID, metric: "pageviews", period: "2026-Q2", value: 500000 };
    const notAdmin = await bob.callTool({ name: "set_target", arguments: target });
    expect(notAdmin.isError).toBe(true);
    expect(textOf(notAdmin)).toContain("Only an administrator (ADMIN_EMAILS) sets the team's targets");
    expect(await callOk(admin, "set_target", target)).toEqual(target);

    expect(await callOk(alice, "delete_annotation", { id: added.annotation.id })).toEqual({ id: added.annotation.id, deleted: true });
    const second = await callOk<Added>(bob, "add_annotation", { site_id: DEMO_SITE_ID, date: "2026-05-21", text: "Bob's campaign" });
    expect(await callOk(admin, "delete_annotation", { id: second.annotation.id })).toEqual({ id: second.annotation.id, deleted: true });
    expect((await listMay(alice)).annotations).toEqual([]);
  });

  it("the demo notes a deploy and a visitors target per site, in the key's and the team's memory, once however often it runs", async () => {
    await seedDemoMemory(stack);
    const seeded = await seedDemoMemory(stack);
    const example = seeded.sites.find((site) => site.domain === DEMO_SITE_ID)!;
    expect(example.target.value).toBeGreaterThan(0);
    const key = await withKey(stack.apiKey);
    const team = await member(ALICE);
    for (const client of [key, team]) {
      const listed = await callOk<Listed>(client, "list_annotations", {
        site_id: DEMO_SITE_ID,
        date_range: [example.deploy.date, example.deploy.date],
      });
      expect(listed.annotations.map((annotation) => annotation.text)).toEqual([example.deploy.text]);
      const context = await client.readResource({ uri: `plausible://sites/${DEMO_SITE_ID}/context` });
      expect(context.contents[0]!.text).toContain("Signup is a completed trial form");
    }
    const weekly = await key.getPrompt({ name: "weekly_report", arguments: { site_id: DEMO_SITE_ID } });
    expect(weekly.messages[0]!.content.text).toContain(`- visitors: ${example.target.value} in ${example.target.period}`);
  });
});
