import { env } from "cloudflare:workers";
import { Client as ClientV2, StreamableHTTPClientTransport as StreamableHTTPClientTransportV2 } from "@modelcontextprotocol/client";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterEach, describe, expect, it } from "vitest";
import { sha256Hex } from "../../src/shared/hash";
import { TEXTS } from "../support/fake-plausible";
import { connectBearer, textOf } from "../support/mcp-clients";
import {
  BASE,
  Browser,
  CONNECT,
  authorizePage,
  callInternal,
  connectedClient,
  connectWithKey,
  handleOf,
  registerConnectClient,
  submitKey,
  useSignInFakes,
  pkce,
  withToken,
} from "../support/harness";

/** /connect: bring your own Plausible key through OAuth (the authorization page asks for it). */

const GOOD_KEY = "test-key-aaaaaaaa";
const OTHER_KEY = "test-key-bbbbbbbb";

const fakes = useSignInFakes();
afterEach(() => fakes.plausible.restore());

async function openConnectSession(
  browser: Browser,
  accessToken: string,
  transport: "streamable-http" | "sse" = "streamable-http",
): Promise<Client> {
  const client = new Client({ name: "connect-test", version: "1.0.0" });
  const fetch = withToken(browser, accessToken);
  await client.connect(
    transport === "sse"
      ? new SSEClientTransport(new URL(CONNECT), { fetch, eventSourceInit: { fetch } as never })
      : new StreamableHTTPClientTransport(new URL(CONNECT), { fetch }),
  );
  return client;
}

function initialize(browser: Browser, accessToken: string, url = CONNECT, headers: Record<string, string> = {}): Promise<Response> {
  return browser.fetch(url, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      Accept: "application/json, text/event-stream",
      Authorization: `Bearer ${accessToken}`,
      ...headers,
    },
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "probe", version: "1" } },
    }),
  });
}

const aggregate = { name: "get_aggregate", arguments: { site_id: "example.com", date_range: "7d" } };

describe("/connect discovery", () => {
  it("publishes its own protected resource and authorization server", async () => {
    const browser = new Browser();
    const resource = await browser.fetch(`${BASE}/.well-known/oauth-protected-resource/connect`);
    expect(resource.status).toBe(200);
    expect(await resource.json()).toMatchObject({ resource: CONNECT, authorization_servers: [CONNECT] });
    const server = await browser.fetch(`${BASE}/.well-known/oauth-authorization-server/connect`);
    expect(await server.json()).toMatchObject({
      issuer: CONNECT,
      authorization_endpoint: `${CONNECT}/authorize`,
      token_endpoint: `${CONNECT}/token`,
      revocation_endpoint: `${CONNECT}/token`,
    });
  });

  it("answers an MCP request without a token with a challenge naming its metadata", async () => {
    const response = await new Browser().fetch(CONNECT, { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" });
    expect(response.status).toBe(401);
    expect(response.headers.get("WWW-Authenticate")).toContain(`${BASE}/.well-known/oauth-protected-resource/connect`);
  });
});

describe("/connect configuration", () => {
  it("answers 503 naming the missing piece instead of failing: the KV binding, PUBLIC_URL", async () => {
    const withoutKv = await new Browser({ OAUTH_KV: undefined } as never).fetch(`${CONNECT}/register`, { method: "POST", body: "{}" });
    expect(withoutKv.status).toBe(503);
    expect(await withoutKv.json()).toEqual({ error: "server_error", error_description: "OAUTH_KV" });
    const badUrl = await new Browser({ PUBLIC_URL: `${BASE}/path` } as never).fetch(CONNECT, { method: "POST", body: "{}" });
    expect(badUrl.status).toBe(503);
    expect(await badUrl.json()).toEqual({ error: "server_error", error_description: "PUBLIC_URL" });
  });

  it("needs neither the sign-in secrets nor the shared key", async () => {
    const response = await new Browser({ OIDC_CLIENT_SECRET: "", PLAUSIBLE_API_KEY: "" } as never).fetch(
      `${BASE}/.well-known/oauth-protected-resource/connect`,
    );
    expect(response.status).toBe(200);
  });
});

describe("/connect authorization page", () => {
  it("asks for the key with a field named plausible_api_key and a Connect button, framing forbidden", async () => {
    const browser = new Browser();
    const client = await registerConnectClient(browser);
    const page = await authorizePage(browser, client, await pkce().challenge);
    const html = await page.text();
    expect(html).toContain('name="plausible_api_key"');
    expect(html).toMatch(/<button[^>]*>Connect<\/button>/);
    expect(page.headers.get("Content-Security-Policy")).toContain("frame-ancestors 'none'");
  });

  it("refuses a wrong key on the same page with Plausible's own text, and then accepts a good one", async () => {
    const browser = new Browser();
    const client = await registerConnectClient(browser);
    const page = await authorizePage(browser, client, await pkce().challenge);
    const refused = await submitKey(browser, handleOf(await page.text()), "wrong-key-12345678");
    expect(refused.status).toBe(400);
    const html = await refused.text();
    expect(html).toContain(TEXTS.invalidKey.replace(/'/g, "&#39;"));
    expect(html).toContain('name="plausible_api_key"');
    expect(html).not.toContain("wrong-key-12345678");
    // One cheap request checked it, with the pasted key.
    expect(fakes.plausible.requests.map((request) => `${request.method} ${request.path} ${request.authorization}`)).toEqual([
      "GET /api/v1/sites Bearer wrong-key-12345678",
    ]);
    const accepted = await submitKey(browser, handleOf(html), GOOD_KEY);
    expect(accepted.status).toBe(302);
    expect(accepted.headers.get("Location")).toMatch(/^http:\/\/127\.0\.0\.1:33418\/oauth\/callback\?.*code=/);
  });

  it("accepts the page's own form from the server's origin, and refuses MCP calls from a foreign origin", async () => {
    const browser = new Browser();
    const client = await registerConnectClient(browser);
    const page = await authorizePage(browser, client, await pkce().challenge);
    const posted = await browser.fetch(`${CONNECT}/authorize`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: BASE },
      body: new URLSearchParams({ handle: handleOf(await page.text()), plausible_api_key: GOOD_KEY, decision: "connect" }).toString(),
    });
    expect(posted.status).toBe(302);
    const foreign = await browser.fetch(CONNECT, {
      method: "POST",
      headers: { "Content-Type": "application/json", Origin: "https://evil.test" },
      body: "{}",
    });
    expect(foreign.status).toBe(403);
  });

  it("refuses a form posted without the browser's consent binding (CSRF)", async () => {
    const browser = new Browser();
    const client = await registerConnectClient(browser);
    const page = await authorizePage(browser, client, await pkce().challenge);
    const handle = handleOf(await page.text());
    const forged = await submitKey(new Browser(), handle, GOOD_KEY);
    expect(forged.status).toBe(400);
    expect(fakes.plausible.requests).toHaveLength(0);
  });
});

describe("/connect tool calls", () => {
  it("lists and calls tools with the pasted key, through the key's own agent (shared with /mcp)", async () => {
    const { browser, tokens } = await connectWithKey(GOOD_KEY);
    for (const transport of ["streamable-http", "sse"] as const) {
      const session = await openConnectSession(browser, tokens.access_token, transport);
      const { tools } = await session.listTools();
      expect(tools.map((tool) => tool.name)).toContain("get_aggregate");
      const result = await session.callTool(aggregate);
      expect(result.isError, textOf(result)).toBeFalsy();
      await session.close();
    }
    const bearer = await connectBearer("streamable-http (SDK v1)", GOOD_KEY);
    expect((await bearer.callTool(aggregate)).isError).toBeFalsy();
    await bearer.close();
    const queries = fakes.plausible.requests.filter((request) => request.path === "/api/v2/query");
    // The later identical calls (the other transport, then /mcp with the same key) came from the key's cache: one agent per key.
    expect(queries).toHaveLength(1);
    expect(queries[0]!.authorization).toBe(`Bearer ${GOOD_KEY}`);
  });

  it("serves 2026-07-28 clients statelessly on the same URL, with the grant's key", async () => {
    const { browser, tokens } = await connectWithKey(OTHER_KEY);
    const client = new ClientV2({ name: "connect-modern", version: "1.0.0" }, { versionNegotiation: { mode: { pin: "2026-07-28" } } });
    await client.connect(new StreamableHTTPClientTransportV2(new URL(CONNECT), { fetch: withToken(browser, tokens.access_token) }));
    expect(client.getNegotiatedProtocolVersion()).toBe("2026-07-28");
    const result = await client.callTool({ name: "get_aggregate", arguments: { site_id: "modern.example.com", date_range: "7d" } });
    expect(result.isError, textOf(result)).toBeFalsy();
    await client.close();
    const query = fakes.plausible.requests.find((request) => request.path === "/api/v2/query");
    expect(query?.authorization).toBe(`Bearer ${OTHER_KEY}`);
  });

  it("keeps the key only in the grant's encrypted props: no KV value or key name holds it", async () => {
    await connectWithKey(GOOD_KEY);
    const kv = env.OAUTH_KV;
    let cursor: string | undefined;
    do {
      const page = await kv.list({ cursor });
      for (const key of page.keys) {
        expect(key.name).not.toContain(GOOD_KEY);
        expect((await kv.get(key.name)) ?? "").not.toContain(GOOD_KEY);
      }
      cursor = page.list_complete ? undefined : page.cursor;
    } while (cursor);
  });

  it("does not accept a /connect token on /internal, nor an /internal token on /connect", async () => {
    const connected = await connectWithKey(GOOD_KEY);
    expect((await callInternal(connected.browser, connected.tokens.access_token)).status).toBe(401);
    fakes.issuer.user = { sub: "connect-cross", email: "cross@example.com", name: "Cross", email_verified: true };
    const browser = new Browser();
    const internal = await connectedClient(browser, fakes.issuer);
    expect((await initialize(browser, internal.tokens.access_token)).status).toBe(401);
  });

  it("answers 404 to another key's token naming a session it did not open", async () => {
    const first = await connectWithKey(GOOD_KEY);
    const opened = await initialize(first.browser, first.tokens.access_token);
    expect(opened.status).toBe(200);
    const sessionId = opened.headers.get("mcp-session-id")!;
    expect(sessionId).toBeTruthy();
    const second = await connectWithKey(OTHER_KEY);
    const hijack = await second.browser.fetch(CONNECT, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json, text/event-stream",
        Authorization: `Bearer ${second.tokens.access_token}`,
        "mcp-session-id": sessionId,
      },
      body: JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/call", params: aggregate }),
    });
    expect(hijack.status).toBe(404);
    expect(fakes.plausible.requests.filter((request) => request.path === "/api/v2/query")).toHaveLength(0);
  });

  it("removes the key with the grant when the client revokes its token (RFC 7009)", async () => {
    const { browser, client, tokens } = await connectWithKey(GOOD_KEY);
    const session = await openConnectSession(browser, tokens.access_token);
    const grantsOfKey = async () => (await env.OAUTH_KV.list({ prefix: `grant:key-${await sha256Hex(GOOD_KEY)}-` })).keys.length;
    const before = await grantsOfKey();
    const revoked = await browser.fetch(`${CONNECT}/token`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token: tokens.refresh_token!, token_type_hint: "refresh_token", client_id: client.client_id }).toString(),
    });
    expect(revoked.status).toBe(200);
    await expect(session.listTools()).rejects.toThrow();
    expect((await initialize(browser, tokens.access_token)).status).toBe(401);
    expect(await grantsOfKey()).toBe(before - 1);
  });
});

describe("/connect grants of one key", () => {
  it("do not revoke each other: two people connecting the same key through the same app both stay connected", async () => {
    const shared = await registerConnectClient(new Browser());
    const first = await connectWithKey(GOOD_KEY, shared);
    const second = await connectWithKey(GOOD_KEY, shared);
    const grants = (await env.OAUTH_KV.list({ prefix: `grant:key-${await sha256Hex(GOOD_KEY)}-` })).keys.map((key) => key.name);
    // Each grant has a user id of its own: the key's digest and a random part.
    const userIds = new Set(grants.map((name) => name.split(":")[1]));
    expect(userIds.size).toBe(grants.length);
    for (const person of [first, second]) {
      const answer = await initialize(person.browser, person.tokens.access_token);
      expect(answer.status).toBe(200);
      await answer.body?.cancel();
    }
  });
});
