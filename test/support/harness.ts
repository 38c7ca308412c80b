import { env, exports } from "cloudflare:workers";
import { createExecutionContext } from "cloudflare:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { base64url } from "jose";
import { afterEach, beforeAll, beforeEach, expect, vi } from "vitest";
import { readAuthConfig } from "../../src/config";
import { oauthHelpers as helpersFor } from "../../src/auth/internal";
import worker from "../../src/worker";
import { installFakePlausible, type FakePlausible } from "./fake-plausible";
import { FakeOidcIssuer } from "./oidc-issuer";

/** Test harness for the /internal connector: a cookie-keeping "browser" and an OAuth client. */

/** The worker's own origin: wrangler dev's in the default projects, the deployment's in workers-production. */
export const BASE = new URL(env.PUBLIC_URL).origin;
export const RESOURCE = `${BASE}/internal`;
export const CLIENT_REDIRECT = "http://127.0.0.1:33418/oauth/callback";
/** /connect: its MCP endpoint and protected resource. */
export const CONNECT = `${BASE}/connect`;

const testEnv = env as Env & { OIDC_ISSUER: string; OIDC_CLIENT_ID: string; OIDC_CLIENT_SECRET: string };

export function createIssuer(): Promise<FakeOidcIssuer> {
  return FakeOidcIssuer.create({
    issuer: testEnv.OIDC_ISSUER,
    clientId: testEnv.OIDC_CLIENT_ID,
    clientSecret: testEnv.OIDC_CLIENT_SECRET,
  });
}

/** A workerd test file's fakes: one issuer for the file, installed before each test, and a fresh fake Plausible per test. */
export interface SignInFakes {
  issuer: FakeOidcIssuer;
  plausible: FakePlausible;
}

/** Registers the hooks that keep `SignInFakes` current; read its fields inside tests and hooks. */
export function useSignInFakes(): SignInFakes {
  const fakes = {} as SignInFakes;
  beforeAll(async () => {
    fakes.issuer = await createIssuer();
  });
  beforeEach(() => {
    fakes.issuer.install();
    fakes.plausible = installFakePlausible();
  });
  return fakes;
}

/** The fake OpenID Connect issuer for every test of the file, installed at the fetch boundary before each; mocks restored after each. */
export function useFakeIssuer(): { issuer: FakeOidcIssuer } {
  const fakes = {} as { issuer: FakeOidcIssuer };
  beforeAll(async () => {
    fakes.issuer = await createIssuer();
  });
  beforeEach(() => fakes.issuer.install());
  afterEach(() => vi.restoreAllMocks());
  return fakes;
}

/** The provider's helpers over the test KV, to inspect what a flow stored. */
export function oauthHelpers() {
  const result = readAuthConfig(env);
  if (!result.ok) throw new Error(`test configuration incomplete: ${result.setting}`);
  return helpersFor(result.config, env);
}

let addressCounter = 0;

/**
 * One user agent: its own client address (so rate limits never leak between tests) and a cookie
 * jar, which is what binds consent and sign-in state to a browser.
 */
export class Browser {
  readonly cookies = new Map<string, string>();
  readonly address = `198.51.100.${++addressCounter}`;

  /** `settings` override the worker's variables, as a redeployment with other values would. */
  constructor(private readonly settings?: Partial<Record<keyof Env, string>>) {}

  async fetch(input: string | URL, init: RequestInit = {}): Promise<Response> {
    const request = new Request(input, { ...init, redirect: "manual" });
    const headers = new Headers(request.headers);
    headers.set("Host", new URL(request.url).host);
    headers.set("CF-Connecting-IP", this.address);
    if (this.cookies.size > 0) headers.set("Cookie", [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; "));
    const response = this.settings
      ? await worker.fetch(new Request(request, { headers }), { ...env, ...this.settings } as Env, createExecutionContext())
      : await exports.default.fetch(new Request(request, { headers }));
    for (const cookie of response.headers.getSetCookie()) this.store(cookie);
    return response;
  }

  private store(setCookie: string): void {
    const [pair = "", ...attributes] = setCookie.split(";");
    const separator = pair.indexOf("=");
    const name = pair.slice(0, separator).trim();
    const value = pair.slice(separator + 1).trim();
    const expired = attributes.some((attribute) => /^\s*max-age=0\s*$/i.test(attribute)) || value === "";
    if (expired) this.cookies.delete(name);
    else this.cookies.set(name, value);
  }
}

export interface RegisteredClient {
  client_id: string;
  client_secret?: string;
  redirect_uris: string[];
  client_name?: string;
}

/** Dynamic client registration at /register (or `base`/register), as a connector does it; `metadata` overrides the defaults. */
export async function register(browser: Browser, metadata: Record<string, unknown> = {}, base = BASE): Promise<RegisteredClient> {
  const response = await browser.fetch(`${base}/register`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({
      client_name: "Test Connector",
      redirect_uris: [CLIENT_REDIRECT],
      token_endpoint_auth_method: "none",
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      ...metadata,
    }),
  });
  if (response.status !== 201) throw new Error(`registration failed: ${response.status} ${await response.text()}`);
  return response.json();
}

export function pkce(): { verifier: string; challenge: Promise<string> } {
  const verifier = base64url.encode(crypto.getRandomValues(new Uint8Array(32)));
  const challenge = crypto.subtle
    .digest("SHA-256", new TextEncoder().encode(verifier))
    .then((digest) => base64url.encode(new Uint8Array(digest)));
  return { verifier, challenge };
}

export async function authorizeUrl(
  client: RegisteredClient,
  challenge: string | undefined,
  overrides: Record<string, string | undefined> = {},
): Promise<string> {
  const params: Record<string, string | undefined> = {
    response_type: "code",
    client_id: client.client_id,
    redirect_uri: CLIENT_REDIRECT,
    state: "client-state-123",
    code_challenge: challenge,
    code_challenge_method: challenge ? "S256" : undefined,
    resource: RESOURCE,
    ...overrides,
  };
  const url = new URL(`${BASE}/authorize`);
  for (const [name, value] of Object.entries(params)) if (value !== undefined) url.searchParams.set(name, value);
  return url.toString();
}

/** The consent form's handle, read from the page as a browser would. */
export function consentHandle(html: string): string {
  const match = /name="handle" value="([^"]+)"/.exec(html);
  if (!match?.[1]) throw new Error("no consent handle on the page");
  return match[1];
}

export function postConsent(browser: Browser, handle: string, decision: "approve" | "deny"): Promise<Response> {
  return browser.fetch(`${BASE}/authorize`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ handle, decision }).toString(),
  });
}

export interface SignInResult {
  /** The worker's final answer at /callback. */
  callback: Response;
  /** The authorization code, when the worker redirected back to the client with one. */
  code?: string;
  redirect?: URL;
}

/**
 * Authorize -> consent page -> Approve -> issuer -> callback. Stops at the first unexpected
 * answer by throwing; attack tests drive the individual steps themselves.
 */
export async function signIn(
  browser: Browser,
  issuer: FakeOidcIssuer,
  client: RegisteredClient,
  challenge: string,
  overrides: Record<string, string | undefined> = {},
): Promise<SignInResult> {
  const page = await browser.fetch(await authorizeUrl(client, challenge, overrides));
  let toIssuer: Response;
  if (page.status === 200) {
    toIssuer = await postConsent(browser, consentHandle(await page.text()), "approve");
  } else {
    toIssuer = page; // consent remembered: straight to the issuer
  }
  if (toIssuer.status !== 302) throw new Error(`expected redirect to issuer, got ${toIssuer.status}: ${await toIssuer.text()}`);
  const callback = await browser.fetch(issuer.signIn(toIssuer.headers.get("Location")!));
  const location = callback.headers.get("Location");
  if (callback.status !== 302 || !location) return { callback };
  const redirect = new URL(location);
  return { callback, redirect, code: redirect.searchParams.get("code") ?? undefined };
}

export interface TokenResponse {
  access_token: string;
  refresh_token?: string;
  token_type: string;
  expires_in: number;
  scope?: string;
  resource?: string;
}

export function tokenRequest(browser: Browser, params: Record<string, string>): Promise<Response> {
  return browser.fetch(`${BASE}/token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(params).toString(),
  });
}

export function exchangeCode(browser: Browser, client: RegisteredClient, code: string, verifier: string, redirectUri = CLIENT_REDIRECT) {
  return tokenRequest(browser, {
    grant_type: "authorization_code",
    code,
    redirect_uri: redirectUri,
    client_id: client.client_id,
    code_verifier: verifier,
    resource: RESOURCE,
  });
}

export function refresh(browser: Browser, client: RegisteredClient, refreshToken: string) {
  return tokenRequest(browser, { grant_type: "refresh_token", refresh_token: refreshToken, client_id: client.client_id });
}

/** The whole happy path: a registered client holding tokens for `issuer.user`. */
export async function connectedClient(browser: Browser, issuer: FakeOidcIssuer) {
  const client = await register(browser);
  const { verifier, challenge } = pkce();
  const { code } = await signIn(browser, issuer, client, await challenge);
  if (!code) throw new Error("sign-in produced no code");
  const response = await exchangeCode(browser, client, code, verifier);
  if (response.status !== 200) throw new Error(`token exchange failed: ${response.status} ${await response.text()}`);
  return { client, tokens: (await response.json()) as TokenResponse };
}

/** A plain MCP request to /internal, for status checks without a client library. */
export function callInternal(browser: Browser, accessToken?: string, init: { headers?: Record<string, string> } = {}) {
  return browser.fetch(`${BASE}/internal`, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      Accept: "application/json, text/event-stream",
      ...(accessToken ? { Authorization: `Bearer ${accessToken}` } : {}),
      ...init.headers,
    },
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "probe", version: "1" } },
    }),
  });
}

/** A client `fetch` that goes through `browser` and carries the access token. */
export function withToken(browser: Browser, accessToken: string) {
  return (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    request.headers.set("Authorization", `Bearer ${accessToken}`);
    return browser.fetch(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      duplex: "half",
    } as RequestInit);
  };
}

/** An MCP SDK v1 session on /internal over Streamable HTTP, with the access token. */
export async function openInternalSession(browser: Browser, accessToken: string): Promise<Client> {
  const client = new Client({ name: "connector-test", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(RESOURCE), { fetch: withToken(browser, accessToken) }));
  return client;
}

/** The /connect flow (bring your own key): registration, the key page, its form and the token endpoint. */

export function registerConnectClient(browser: Browser): Promise<RegisteredClient> {
  return register(browser, { client_name: "Claude" }, CONNECT);
}

export async function authorizePage(browser: Browser, client: RegisteredClient, challenge: string): Promise<Response> {
  const url = new URL(`${CONNECT}/authorize`);
  const params = {
    response_type: "code",
    client_id: client.client_id,
    redirect_uri: CLIENT_REDIRECT,
    state: "s-1",
    code_challenge: challenge,
    code_challenge_method: "S256",
    resource: CONNECT,
  };
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return browser.fetch(url);
}

export function handleOf(html: string): string {
  const match = /name="handle" value="([^"]+)"/.exec(html);
  if (!match?.[1]) throw new Error("no handle on the page");
  return match[1];
}

export function submitKey(browser: Browser, handle: string, apiKey: string, decision = "connect"): Promise<Response> {
  return browser.fetch(`${CONNECT}/authorize`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ handle, plausible_api_key: apiKey, decision }).toString(),
  });
}

function connectToken(browser: Browser, params: Record<string, string>): Promise<Response> {
  return browser.fetch(`${CONNECT}/token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(params).toString(),
  });
}

/** The whole flow with `apiKey` in a browser of its own: a registered client (a new one unless given) holding /connect tokens. */
export async function connectWithKey(apiKey: string, registered?: RegisteredClient) {
  const browser = new Browser();
  const client = registered ?? (await registerConnectClient(browser));
  const { verifier, challenge } = pkce();
  const page = await authorizePage(browser, client, await challenge);
  expect(page.status).toBe(200);
  const redirect = await submitKey(browser, handleOf(await page.text()), apiKey);
  expect(redirect.status).toBe(302);
  const code = new URL(redirect.headers.get("Location")!).searchParams.get("code")!;
  const tokens = await connectToken(browser, {
    grant_type: "authorization_code",
    code,
    redirect_uri: CLIENT_REDIRECT,
    client_id: client.client_id,
    code_verifier: verifier,
    resource: CONNECT,
  });
  expect(tokens.status).toBe(200);
  return { browser, client, tokens: (await tokens.json()) as TokenResponse };
}
