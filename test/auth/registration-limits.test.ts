import { describe, expect, it } from "vitest";
import { MAX_DISPLAY_CHARS, MAX_REDIRECT_URI_CHARS, MAX_REDIRECT_URIS } from "../../src/auth/client-registration";
import { BASE, Browser, CLIENT_REDIRECT } from "../support/harness";

/** Dynamic client registration (RFC 7591) on both connectors keeps records small: bounded display texts and redirect URIs. */

function register(path: string, metadata: Record<string, unknown>) {
  return new Browser().fetch(`${BASE}${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ client_name: "Test", redirect_uris: [CLIENT_REDIRECT], token_endpoint_auth_method: "none", ...metadata }),
  });
}

async function errorOf(response: Response): Promise<{ error: string; error_description: string }> {
  expect(response.status).toBe(400);
  return response.json();
}

describe.each(["/register", "/connect/register"])("registration on %s", (path) => {
  it(`accepts a client_name of ${MAX_DISPLAY_CHARS} characters and refuses a longer one with invalid_client_metadata`, async () => {
    expect((await register(path, { client_name: "n".repeat(MAX_DISPLAY_CHARS) })).status).toBe(201);
    const refused = await errorOf(await register(path, { client_name: "n".repeat(MAX_DISPLAY_CHARS + 1) }));
    expect(refused).toEqual({ error: "invalid_client_metadata", error_description: expect.stringContaining("client_name") });
  });

  it("refuses other long display fields, localized ones too", async () => {
    for (const field of ["client_uri", "logo_uri", "policy_uri", "tos_uri", "client_name#de"]) {
      const value = field.endsWith("_uri") ? `https://example.com/${"a".repeat(MAX_DISPLAY_CHARS)}` : "n".repeat(MAX_DISPLAY_CHARS + 1);
      expect((await errorOf(await register(path, { [field]: value }))).error, field).toBe("invalid_client_metadata");
    }
  });

  it(
    `refuses more than ${MAX_REDIRECT_URIS} redirect URIs, or one over ${MAX_REDIRECT_URI_CHARS} ` +
      "characters, with invalid_redirect_uri",
    async () => {
      const uris = (count: number) => Array.from({ length: count }, (_, i) => `${CLIENT_REDIRECT}/${i}`);
      expect((await register(path, { redirect_uris: uris(MAX_REDIRECT_URIS) })).status).toBe(201);
      expect((await errorOf(await register(path, { redirect_uris: uris(MAX_REDIRECT_URIS + 1) }))).error).toBe("invalid_redirect_uri");
      const long = `${CLIENT_REDIRECT}/${"a".repeat(MAX_REDIRECT_URI_CHARS)}`;
      expect((await errorOf(await register(path, { redirect_uris: [long] }))).error).toBe("invalid_redirect_uri");
    },
  );
});
