import { env } from "cloudflare:workers";
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { textOf } from "../support/mcp-clients";
import { installFakePlausible, type FakePlausible } from "../support/fake-plausible";
import { interceptOrigin } from "../support/fetch-boundary";
import type { FakeOidcIssuer } from "../support/oidc-issuer";
import {
  BASE,
  Browser,
  RESOURCE,
  createIssuer,
  exchangeCode,
  openInternalSession,
  pkce,
  refresh,
  signIn,
  type TokenResponse,
} from "../support/harness";

// What Claude does against a deployment: its client_id is the URL of a client ID metadata
// document, fetched by the worker (under global_fetch_strictly_public), never registered.
const CLIENT_ID = "https://claude.ai/oauth/mcp-oauth-client-metadata";
const CLIENT_REDIRECT = "https://claude.ai/api/mcp/auth_callback";
const METADATA = {
  client_id: CLIENT_ID,
  client_name: "Claude",
  redirect_uris: [CLIENT_REDIRECT],
  grant_types: ["authorization_code", "refresh_token"],
  response_types: ["code"],
  token_endpoint_auth_method: "none",
};

let issuer: FakeOidcIssuer;
let plausible: FakePlausible;
let documentRequests: Request[];

beforeAll(async () => {
  issuer = await createIssuer();
});
beforeEach(() => {
  issuer.install();
  // A Google Workspace member of the deployment's allowed domain.
  issuer.user = { sub: "google-sub-1", email: "ada@example.com", email_verified: true, name: "Ada Lovelace", hd: "example.com" };
  plausible = installFakePlausible();
  documentRequests = [];
  interceptOrigin(new URL(CLIENT_ID).origin, (request) => {
    documentRequests.push(request);
    return new URL(request.url).href === CLIENT_ID ? Response.json(METADATA) : new Response("Not found", { status: 404 });
  });
});
afterEach(() => {
  plausible.restore();
  vi.restoreAllMocks();
});

describe("the production configuration ([env.production] of wrangler.toml)", () => {
  it("runs with global_fetch_strictly_public and the deployment's settings", async () => {
    expect(env.PUBLIC_URL).toMatch(/^https:\/\//);
    expect(env.CLIENT_ID_METADATA_DOCUMENTS).toBe("true");
    expect(env.OIDC_ISSUER).toBe("https://accounts.google.com");
    const metadata = (await (await new Browser().fetch(`${BASE}/.well-known/oauth-authorization-server`)).json()) as Record<
      string,
      unknown
    >;
    // The provider advertises metadata documents only when the compatibility flag is really set.
    expect(metadata.client_id_metadata_document_supported).toBe(true);
    expect(metadata.issuer).toBe(BASE);
  });

  it("signs a Workspace member in with a client ID metadata document, then serves a tool call and a refresh", async () => {
    const browser = new Browser();
    const client = { client_id: CLIENT_ID, redirect_uris: [CLIENT_REDIRECT] };
    const { verifier, challenge } = pkce();
    const { code, redirect } = await signIn(browser, issuer, client, await challenge, { redirect_uri: CLIENT_REDIRECT });
    expect(documentRequests.length).toBeGreaterThan(0);
    expect(redirect?.origin + redirect!.pathname).toBe(CLIENT_REDIRECT);
    expect(code).toBeDefined();

    const exchanged = await exchangeCode(browser, client, code!, verifier, CLIENT_REDIRECT);
    expect(exchanged.status).toBe(200);
    const tokens = (await exchanged.json()) as TokenResponse;
    expect(tokens.resource ?? RESOURCE).toBe(RESOURCE);

    const session = await openInternalSession(browser, tokens.access_token);
    const result = await session.callTool({
      name: "get_aggregate",
      arguments: { site_id: "example.com", date_range: "7d", metrics: ["visitors"] },
    });
    await session.close();
    expect(result.isError).toBeFalsy();
    expect(textOf(result)).toContain("visitors");
    // The shared key went to the deployment's Plausible (https://plausible.io, faked at the fetch boundary).
    expect(plausible.requests.at(-1)).toMatchObject({ path: "/api/v2/query", authorization: "Bearer test-plausible-api-key" });

    expect((await refresh(browser, client, tokens.refresh_token!)).status).toBe(200);
  });

  it("refuses a personal Google account (no hd claim)", async () => {
    issuer.user = { sub: "google-sub-2", email: "someone@example.com", email_verified: true, name: "Someone" };
    const { challenge } = pkce();
    const { callback } = await signIn(new Browser(), issuer, { client_id: CLIENT_ID, redirect_uris: [CLIENT_REDIRECT] }, await challenge, {
      redirect_uri: CLIENT_REDIRECT,
    });
    expect(callback.status).toBe(403);
    expect(await callback.text()).toContain("personal Google account");
  });
});
