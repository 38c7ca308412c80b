import { env } from "cloudflare:workers";
import { OAuthProvider, getOAuthApi, type OAuthProviderOptions } from "@cloudflare/workers-oauth-provider";
import { createExecutionContext } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { addressHash } from "../../src/shared/hash";
import {
  BASE,
  Browser,
  CLIENT_REDIRECT,
  callInternal,
  connectedClient,
  exchangeCode,
  oauthHelpers,
  pkce,
  refresh,
  register,
  signIn,
  tokenRequest,
  type TokenResponse,
  useFakeIssuer,
} from "../support/harness";

const fakes = useFakeIssuer();

async function errorOf(response: Response): Promise<string> {
  return ((await response.json()) as { error: string }).error;
}

async function codeFor(browser: Browser, redirectUris = [CLIENT_REDIRECT]) {
  const client = await register(browser, { redirect_uris: redirectUris });
  const { verifier, challenge } = pkce();
  const { code } = await signIn(browser, fakes.issuer, client, await challenge);
  if (!code) throw new Error("no code");
  return { client, verifier, code };
}

describe("the token endpoint", () => {
  it("refuses a wrong PKCE verifier with invalid_grant", async () => {
    const browser = new Browser();
    const { client, code } = await codeFor(browser);
    const response = await exchangeCode(browser, client, code, pkce().verifier);
    expect(response.status).toBe(400);
    expect(await errorOf(response)).toBe("invalid_grant");
  });

  it("refuses a second use of a code with invalid_grant and revokes the tokens of the first", async () => {
    const browser = new Browser();
    const { client, code, verifier } = await codeFor(browser);
    const first = await exchangeCode(browser, client, code, verifier);
    expect(first.status).toBe(200);
    const tokens = (await first.json()) as TokenResponse;
    expect((await callInternal(browser, tokens.access_token)).status).toBe(200);

    const second = await exchangeCode(browser, client, code, verifier);
    expect(second.status).toBe(400);
    expect(await errorOf(second)).toBe("invalid_grant");
    expect((await callInternal(browser, tokens.access_token)).status).toBe(401);
    expect((await refresh(browser, client, tokens.refresh_token!)).status).toBe(400);
  });

  it("refuses a redirect_uri that differs from the authorization request with invalid_grant", async () => {
    const browser = new Browser();
    const other = "http://127.0.0.1:33418/other-callback";
    const { client, code, verifier } = await codeFor(browser, [CLIENT_REDIRECT, other]);
    const response = await exchangeCode(browser, client, code, verifier, other);
    expect(response.status).toBe(400);
    expect(await errorOf(response)).toBe("invalid_grant");
  });

  it("refuses a rotated-out refresh token once its successor was used", async () => {
    const browser = new Browser();
    const { client, tokens } = await connectedClient(browser, fakes.issuer);
    const second = (await (await refresh(browser, client, tokens.refresh_token!)).json()) as TokenResponse;
    const third = await refresh(browser, client, second.refresh_token!); // the successor is used
    expect(third.status).toBe(200);
    const stale = await refresh(browser, client, tokens.refresh_token!);
    expect(stale.status).toBe(400);
    expect(await errorOf(stale)).toBe("invalid_grant");
  });

  it("refuses another client's refresh token with invalid_grant", async () => {
    const browser = new Browser();
    const { tokens } = await connectedClient(browser, fakes.issuer);
    const otherClient = await register(browser, { client_name: "Other" });
    const response = await refresh(browser, otherClient, tokens.refresh_token!);
    expect(response.status).toBe(400);
    expect(await errorOf(response)).toBe("invalid_grant");
  });

  it("revokes an access token (RFC 7009): the next call is 401", async () => {
    const browser = new Browser();
    const { client, tokens } = await connectedClient(browser, fakes.issuer);
    const revoked = await tokenRequest(browser, {
      token: tokens.access_token,
      token_type_hint: "access_token",
      client_id: client.client_id,
    });
    expect(revoked.status).toBe(200);
    expect((await callInternal(browser, tokens.access_token)).status).toBe(401);
  });

  it("after revocation of the grant: refresh 400 and access 401", async () => {
    const browser = new Browser();
    const { client, tokens } = await connectedClient(browser, fakes.issuer);
    const revoked = await tokenRequest(browser, { token: tokens.refresh_token!, client_id: client.client_id });
    expect(revoked.status).toBe(200);
    expect((await refresh(browser, client, tokens.refresh_token!)).status).toBe(400);
    expect((await callInternal(browser, tokens.access_token)).status).toBe(401);
  });

  it("issues access tokens for ACCESS_TOKEN_TTL_SECONDS and grants for REFRESH_TOKEN_TTL_SECONDS", async () => {
    const browser = new Browser();
    const { tokens } = await connectedClient(browser, fakes.issuer);
    expect(tokens.expires_in).toBe(Number(env.ACCESS_TOKEN_TTL_SECONDS));
    const summary = await oauthHelpers().unwrapToken(tokens.access_token);
    const { items } = await oauthHelpers().listUserGrants(summary!.userId);
    const grant = items.find((item) => item.id === summary!.grantId)!;
    expect(grant.expiresAt! - grant.createdAt).toBeGreaterThanOrEqual(Number(env.REFRESH_TOKEN_TTL_SECONDS));
    expect(grant.expiresAt! - grant.createdAt).toBeLessThanOrEqual(Number(env.REFRESH_TOKEN_TTL_SECONDS) + 600);
  });
});

describe("a refresh after the domain policy changed", () => {
  it("is refused with invalid_grant once the member's domain left ALLOWED_EMAIL_DOMAINS, and ends the grant", async () => {
    const browser = new Browser();
    const { client, tokens } = await connectedClient(browser, fakes.issuer);
    const log = vi.spyOn(console, "log");
    const afterRemoval = new Browser({ ALLOWED_EMAIL_DOMAINS: "example.org" });
    const refused = await refresh(afterRemoval, client, tokens.refresh_token!);
    expect(refused.status).toBe(400);
    const body = (await refused.json()) as { error: string; error_description: string };
    expect(body.error).toBe("invalid_grant");
    expect(body.error_description).toContain("ada@example.com is not in an allowed domain (example.org)");
    const hash = await addressHash("ada@example.com");
    expect(log).toHaveBeenCalledWith(
      expect.stringMatching(new RegExp(`"event":"authorization","decision":"refused".*"user_hash":"${hash}"`)),
    );
    expect(log.mock.calls.flat().join("\n")).not.toContain("ada@example.com");
    // The grant is gone: restoring the domain does not bring the old tokens back.
    expect((await refresh(browser, client, tokens.refresh_token!)).status).toBe(400);
    expect((await callInternal(browser, tokens.access_token)).status).toBe(401);
  });

  it("re-checks Google's hosted domain too: a Workspace taken off the list ends access at the next refresh", async () => {
    const google = { OIDC_ISSUER: "https://accounts.google.com" };
    const member = fakes.issuer.user;
    fakes.issuer.user = { ...member, hd: "example.org" };
    const { client, tokens } = await connectedClient(new Browser(), fakes.issuer).finally(() => (fakes.issuer.user = member));
    const kept = await refresh(
      new Browser({ ...google, ALLOWED_EMAIL_DOMAINS: "example.com, example.org" }),
      client,
      tokens.refresh_token!,
    );
    expect(kept.status).toBe(200);
    const next = (await kept.json()) as TokenResponse;
    const refused = await refresh(new Browser({ ...google, ALLOWED_EMAIL_DOMAINS: "example.com" }), client, next.refresh_token!);
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error_description: string }).error_description).toContain(
      "The Google Workspace domain example.org is not allowed",
    );
  });

  it("goes through while the member's domain is still allowed, whatever else changed on the list", async () => {
    const browser = new Browser();
    const { client, tokens } = await connectedClient(browser, fakes.issuer);
    const response = await refresh(new Browser({ ALLOWED_EMAIL_DOMAINS: "example.com" }), client, tokens.refresh_token!);
    expect(response.status).toBe(200);
  });
});

describe("a token for another resource", () => {
  it("is refused at /internal with 401", async () => {
    // A second resource sharing this KV and client registry, as another MCP server would.
    const otherResource = `${BASE}/other`;
    const options: OAuthProviderOptions<Env> = {
      apiRoute: "/other",
      apiHandler: { fetch: async () => new Response("other") },
      defaultHandler: { fetch: async () => new Response("not found", { status: 404 }) },
      authorizeEndpoint: "/authorize",
      tokenEndpoint: "/token",
      resourceMetadata: { resource: otherResource },
    };
    const browser = new Browser();
    const client = await register(browser);
    const { verifier, challenge } = pkce();
    const helpers = getOAuthApi(options, env);
    const authorize = new URL(`${BASE}/authorize`);
    authorize.search = new URLSearchParams({
      response_type: "code",
      client_id: client.client_id,
      redirect_uri: CLIENT_REDIRECT,
      code_challenge: await challenge,
      code_challenge_method: "S256",
    }).toString();
    const request = await helpers.parseAuthRequest(new Request(authorize));
    const props = { sub: "someone", email: "someone@example.com", name: "Someone" };
    const { redirectTo } = await helpers.completeAuthorization({ request, userId: "someone", metadata: {}, scope: [], props });
    const code = new URL(redirectTo).searchParams.get("code")!;
    const tokenResponse = await new OAuthProvider<Env>(options).fetch(
      new Request(`${BASE}/token`, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          grant_type: "authorization_code",
          code,
          redirect_uri: CLIENT_REDIRECT,
          client_id: client.client_id,
          code_verifier: verifier,
        }),
      }),
      env,
      createExecutionContext(),
    );
    const tokens = (await tokenResponse.json()) as TokenResponse;
    expect(tokens.resource).toBe(otherResource);
    expect((await callInternal(browser, tokens.access_token)).status).toBe(401);
  });
});
