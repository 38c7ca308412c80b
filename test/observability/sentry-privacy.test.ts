import { Client as ClientV2, StreamableHTTPClientTransport as StreamableHTTPClientTransportV2 } from "@modelcontextprotocol/client";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { sha256Hex } from "../../src/shared/hash";
import {
  Browser,
  CLIENT_REDIRECT,
  authorizeUrl,
  consentHandle,
  createIssuer,
  exchangeCode,
  openInternalSession,
  pkce,
  postConsent,
  refresh,
  register,
  type TokenResponse,
} from "../support/harness";
import { installFakePlausible, plausibleError, type FakePlausible } from "../support/fake-plausible";
import { ORIGIN, workerFetch } from "../support/mcp-clients";
import type { FakeOidcIssuer } from "../support/oidc-issuer";
import { captureSentry, type SentryCapture } from "./sentry-capture";

// Before any request: the first Sentry client of this isolate is the one every invocation reuses.
const sentry: SentryCapture = captureSentry();

const BEARER_KEY = "test-key-aaaaaaaa";
const CLIENT_ADDRESS = "203.0.113.77";
const MEMBER = { sub: "member-sub-5b1f0c", email: "grace@example.com", email_verified: true, name: "Grace Hopper" };

let issuer: FakeOidcIssuer;
let plausible: FakePlausible;
beforeAll(async () => {
  issuer = await createIssuer();
  issuer.install();
  plausible = installFakePlausible();
  plausible.use((request) => {
    const site = (request.body as { site_id?: string } | undefined)?.site_id ?? request.search.get("site_id") ?? "";
    // A Plausible outage: an unexpected error, reported.
    if (site.endsWith("-fails.example")) return plausibleError(503, "Service Unavailable");
    // A misconfigured proxy in front of Plausible that echoes the request, key included: reported, and must be scrubbed.
    if (site.endsWith("-echo.example"))
      return new Response(`Upstream error for ${request.method} ${request.path} (Authorization: ${request.authorization})`, {
        status: 200,
      });
    // A redirect to a login page whose query string names the site asked about.
    if (site.endsWith("-redirect.example"))
      return new Response(null, {
        status: 302,
        headers: {
          Location: `https://login.plausible.test/?return_to=${encodeURIComponent(`${request.path}?site_id=${site}`)}&site_id=${site}`,
        },
      });
    // The shared key of the test configuration.
    if (request.authorization === "Bearer test-plausible-api-key")
      return Response.json({ results: [{ metrics: [3], dimensions: [] }], meta: {}, query: request.body });
    return undefined;
  });
});

const aggregate = (site: string) => ({ name: "get_aggregate", arguments: { site_id: site, date_range: "7d", metrics: ["visitors"] } });
const tagsOf = (event: Record<string, unknown>) => (event.tags ?? {}) as Record<string, string>;
const attributesOf = (span: Record<string, unknown>) => JSON.stringify(span.attributes ?? span.data ?? {});

/** Everything Sentry would have received, once the envelopes this test waits for have arrived. */
async function sentUntil(predicate: () => boolean): Promise<string> {
  await vi.waitFor(() => expect(predicate()).toBe(true), { timeout: 10_000, interval: 50 });
  return sentry.bodies.join("\n");
}

describe("Sentry on the anonymous bearer endpoint (/mcp)", () => {
  it("reports unexpected failures without the key, its hash, the client's address, tool inputs or any identity", async () => {
    const client = new ClientV2({ name: "leak-test", version: "1.0.0" });
    const headers = { Authorization: `Bearer ${BEARER_KEY}`, "CF-Connecting-IP": CLIENT_ADDRESS };
    await client.connect(new StreamableHTTPClientTransportV2(new URL(`${ORIGIN}/mcp`), { fetch: workerFetch, requestInit: { headers } }));
    expect((await client.callTool(aggregate("anon-input.example"))).isError).toBeFalsy();
    // Realtime visitors are asked for with the site in the URL's query string.
    expect((await client.callTool({ name: "get_realtime_visitors", arguments: { site_id: "anon-realtime.example" } })).isError).toBeFalsy();
    expect((await client.callTool(aggregate("anon-fails.example"))).isError).toBe(true);
    expect((await client.callTool(aggregate("anon-echo.example"))).isError).toBe(true);
    expect((await client.callTool({ name: "get_realtime_visitors", arguments: { site_id: "anon-redirect.example" } })).isError).toBe(true);
    // Expected client mistakes: bad input, and a request without a key (401).
    expect(
      (await client.callTool({ name: "get_aggregate", arguments: { site_id: "anon-invalid.example", date_range: "last week" } })).isError,
    ).toBe(true);
    expect(
      (await workerFetch(`${ORIGIN}/mcp`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" })).status,
    ).toBe(401);
    await client.close();

    const mcpEvents = () => sentry.events().filter((event) => tagsOf(event).endpoint === "mcp");
    const sent = await sentUntil(
      () => mcpEvents().length === 3 && sentry.spans().some((span) => String(span.name).startsWith("tools/call")),
    );

    // The outage, the echo and the redirect; neither the bad input nor the 401.
    expect(
      mcpEvents()
        .map((event) => tagsOf(event).tool)
        .sort(),
    ).toEqual(["get_aggregate", "get_aggregate", "get_realtime_visitors"]);
    for (const event of mcpEvents()) expect(event).not.toHaveProperty("user");
    // The release npm run deploy names after the version and commit.
    for (const event of mcpEvents()) expect(event.release).toBe("plausible-mcp@0.1.0+0123456789ab");
    const tools = ["anon-input", "anon-realtime", "anon-fails", "anon-echo", "anon-redirect", "anon-invalid"].map(
      (site) => `${site}.example`,
    );
    for (const secret of [BEARER_KEY, await sha256Hex(BEARER_KEY), CLIENT_ADDRESS, ...tools]) {
      expect(sent, `Sentry data contains ${secret}`).not.toContain(secret);
    }
    expect(sent).not.toContain("mcp.request.argument");
    expect(sent).not.toContain("last week");
  }, 30_000);
});

describe("Sentry on the legacy bearer endpoint (/sse)", () => {
  it("sends neither the session id nor the key in the traces of its requests", async () => {
    const withKey = (input: RequestInfo | URL, init?: RequestInit) => {
      const request = new Request(input, init);
      request.headers.set("authorization", `Bearer ${BEARER_KEY}`);
      return workerFetch(request);
    };
    const client = new Client({ name: "leak-test-sse", version: "1.0.0" });
    const transport = new SSEClientTransport(new URL(`${ORIGIN}/sse`), { fetch: withKey, eventSourceInit: { fetch: withKey } as never });
    await client.connect(transport);
    const sessionId = (transport as unknown as { _endpoint?: URL })._endpoint?.searchParams.get("sessionId") ?? "";
    expect(sessionId.length).toBeGreaterThan(7);
    expect((await client.callTool(aggregate("sse-input.example"))).isError).toBeFalsy();
    await client.close();

    // The session's requests are traced in the worker, their URLs carrying the session id.
    const sent = await sentUntil(() => sentry.spans().some((span) => JSON.stringify(span).includes("/sse/message")));
    for (const secret of [sessionId, BEARER_KEY, await sha256Hex(BEARER_KEY)])
      expect(sent, `Sentry data contains ${secret}`).not.toContain(secret);
  }, 30_000);
});

describe("Sentry on the bring-your-own-key connector (/connect)", () => {
  it("sends neither the pasted key, its hash, the tokens nor the session id", async () => {
    const key = "test-key-bbbbbbbb";
    const connect = `${ORIGIN}/connect`;
    const browser = new Browser();
    const registered = await browser.fetch(`${connect}/register`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        client_name: "Leak test",
        redirect_uris: [CLIENT_REDIRECT],
        token_endpoint_auth_method: "none",
        grant_types: ["authorization_code"],
        response_types: ["code"],
      }),
    });
    const client = (await registered.json()) as { client_id: string };
    const { verifier, challenge } = pkce();
    const authorize = new URL(`${connect}/authorize`);
    for (const [name, value] of Object.entries({
      response_type: "code",
      client_id: client.client_id,
      redirect_uri: CLIENT_REDIRECT,
      state: "leak-state",
      code_challenge: await challenge,
      code_challenge_method: "S256",
    }))
      authorize.searchParams.set(name, value);
    const page = await browser.fetch(authorize);
    const submitted = await browser.fetch(`${connect}/authorize`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ handle: consentHandle(await page.text()), plausible_api_key: key, decision: "connect" }).toString(),
    });
    const code = new URL(submitted.headers.get("Location")!).searchParams.get("code")!;
    const tokenResponse = await browser.fetch(`${connect}/token`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "authorization_code",
        code,
        redirect_uri: CLIENT_REDIRECT,
        client_id: client.client_id,
        code_verifier: verifier,
      }).toString(),
    });
    const tokens = (await tokenResponse.json()) as TokenResponse;
    const withToken = (input: RequestInfo | URL, init?: RequestInit) => {
      const request = new Request(input, init);
      request.headers.set("authorization", `Bearer ${tokens.access_token}`);
      return browser.fetch(request.url, {
        method: request.method,
        headers: request.headers,
        body: request.body,
        duplex: "half",
      } as RequestInit);
    };
    const mcp = new Client({ name: "leak-test-connect", version: "1.0.0" });
    const transport = new SSEClientTransport(new URL(connect), { fetch: withToken, eventSourceInit: { fetch: withToken } as never });
    await mcp.connect(transport);
    const sessionId = (transport as unknown as { _endpoint?: URL })._endpoint?.searchParams.get("sessionId") ?? "";
    expect(sessionId.length).toBeGreaterThan(7);
    expect((await mcp.callTool(aggregate("connect-input.example"))).isError).toBeFalsy();
    await mcp.close();

    const sent = await sentUntil(() => sentry.spans().some((span) => JSON.stringify(span).includes("/connect/message")));
    for (const secret of [key, await sha256Hex(key), tokens.access_token, code, sessionId, "connect-input.example"])
      expect(sent, `Sentry data contains ${secret}`).not.toContain(secret);
  }, 30_000);
});

describe("Sentry on the attributed connector (/internal)", () => {
  it("names the member by email and records tool inputs; no token, code, state, cookie or secret of the whole flow is sent", async () => {
    issuer.user = MEMBER;
    const browser = new Browser();
    const client = await register(browser);
    const { verifier, challenge } = pkce();
    const consent = await browser.fetch(await authorizeUrl(client, await challenge));
    const handle = consentHandle(await consent.text());
    const toIssuer = (await postConsent(browser, handle, "approve")).headers.get("Location")!;
    const upstreamState = new URL(toIssuer).searchParams.get("state")!;
    const callbackUrl = issuer.signIn(toIssuer);
    const issuerCode = new URL(callbackUrl).searchParams.get("code")!;
    const callback = await browser.fetch(callbackUrl);
    const redirect = new URL(callback.headers.get("Location")!);
    expect(redirect.origin + redirect.pathname).toBe(CLIENT_REDIRECT);
    const code = redirect.searchParams.get("code")!;
    const tokens = (await (await exchangeCode(browser, client, code, verifier)).json()) as TokenResponse;
    const refreshed = (await (await refresh(browser, client, tokens.refresh_token!)).json()) as TokenResponse;
    const cookies = [...browser.cookies.values()];

    const session = await openInternalSession(browser, refreshed.access_token);
    const sessionId = (session.transport as { sessionId?: string } | undefined)?.sessionId ?? "";
    expect((await session.callTool(aggregate("member-input.example"))).isError).toBeFalsy();
    expect((await session.callTool(aggregate("member-fails.example"))).isError).toBe(true);
    expect((await session.callTool(aggregate("member-echo.example"))).isError).toBe(true);
    await session.close();

    const internalEvents = () => sentry.events().filter((event) => tagsOf(event).endpoint === "internal");
    const internalToolSpans = () =>
      sentry.spans().filter((span) => String(span.name).startsWith("tools/call") && attributesOf(span).includes("member-input.example"));
    const sent = await sentUntil(() => internalEvents().length === 2 && internalToolSpans().length > 0);

    for (const event of internalEvents()) expect(event.user).toEqual({ email: MEMBER.email });
    expect(attributesOf(internalToolSpans()[0]!)).toContain("mcp.request.argument.site_id");
    const secrets = {
      accessToken: tokens.access_token,
      refreshToken: tokens.refresh_token!,
      refreshedAccessToken: refreshed.access_token,
      refreshedRefreshToken: refreshed.refresh_token!,
      code,
      issuerCode,
      upstreamState,
      clientState: "client-state-123",
      consentHandle: handle,
      clientVerifier: verifier,
      workerVerifier: issuer.tokenRequests.at(-1)!.get("code_verifier")!,
      oidcClientSecret: issuer.clientSecret,
      sharedPlausibleKey: "test-plausible-api-key",
      clientAddress: browser.address,
      sessionId,
      ...Object.fromEntries(cookies.map((value, index) => [`cookie${index}`, value])),
    };
    for (const [name, secret] of Object.entries(secrets)) {
      expect(secret.length, name).toBeGreaterThan(7);
      expect(sent, `Sentry data contains the ${name}`).not.toContain(secret);
    }
  }, 30_000);
});
