import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { describe, expect, it } from "vitest";
import { oauthHelpers, useFakeIssuer } from "../support/harness";
import {
  BASE,
  Browser,
  CLIENT_REDIRECT,
  RESOURCE,
  callInternal,
  connectedClient,
  exchangeCode,
  pkce,
  refresh,
  register,
  signIn,
  tokenRequest,
  withToken,
} from "../support/harness";

const fakes = useFakeIssuer();

describe("the /internal connector, end to end", () => {
  it("signs a member in and serves MCP over Streamable HTTP and SSE, then refreshes, revokes and refuses", async () => {
    const browser = new Browser();

    // Discovery: the 401 names the protected resource metadata, which names this server.
    const challenge401 = await callInternal(browser);
    expect(challenge401.status).toBe(401);
    expect(challenge401.headers.get("WWW-Authenticate")).toContain(
      `resource_metadata="${BASE}/.well-known/oauth-protected-resource/internal"`,
    );

    const client = await register(browser);
    const { verifier, challenge } = pkce();
    const { code, redirect } = await signIn(browser, fakes.issuer, client, await challenge);
    expect(redirect?.origin + redirect!.pathname).toBe(CLIENT_REDIRECT);
    expect(redirect?.searchParams.get("state")).toBe("client-state-123");
    expect(redirect?.searchParams.get("iss")).toBe(BASE);
    // The worker used PKCE with the fakes.issuer too, and authenticated with its client secret.
    expect(fakes.issuer.tokenRequests.at(-1)?.get("code_verifier")).toBeTruthy();

    const tokenResponse = await exchangeCode(browser, client, code!, verifier);
    expect(tokenResponse.status).toBe(200);
    const tokens = (await tokenResponse.json()) as { access_token: string; refresh_token: string; expires_in: number; resource: string };
    expect(tokens.expires_in).toBe(3600);
    expect(tokens.resource).toBe(RESOURCE);

    // Streamable HTTP with the MCP SDK v1 client.
    const http = new Client({ name: "connector-test", version: "1.0.0" });
    await http.connect(new StreamableHTTPClientTransport(new URL(RESOURCE), { fetch: withToken(browser, tokens.access_token) }));
    expect((await http.listTools()).tools.length).toBeGreaterThan(0);
    await http.close();

    // Legacy SSE on the same path (GET /internal, POST /internal/message).
    const sse = new Client({ name: "connector-test-sse", version: "1.0.0" });
    const sseFetch = withToken(browser, tokens.access_token);
    await sse.connect(new SSEClientTransport(new URL(RESOURCE), { fetch: sseFetch, eventSourceInit: { fetch: sseFetch } as never }));
    expect((await sse.listTools()).tools.length).toBeGreaterThan(0);
    await sse.close();

    // Refresh rotates the refresh token and yields a working access token.
    const refreshed = await refresh(browser, client, tokens.refresh_token);
    expect(refreshed.status).toBe(200);
    const next = (await refreshed.json()) as { access_token: string; refresh_token: string };
    expect(next.refresh_token).not.toBe(tokens.refresh_token);
    expect((await callInternal(browser, next.access_token)).status).toBe(200);

    // Revocation (RFC 7009) of the refresh token ends the grant: refresh 400, access 401.
    const revoked = await tokenRequest(browser, {
      token: next.refresh_token,
      token_type_hint: "refresh_token",
      client_id: client.client_id,
    });
    expect(revoked.status).toBe(200);
    expect((await refresh(browser, client, next.refresh_token)).status).toBe(400);
    expect((await callInternal(browser, next.access_token)).status).toBe(401);
  });

  it("serves a browser client from an allowlisted origin, with CORS for that origin on every answer", async () => {
    const browser = new Browser();
    const { tokens } = await connectedClient(browser, fakes.issuer);
    const fromClaude = (input: RequestInfo | URL, init?: RequestInit) => {
      const request = new Request(input, init);
      request.headers.set("Origin", "https://claude.ai");
      return withToken(browser, tokens.access_token)(request.url, {
        method: request.method,
        headers: request.headers,
        body: request.body,
        duplex: "half",
      } as RequestInit);
    };
    const corsOrigins: (string | null)[] = [];
    const recording = async (input: RequestInfo | URL, init?: RequestInit) => {
      const response = await fromClaude(input, init);
      corsOrigins.push(response.headers.get("Access-Control-Allow-Origin"));
      return response;
    };
    const client = new Client({ name: "browser-connector", version: "1.0.0" });
    await client.connect(new StreamableHTTPClientTransport(new URL(RESOURCE), { fetch: recording }));
    expect((await client.listTools()).tools.length).toBeGreaterThan(0);
    await client.close();
    expect(corsOrigins.length).toBeGreaterThan(1);
    expect(new Set(corsOrigins)).toEqual(new Set(["https://claude.ai"]));
  });

  it("stores the fakes.issuer's sub as the grant's user and { sub, email, name } as its props", async () => {
    fakes.issuer.user = { sub: "tenant:42", email: "Grace@Example.org", email_verified: true, name: "Grace Hopper" };
    const browser = new Browser();
    const { tokens } = await connectedClient(browser, fakes.issuer);
    const summary = await oauthHelpers().unwrapToken(tokens.access_token);
    // A ":" would break the provider's token format, so the sub is encoded in the user ID only.
    expect(summary?.userId).toBe("tenant%3A42");
    expect(summary?.grant.props).toEqual({ sub: "tenant:42", email: "Grace@Example.org", name: "Grace Hopper" });
  });

  it("advertises the exact resource and only S256 in discovery metadata", async () => {
    const browser = new Browser();
    const resource = await browser.fetch(`${BASE}/.well-known/oauth-protected-resource/internal`);
    expect(resource.status).toBe(200);
    const metadata = (await resource.json()) as { resource: string; authorization_servers: string[] };
    expect(metadata.resource).toBe(RESOURCE);
    expect(metadata.authorization_servers).toEqual([BASE]);

    const server = await browser.fetch(`${BASE}/.well-known/oauth-authorization-server`);
    expect(server.status).toBe(200);
    const as = (await server.json()) as Record<string, unknown>;
    expect(as.code_challenge_methods_supported).toEqual(["S256"]);
    expect(as.authorization_endpoint).toBe(`${BASE}/authorize`);
    expect(as.token_endpoint).toBe(`${BASE}/token`);
    expect(as.registration_endpoint).toBe(`${BASE}/register`);
    expect(as.revocation_endpoint).toBe(`${BASE}/token`);
  });
});
