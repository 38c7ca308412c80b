import { afterEach, describe, expect, it, vi } from "vitest";
import { OidcError, authorizationUrl, discover, exchangeCode, verifyIdToken } from "../../src/auth/oidc";
import { FakeOidcIssuer } from "../support/oidc-issuer";

afterEach(() => vi.restoreAllMocks());

let port = 9500;
/** Each test its own issuer URL, so the per-isolate discovery cache never carries over. */
function nextIssuerUrl(): string {
  return `http://127.0.0.1:${++port}`;
}

function serveDiscovery(document: Record<string, unknown> | (() => Response)) {
  return vi
    .spyOn(globalThis, "fetch")
    .mockImplementation(async () => (typeof document === "function" ? document() : Response.json(document)));
}

const endpointsOf = (issuer: string) => ({
  authorization_endpoint: `${issuer}/authorize`,
  token_endpoint: `${issuer}/token`,
  jwks_uri: `${issuer}/jwks`,
});

describe("discovery", () => {
  it("reads the issuer's document once and caches it", async () => {
    const issuer = nextIssuerUrl();
    const fetchSpy = serveDiscovery({ issuer, ...endpointsOf(issuer) });
    expect((await discover(issuer)).token_endpoint).toBe(`${issuer}/token`);
    await discover(issuer);
    expect(fetchSpy).toHaveBeenCalledTimes(1);
    expect(String(fetchSpy.mock.calls[0]![0])).toBe(`${issuer}/.well-known/openid-configuration`);
  });

  it("refuses a document that names another issuer", async () => {
    const issuer = nextIssuerUrl();
    serveDiscovery({ ...endpointsOf(issuer), issuer: "https://evil.example" });
    await expect(discover(issuer)).rejects.toThrow(/names a different issuer/);
  });

  it("refuses endpoints on plain http outside loopback", async () => {
    const issuer = nextIssuerUrl();
    serveDiscovery({ issuer, ...endpointsOf(issuer), token_endpoint: "http://idp.example.net/token" });
    await expect(discover(issuer)).rejects.toThrow(/discovery document is invalid/);
  });

  it("says so when the issuer is unreachable or answers an error", async () => {
    const unreachable = nextIssuerUrl();
    vi.spyOn(globalThis, "fetch").mockRejectedValueOnce(new TypeError("connection refused"));
    await expect(discover(unreachable)).rejects.toThrow(/could not be reached/);
    const failing = nextIssuerUrl();
    serveDiscovery(() => new Response("down", { status: 503 }));
    const error = await discover(failing).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OidcError);
    expect((error as OidcError).kind).toBe("unavailable");
  });
});

describe("the authorization URL", () => {
  it("asks for the code flow with openid email profile, state, nonce and an S256 challenge of the verifier", async () => {
    const issuer = nextIssuerUrl();
    const url = new URL(
      await authorizationUrl(
        { issuer, ...endpointsOf(issuer) },
        {
          clientId: "client",
          redirectUri: "https://mcp.example.com/callback",
          state: "st",
          verifier: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
          nonce: "n-1",
        },
      ),
    );
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: "code",
      client_id: "client",
      redirect_uri: "https://mcp.example.com/callback",
      scope: "openid email profile",
      state: "st",
      nonce: "n-1",
      // RFC 7636 appendix B's example pair.
      code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
      code_challenge_method: "S256",
    });
  });
});

describe("the code exchange", () => {
  const exchange = {
    code: "c",
    verifier: "v",
    redirectUri: "https://mcp.example.com/callback",
    clientId: "id:with:colons",
    clientSecret: "s&cret",
  };

  it("authenticates with client_secret_basic, form-encoding both parts first", async () => {
    const issuer = nextIssuerUrl();
    const fetchSpy = vi.spyOn(globalThis, "fetch").mockResolvedValue(Response.json({ id_token: "token" }));
    expect(await exchangeCode({ issuer, ...endpointsOf(issuer) }, exchange)).toBe("token");
    const request = new Request(fetchSpy.mock.calls[0]![0] as string, fetchSpy.mock.calls[0]![1]);
    expect(request.headers.get("Authorization")).toBe("Basic " + btoa("id%3Awith%3Acolons:s%26cret"));
    const body = new URLSearchParams(await request.text());
    expect(Object.fromEntries(body)).toEqual({
      grant_type: "authorization_code",
      code: "c",
      redirect_uri: exchange.redirectUri,
      code_verifier: "v",
    });
  });

  it("falls back to client_secret_post when the issuer offers only that", async () => {
    const issuer = nextIssuerUrl();
    const fetchSpy = vi.spyOn(globalThis, "fetch").mockResolvedValue(Response.json({ id_token: "token" }));
    await exchangeCode({ issuer, ...endpointsOf(issuer), token_endpoint_auth_methods_supported: ["client_secret_post"] }, exchange);
    const request = new Request(fetchSpy.mock.calls[0]![0] as string, fetchSpy.mock.calls[0]![1]);
    expect(request.headers.get("Authorization")).toBeNull();
    const body = new URLSearchParams(await request.text());
    expect(body.get("client_id")).toBe("id:with:colons");
    expect(body.get("client_secret")).toBe("s&cret");
  });

  it("treats a refused code as a rejection and a missing ID token as an error", async () => {
    const issuer = nextIssuerUrl();
    vi.spyOn(globalThis, "fetch").mockResolvedValueOnce(Response.json({ error: "invalid_grant" }, { status: 400 }));
    const refused = await exchangeCode({ issuer, ...endpointsOf(issuer) }, exchange).catch((caught: unknown) => caught);
    expect((refused as OidcError).kind).toBe("rejected");
    vi.spyOn(globalThis, "fetch").mockResolvedValueOnce(Response.json({ access_token: "only" }));
    await expect(exchangeCode({ issuer, ...endpointsOf(issuer) }, exchange)).rejects.toThrow(/no ID token/);
  });
});

describe("ID token verification", () => {
  it("rejects a token whose several audiences include us but whose azp is another party", async () => {
    const issuerUrl = nextIssuerUrl();
    const fake = await FakeOidcIssuer.create({ issuer: issuerUrl, clientId: "us", clientSecret: "secret" });
    fake.install();
    const discovery = await discover(issuerUrl);
    const callback = new URL(
      fake.signIn(
        await authorizationUrl(discovery, {
          clientId: "us",
          redirectUri: "http://127.0.0.1/cb",
          state: "s",
          verifier: "v".repeat(43),
          nonce: "n",
        }),
      ),
    );
    fake.nextIdToken = { claims: { aud: ["us", "them"], azp: "them" } };
    const idToken = await exchangeCode(discovery, {
      code: callback.searchParams.get("code")!,
      verifier: "v".repeat(43),
      redirectUri: "http://127.0.0.1/cb",
      clientId: "us",
      clientSecret: "secret",
    });
    await expect(verifyIdToken(discovery, idToken, { clientId: "us", nonce: "n" })).rejects.toThrow(/another party/);
  });
});
