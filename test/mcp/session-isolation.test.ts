import { env } from "cloudflare:workers";
import { listDurableObjectIds, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import type { PlausibleMcpSession } from "../../src/mcp/session";
import { revokeUserByEmail } from "../../src/auth/user-index";
import { BASE, Browser, connectedClient, useSignInFakes, oauthHelpers } from "../support/harness";
import { retryWhileDestroying } from "../support/durable-objects";
import { workerFetch } from "../support/mcp-clients";

/**
 * The attacks of issue 11, as an attacker would try them with plain HTTP: a session belongs to the
 * principal that opened it (the signed-in member on /internal, the key on /sse), and nobody else can
 * post into it, attach to it or close it, whatever endpoint they come through.
 */

const fakes = useSignInFakes();
afterEach(() => fakes.plausible.restore());

const SHARED_KEY = "Bearer test-plausible-api-key";
const toolCall = (site: string) =>
  JSON.stringify({
    jsonrpc: "2.0",
    id: 7,
    method: "tools/call",
    params: { name: "get_aggregate", arguments: { site_id: site, date_range: "7d" } },
  });
const initialize = JSON.stringify({
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "probe", version: "1" } },
});
const MCP_HEADERS = { "Content-Type": "application/json", Accept: "application/json, text/event-stream" };

async function member(sub: string, email: string) {
  fakes.issuer.user = { sub, email, email_verified: true, name: sub };
  const browser = new Browser();
  const { tokens } = await connectedClient(browser, fakes.issuer);
  const fetchAs = (path: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}) =>
    browser.fetch(`${BASE}${path}`, { ...init, headers: { Authorization: `Bearer ${tokens.access_token}`, ...init.headers } });
  return { browser, token: tokens.access_token, email, fetchAs };
}

/** Opens a legacy SSE stream and reads the session id from its `endpoint` event, as step 1 of the attack does. */
async function openSseStream(response: Response): Promise<{ sessionId: string; stream: ReadableStreamDefaultReader<Uint8Array> }> {
  expect(response.status).toBe(200);
  const stream = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = "";
  while (!/event: endpoint\ndata: ([^\n]+)\n/.test(text)) {
    const { value, done } = await stream.read();
    if (done) throw new Error(`stream ended before the endpoint event: ${text}`);
    text += decoder.decode(value, { stream: true });
  }
  const endpoint = /event: endpoint\ndata: ([^\n]+)\n/.exec(text)![1]!;
  return { sessionId: new URL(endpoint, BASE).searchParams.get("sessionId")!, stream };
}

function sharedKeyRequests(): number {
  return fakes.plausible.requests.filter((request) => request.authorization === SHARED_KEY).length;
}

const postWithKey = (path: string, key: string, body: string) =>
  workerFetch(`${BASE}${path}`, { method: "POST", headers: { ...MCP_HEADERS, Authorization: `Bearer ${key}` }, body });
const attachWithKey = (path: string, key: string) =>
  workerFetch(`${BASE}${path}`, { headers: { Accept: "text/event-stream", Authorization: `Bearer ${key}` } });

async function storedSessionObjects(): Promise<number> {
  return (await listDurableObjectIds(env.MCP_SESSION)).length + (await listDurableObjectIds(env.KEY_SESSION)).length;
}

describe("a member's /internal session cannot be reached from /sse", () => {
  it("refuses a tool call posted to /sse/message with the member's session id, and runs nothing on the shared key (Why 1-2)", async () => {
    const ada = await member("isolation-ada", "ada@example.com");
    const { sessionId, stream } = await openSseStream(await ada.fetchAs("/internal", { headers: { Accept: "text/event-stream" } }));
    const before = sharedKeyRequests();

    const posted = await postWithKey(`/sse/message?sessionId=${sessionId}`, "anything123", toolCall("stolen.example.com"));
    expect(posted.status).toBe(404);
    // The member's own message still goes through her session: the refusal was about the caller.
    const own = await ada.fetchAs(`/internal/message?sessionId=${sessionId}`, { method: "POST", headers: MCP_HEADERS, body: initialize });
    expect(own.status).toBe(202);
    expect(sharedKeyRequests()).toBe(before);
    await stream.cancel();
  });

  it("refuses to attach an /sse stream to the member's session (Why 3)", async () => {
    const ada = await member("isolation-ada-2", "ada2@example.com");
    const { sessionId, stream } = await openSseStream(await ada.fetchAs("/internal", { headers: { Accept: "text/event-stream" } }));
    const attached = await attachWithKey(`/sse?sessionId=${sessionId}`, "anything123");
    expect(attached.status).toBe(404);
    await attached.body?.cancel();
    await stream.cancel();
  });

  it("answers the revoked member's session with 401, and /sse cannot keep it alive either", async () => {
    const leaver = await member("isolation-leaver", "leaver-11@example.com");
    const { sessionId, stream } = await openSseStream(await leaver.fetchAs("/internal", { headers: { Accept: "text/event-stream" } }));
    expect(await revokeUserByEmail(env.OAUTH_KV, oauthHelpers(), leaver.email)).toBe(1);
    const before = sharedKeyRequests();

    const own = await leaver.fetchAs(`/internal/message?sessionId=${sessionId}`, {
      method: "POST",
      headers: MCP_HEADERS,
      body: toolCall("revoked.example.com"),
    });
    expect(own.status).toBe(401);
    const viaSse = await postWithKey(`/sse/message?sessionId=${sessionId}`, "anything123", toolCall("revoked.example.com"));
    expect(viaSse.status).toBe(404);
    expect(sharedKeyRequests()).toBe(before);
    await stream.cancel();
  });
});

describe("a session belongs to the principal that opened it", () => {
  it("on /sse: another key can neither attach to nor post into a key's session", async () => {
    const { sessionId, stream } = await openSseStream(await attachWithKey("/sse", "test-key-aaaaaaaa"));
    const before = fakes.plausible.requests.length;

    const attached = await attachWithKey(`/sse?sessionId=${sessionId}`, "test-key-bbbbbbbb");
    expect(attached.status).toBe(404);
    await attached.body?.cancel();
    const posted = await postWithKey(`/sse/message?sessionId=${sessionId}`, "test-key-bbbbbbbb", toolCall("other-key.example.com"));
    expect(posted.status).toBe(404);
    // The owner's key still reaches it.
    const own = await postWithKey(`/sse/message?sessionId=${sessionId}`, "test-key-aaaaaaaa", initialize);
    expect(own.status).toBe(202);
    expect(fakes.plausible.requests.length).toBe(before);
    await stream.cancel();
  });

  it("on /internal: another member's valid token cannot use, attach to or close a member's session", async () => {
    const owner = await member("isolation-owner", "owner@example.com");
    const intruder = await member("isolation-intruder", "intruder@example.com");
    const opened = await owner.fetchAs("/internal", { method: "POST", headers: MCP_HEADERS, body: initialize });
    expect(opened.status).toBe(200);
    const sessionId = opened.headers.get("mcp-session-id")!;
    await opened.body?.cancel();
    const before = sharedKeyRequests();
    const streamable = { ...MCP_HEADERS, "mcp-session-id": sessionId, "mcp-protocol-version": "2025-06-18" };

    const called = await intruder.fetchAs("/internal", { method: "POST", headers: streamable, body: toolCall("cross-member.example.com") });
    expect(called.status).toBe(404);
    const attached = await intruder.fetchAs("/internal", { headers: { ...streamable, Accept: "text/event-stream" } });
    expect(attached.status).toBe(404);
    const closed = await intruder.fetchAs("/internal", { method: "DELETE", headers: streamable });
    expect(closed.status).toBe(404);

    const { sessionId: sseSessionId, stream } = await openSseStream(
      await owner.fetchAs("/internal", { headers: { Accept: "text/event-stream" } }),
    );
    const posted = await intruder.fetchAs(`/internal/message?sessionId=${sseSessionId}`, {
      method: "POST",
      headers: MCP_HEADERS,
      body: toolCall("cross-member.example.com"),
    });
    expect(posted.status).toBe(404);
    const sseAttach = await intruder.fetchAs(`/internal?sessionId=${sseSessionId}`, { headers: { Accept: "text/event-stream" } });
    expect(sseAttach.status).toBe(404);
    await sseAttach.body?.cancel();
    expect(sharedKeyRequests()).toBe(before);

    // The owner's session is untouched by all of that.
    const own = await owner.fetchAs("/internal", {
      method: "POST",
      headers: streamable,
      body: JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" }),
    });
    expect(own.status).toBe(200);
    await own.body?.cancel();
    await stream.cancel();
  });

  it("answers an unknown session id with 404 and stores nothing for it, on every path", async () => {
    const ada = await member("isolation-unknown", "unknown@example.com");
    const unknown = "0".repeat(63) + "1";
    const before = await storedSessionObjects();
    const streamable = { ...MCP_HEADERS, "mcp-session-id": unknown, "mcp-protocol-version": "2025-06-18" };

    const answers = [
      await postWithKey(`/sse/message?sessionId=${unknown}`, "test-key-aaaaaaaa", toolCall("unknown.example.com")),
      await attachWithKey(`/sse?sessionId=${unknown}`, "test-key-aaaaaaaa"),
      await ada.fetchAs(`/internal/message?sessionId=${unknown}`, {
        method: "POST",
        headers: MCP_HEADERS,
        body: toolCall("unknown.example.com"),
      }),
      await ada.fetchAs(`/internal?sessionId=${unknown}`, { headers: { Accept: "text/event-stream" } }),
      await ada.fetchAs("/internal", { method: "POST", headers: streamable, body: toolCall("unknown.example.com") }),
      await ada.fetchAs("/internal", { method: "DELETE", headers: streamable }),
    ];
    for (const answer of answers) await answer.body?.cancel();
    expect(answers.map((answer) => answer.status)).toEqual([404, 404, 404, 404, 404, 404]);
    expect(await storedSessionObjects()).toBe(before);
  });
});

describe("session expiry", () => {
  it("schedules an idle check on traffic and deletes the session's storage once idle for SESSION_IDLE_SECONDS", async () => {
    const { sessionId, stream } = await openSseStream(await attachWithKey("/sse", "test-key-aaaaaaaa"));
    expect((await postWithKey(`/sse/message?sessionId=${sessionId}`, "test-key-aaaaaaaa", initialize)).status).toBe(202);
    const stub = env.KEY_SESSION.get(env.KEY_SESSION.idFromName(`sse:${sessionId}`));
    const before = await runInDurableObject(stub, async (session: PlausibleMcpSession, state) => ({
      scheduled: session.getSchedules().map((schedule) => schedule.callback),
      props: await state.storage.get("props"),
    }));
    expect(before.scheduled).toEqual(["expireIfIdle"]);
    expect(before.props).toBeDefined();
    await stream.cancel();

    await runInDurableObject(stub, (_session: PlausibleMcpSession, state) =>
      state.storage.kv.put("last_activity_ms", Date.now() - (Number(env.SESSION_IDLE_SECONDS) + 1) * 1000),
    );
    await runInDurableObject(stub, (session: PlausibleMcpSession) => session.expireIfIdle()).catch(() => undefined);
    // A new stub reaches the replacement of the destroyed object.
    const fresh = () => env.KEY_SESSION.get(env.KEY_SESSION.idFromName(`sse:${sessionId}`));
    const after = await retryWhileDestroying(() =>
      runInDurableObject(fresh(), async (_session: PlausibleMcpSession, state) => state.storage.get("props")),
    );
    expect(after).toBeUndefined();
  });
});
