import { describe, expect, it } from "vitest";
import { BASE, Browser, RESOURCE, callInternal } from "../support/harness";

describe("discovery for an MCP client without a token", () => {
  it("answers /internal with 401 and a challenge naming the protected resource metadata", async () => {
    const response = await callInternal(new Browser());
    expect(response.status).toBe(401);
    expect(response.headers.get("WWW-Authenticate")).toMatch(/^Bearer /);
    expect(response.headers.get("WWW-Authenticate")).toContain(`resource_metadata="${BASE}/.well-known/oauth-protected-resource/internal"`);
  });

  it("answers a malformed or unknown token on /internal with 401, never 500", async () => {
    for (const token of ["garbage", "a:b:c", "user:grant:secret:extra", "x".repeat(5000)]) {
      const response = await callInternal(new Browser(), token);
      expect(response.status, token.slice(0, 20)).toBe(401);
    }
  });

  it("serves the protected resource metadata with the exact resource", async () => {
    const response = await new Browser().fetch(`${BASE}/.well-known/oauth-protected-resource/internal`);
    expect(response.status).toBe(200);
    const metadata = (await response.json()) as { resource: string; authorization_servers: string[] };
    expect(metadata.resource).toBe(RESOURCE);
    expect(metadata.authorization_servers).toEqual([BASE]);
  });

  it("lists only S256 in the authorization server metadata", async () => {
    const response = await new Browser().fetch(`${BASE}/.well-known/oauth-authorization-server`);
    const metadata = (await response.json()) as Record<string, unknown>;
    expect(metadata.code_challenge_methods_supported).toEqual(["S256"]);
    expect(metadata.registration_endpoint).toBe(`${BASE}/register`);
    expect(metadata.revocation_endpoint).toBe(`${BASE}/token`);
    // CIMD is for deployments with global_fetch_strictly_public ([env.production]) only.
    expect(metadata.client_id_metadata_document_supported).not.toBe(true);
  });

  it("answers a bad key on /mcp with a 401 JSON error that points to no OAuth metadata", async () => {
    const response = await new Browser().fetch(`${BASE}/mcp`, {
      method: "POST",
      headers: { Authorization: "Bearer not a key!", "Content-Type": "application/json", Accept: "application/json, text/event-stream" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    });
    expect(response.status).toBe(401);
    expect(response.headers.get("Content-Type")).toContain("application/json");
    expect(((await response.json()) as { error: string }).error).toBeTruthy();
    expect(response.headers.get("WWW-Authenticate") ?? "").not.toContain("resource_metadata");
  });
});
