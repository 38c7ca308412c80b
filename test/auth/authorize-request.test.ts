import { beforeEach, describe, expect, it } from "vitest";
import { BASE, Browser, CLIENT_REDIRECT, authorizeUrl, pkce, register, type RegisteredClient, useFakeIssuer } from "../support/harness";

useFakeIssuer();

const WEB_REDIRECT = "https://claude.ai/api/mcp/auth_callback";

/** Shown locally: a 400 page, and nothing that would send the browser anywhere. */
async function expectLocal400(response: Response) {
  expect(response.status).toBe(400);
  expect(response.headers.get("Location")).toBeNull();
  expect(response.headers.get("Content-Type")).toContain("text/html");
  expect(await response.text()).toContain("Invalid request");
}

function redirectError(response: Response): URLSearchParams {
  expect(response.status).toBe(302);
  const location = new URL(response.headers.get("Location")!);
  expect(location.origin + location.pathname).toBe(CLIENT_REDIRECT);
  return location.searchParams;
}

describe("authorization requests that must be shown locally", () => {
  let client: RegisteredClient;
  let webClient: RegisteredClient;
  let browser: Browser;
  let challenge: string;
  beforeEach(async () => {
    browser = new Browser();
    client = await register(browser);
    webClient = await register(browser, { redirect_uris: [WEB_REDIRECT] });
    challenge = await pkce().challenge;
  });

  it("refuses an unregistered redirect_uri", async () => {
    await expectLocal400(await browser.fetch(await authorizeUrl(client, challenge, { redirect_uri: "http://127.0.0.1:33418/elsewhere" })));
  });

  it("refuses a remote http redirect_uri", async () => {
    await expectLocal400(
      await browser.fetch(await authorizeUrl(client, challenge, { redirect_uri: "http://claude.ai/api/mcp/auth_callback" })),
    );
  });

  it("refuses a redirect_uri with a fragment", async () => {
    await expectLocal400(await browser.fetch(await authorizeUrl(client, challenge, { redirect_uri: `${CLIENT_REDIRECT}#fragment` })));
  });

  it("refuses a redirect_uri with userinfo", async () => {
    await expectLocal400(
      await browser.fetch(await authorizeUrl(webClient, challenge, { redirect_uri: "https://attacker@claude.ai/api/mcp/auth_callback" })),
    );
  });

  it("refuses look-alike hosts", async () => {
    for (const lookAlike of [
      "https://claude.ai.evil.example/api/mcp/auth_callback",
      "https://evil.example/api/mcp/auth_callback?https://claude.ai",
      "https://claude.ai:8443/api/mcp/auth_callback",
    ]) {
      await expectLocal400(await browser.fetch(await authorizeUrl(webClient, challenge, { redirect_uri: lookAlike })));
    }
  });

  it("refuses an unknown client", async () => {
    await expectLocal400(await browser.fetch(await authorizeUrl({ ...client, client_id: "no-such-client" }, challenge)));
  });

  it("refuses CR/LF in state with a 400, never a 500", async () => {
    await expectLocal400(await browser.fetch(await authorizeUrl(client, challenge, { state: "abc\r\nSet-Cookie: evil=1" })));
  });

  it("refuses CR/LF in redirect_uri with a 400, never a 500", async () => {
    await expectLocal400(
      await browser.fetch(await authorizeUrl(client, challenge, { redirect_uri: `${CLIENT_REDIRECT}\r\nLocation: https://evil.example` })),
    );
  });
});

describe("client registration with bad input", () => {
  async function registerRaw(metadata: Record<string, unknown>) {
    return new Browser().fetch(`${BASE}/register`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ token_endpoint_auth_method: "none", redirect_uris: [CLIENT_REDIRECT], ...metadata }),
    });
  }

  it("refuses CR/LF in client_name with a 400, never a 500", async () => {
    const response = await registerRaw({ client_name: "Good\r\nX-Injected: 1" });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toBe("invalid_client_metadata");
  });

  it("refuses CR/LF in a redirect URI with a 400, never a 500", async () => {
    const response = await registerRaw({ redirect_uris: [`${CLIENT_REDIRECT}\r\nX: 1`] });
    expect(response.status).toBe(400);
  });

  it("refuses remote http and fragment redirect URIs", async () => {
    expect((await registerRaw({ redirect_uris: ["http://evil.example/cb"] })).status).toBe(400);
    expect((await registerRaw({ redirect_uris: [`${CLIENT_REDIRECT}#x`] })).status).toBe(400);
  });
});

describe("PKCE at the authorization endpoint", () => {
  it("refuses the plain method with invalid_request", async () => {
    const browser = new Browser();
    const client = await register(browser);
    const { verifier } = pkce();
    const response = await browser.fetch(await authorizeUrl(client, verifier, { code_challenge_method: "plain" }));
    expect(redirectError(response).get("error")).toBe("invalid_request");
  });

  it("refuses a missing code_challenge from a public client with invalid_request", async () => {
    const browser = new Browser();
    const client = await register(browser);
    const response = await browser.fetch(await authorizeUrl(client, undefined));
    expect(redirectError(response).get("error")).toBe("invalid_request");
  });

  it("refuses a missing code_challenge from a confidential client too", async () => {
    const browser = new Browser();
    const client = await register(browser, { token_endpoint_auth_method: "client_secret_basic" });
    expect(client.client_secret).toBeTruthy();
    const response = await browser.fetch(await authorizeUrl(client, undefined));
    const params = redirectError(response);
    expect(params.get("error")).toBe("invalid_request");
    expect(params.get("state")).toBe("client-state-123");
  });
});
