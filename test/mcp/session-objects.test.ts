import { env } from "cloudflare:workers";
import { listDurableObjectIds, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { getAgentByName } from "agents";
import { describe, expect, it } from "vitest";
import { mintSessionId, serveOwnedSessions, type SessionOwner } from "../../src/mcp/owned-sessions";
import { PlausibleMcpSession } from "../../src/mcp/session";
import { sha256Hex } from "../../src/shared/hash";
import { BASE, Browser, connectedClient, connectWithKey, useSignInFakes } from "../support/harness";
import { retryWhileDestroying } from "../support/durable-objects";
import { workerFetch } from "../support/mcp-clients";

/**
 * Session objects are not left behind for ids that name no open session: an id minted for the caller
 * (the tag is a public digest, so anyone can mint ids for themselves) or the id of a session that has
 * expired passes the owner check, and must still get 404 without leaving a Durable Object or any
 * stored key behind, on every path of the three session classes.
 */

const fakes = useSignInFakes();

const KEY = "test-key-aaaaaaaa";
const MCP_HEADERS = { "Content-Type": "application/json", Accept: "application/json, text/event-stream" };
const PROTOCOL = { "mcp-protocol-version": "2025-06-18" };
const toolCall = JSON.stringify({
  jsonrpc: "2.0",
  id: 7,
  method: "tools/call",
  params: { name: "get_aggregate", arguments: { site_id: "example.com", date_range: "7d" } },
});
const initialize = JSON.stringify({
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "probe", version: "1" } },
});

type Call = (path: string, init?: { method?: string; headers?: Record<string, string>; body?: string }) => Promise<Response>;

const SESSION_NAMESPACES = [env.MCP_SESSION, env.KEY_SESSION, env.CONNECT_SESSION];
/** What constructing an agent writes by itself: an object holding only this holds no session. */
const WRITTEN_BY_CONSTRUCTION = new Set(["cf_agents:schema_version"]);

/**
 * Whether the object holds anything once the alarms due now have run. Looking constructs it again
 * (workerd keeps the file of a deleted object, so listing ids cannot tell), hence only what
 * construction writes is discounted.
 */
async function holdsData(namespace: DurableObjectNamespace<PlausibleMcpSession>, id: DurableObjectId): Promise<boolean> {
  // An alarm that deletes its object ends the object's run ("destroyed"): that is an outcome looked for.
  await runDurableObjectAlarm(namespace.get(id)).catch(() => true);
  return retryWhileDestroying(() =>
    runInDurableObject(namespace.get(id), async (_session: PlausibleMcpSession, state) => {
      const keys = [...(await state.storage.list()).keys()].filter((key) => !WRITTEN_BY_CONSTRUCTION.has(key));
      const tables = state.storage.sql
        .exec<{ name: string }>(
          "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'",
        )
        .toArray();
      const rows = tables.reduce(
        (sum, { name }) => sum + state.storage.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM "${name}"`).one().n,
        0,
      );
      return keys.length > 0 || rows > 0;
    }),
  );
}

/** The Durable Objects of the three session classes that hold anything. */
async function sessionObjects(): Promise<number> {
  let count = 0;
  for (const namespace of SESSION_NAMESPACES) {
    for (const id of await listDurableObjectIds(namespace)) if (await holdsData(namespace, id)) count += 1;
  }
  return count;
}

/** Every request that names a session, on a Streamable HTTP + legacy SSE endpoint (/internal, /connect) or on /sse. */
function namingRequests(call: Call, path: string, sessionId: string): Array<Promise<Response>> {
  const streamable = { ...MCP_HEADERS, ...PROTOCOL, "mcp-session-id": sessionId };
  const legacy = [
    call(`${path}/message?sessionId=${sessionId}`, { method: "POST", headers: MCP_HEADERS, body: toolCall }),
    call(`${path}?sessionId=${sessionId}`, { headers: { Accept: "text/event-stream" } }),
  ];
  if (path === "/sse") return legacy;
  return [
    ...legacy,
    call(path, { method: "POST", headers: streamable, body: toolCall }),
    call(path, { headers: { ...streamable, Accept: "text/event-stream" } }),
    call(path, { method: "DELETE", headers: streamable }),
  ];
}

async function statuses(answers: Array<Promise<Response>>): Promise<number[]> {
  const settled: number[] = [];
  // One at a time, as a client would send them; each answer's body is dropped.
  for (const answer of answers) {
    const response = await answer;
    await response.body?.cancel();
    settled.push(response.status);
  }
  return settled;
}

async function member(sub: string): Promise<Call> {
  fakes.issuer.user = { sub, email: `${sub}@example.com`, email_verified: true, name: sub };
  const browser = new Browser();
  const { tokens } = await connectedClient(browser, fakes.issuer);
  return (path, init = {}) =>
    browser.fetch(`${BASE}${path}`, { ...init, headers: { Authorization: `Bearer ${tokens.access_token}`, ...init.headers } });
}

async function connector(apiKey: string): Promise<Call> {
  const { browser, tokens } = await connectWithKey(apiKey);
  return (path, init = {}) =>
    browser.fetch(`${BASE}${path}`, { ...init, headers: { Authorization: `Bearer ${tokens.access_token}`, ...init.headers } });
}

const bearer =
  (apiKey: string): Call =>
  (path, init = {}) =>
    workerFetch(`${BASE}${path}`, { ...init, headers: { Authorization: `Bearer ${apiKey}`, ...init.headers } });

/** Opens a Streamable HTTP session and returns its id. */
async function openStreamable(call: Call, path: string): Promise<string> {
  const opened = await call(path, { method: "POST", headers: MCP_HEADERS, body: initialize });
  expect(opened.status).toBe(200);
  await opened.body?.cancel();
  return opened.headers.get("mcp-session-id")!;
}

/** Ends a session as its idle expiry does. */
async function expire(namespace: DurableObjectNamespace<PlausibleMcpSession>, name: string): Promise<void> {
  const stub = namespace.get(namespace.idFromName(name));
  await runInDurableObject(stub, (_session: PlausibleMcpSession, state) => state.storage.kv.put("last_activity_ms", 0));
  await runInDurableObject(stub, (session: PlausibleMcpSession) => session.expireIfIdle()).catch(() => undefined);
  await retryWhileDestroying(() => runInDurableObject(namespace.get(namespace.idFromName(name)), () => undefined));
}

describe("requests naming a session that is not open", () => {
  it("get 404 and leave no session object behind, for invented ids on /internal, /connect and /sse", async () => {
    const ada = await member("objects-ada");
    const connected = await connector(KEY);
    const owners: Array<[Call, string, SessionOwner]> = [
      [ada, "/internal", "user:objects-ada"],
      [connected, "/connect", `connect:${await sha256Hex(KEY)}`],
      [bearer(KEY), "/sse", `key:${await sha256Hex(KEY)}`],
    ];
    const before = await sessionObjects();
    const answered: Record<string, number[]> = {};
    for (const [call, path, owner] of owners) answered[path] = await statuses(namingRequests(call, path, await mintSessionId(owner)));
    expect(await sessionObjects()).toBe(before);
    expect(answered).toEqual({ "/internal": [404, 404, 404, 404, 404], "/connect": [404, 404, 404, 404, 404], "/sse": [404, 404] });
  });

  it("get 404 and leave nothing behind for the id of a session that has expired", async () => {
    const grace = await member("objects-grace");
    const sessionId = await openStreamable(grace, "/internal");
    await expire(env.MCP_SESSION, `streamable-http:${sessionId}`);
    const before = await sessionObjects();
    const answered = await statuses(namingRequests(grace, "/internal", sessionId));
    expect(await sessionObjects()).toBe(before);
    expect(answered).toEqual([404, 404, 404, 404, 404]);
  });
});

describe("a session object destroyed while a request to it is under way", () => {
  // The object of an id that names no open session deletes itself; a second request to it at that moment
  // is refused by the runtime with "destroyed" (durableObjectReset). The session is gone either way.
  const destroyed = () => Promise.reject(Object.assign(new Error("destroyed"), { durableObjectReset: true, remote: true }));
  const resetting = new Proxy({}, { get: (_target, property) => (property === "then" ? undefined : destroyed) });
  const namespace = {
    idFromName: (name: string) => env.MCP_SESSION.idFromName(name),
    idFromString: (id: string) => env.MCP_SESSION.idFromString(id),
    newUniqueId: () => env.MCP_SESSION.newUniqueId(),
    get: () => resetting,
    getByName: () => resetting,
  };
  const ctx = { waitUntil: () => undefined, passThroughOnException: () => undefined } as unknown as ExecutionContext;
  const sessions = serveOwnedSessions(PlausibleMcpSession, "/internal", "MCP_SESSION", "auto");

  it("answers 404 Session not found, on the Streamable HTTP and legacy paths", async () => {
    const owner: SessionOwner = "user:objects-reset";
    const sessionId = await mintSessionId(owner);
    const call: Call = (path, init = {}) =>
      sessions.fetch(new Request(`${BASE}${path}`, init), { ...env, MCP_SESSION: namespace } as unknown as Env, ctx, owner, {});
    const answers = await Promise.all(namingRequests(call, "/internal", sessionId).map((answer) => answer.catch((error: Error) => error)));
    const statuses = answers.map((answer) => (answer instanceof Response ? answer.status : answer.message));
    expect(statuses).toEqual([404, 404, 404, 404, 404]);
  });
});

describe("every session object that starts", () => {
  it("schedules its own expiry, before any connection or message", async () => {
    const sessionId = await mintSessionId("user:objects-start");
    const stub = await getAgentByName(env.MCP_SESSION, `streamable-http:${sessionId}`, {
      props: { sub: "objects-start", email: "objects-start@example.com", name: "Start" },
    });
    const scheduled = await runInDurableObject(stub, (session: PlausibleMcpSession) =>
      session.getSchedules().map((schedule) => schedule.callback),
    );
    expect(scheduled).toEqual(["expireIfIdle"]);
  });

  it("deletes itself at once when no session was opened in it", async () => {
    const before = await sessionObjects();
    const stub = await getAgentByName(env.KEY_SESSION, `sse:${await mintSessionId(`key:${await sha256Hex(KEY)}`)}`);
    expect(await holdsData(env.KEY_SESSION, stub.id)).toBe(false);
    expect(await sessionObjects()).toBe(before);
  });
});

describe("/sse with a key Plausible refuses", () => {
  it("answers 401 saying so, and opens neither a stream nor a session object", async () => {
    const before = await sessionObjects();
    const refused = await bearer("revoked-key-0000")("/sse", { headers: { Accept: "text/event-stream" } });
    expect(refused.status).toBe(401);
    expect(refused.headers.get("content-type")).toContain("application/json");
    const body = (await refused.json()) as { error: string; error_description: string };
    expect(body.error).toBe("invalid_token");
    expect(body.error_description).toContain("Plausible refused this API key");
    expect(body.error_description).toContain("Account settings > API keys");
    expect(await sessionObjects()).toBe(before);
  });

  it("still opens a stream for a key Plausible accepts", async () => {
    const opened = await bearer(KEY)("/sse", { headers: { Accept: "text/event-stream" } });
    expect(opened.status).toBe(200);
    await opened.body?.cancel();
  });
});
