import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { Browser } from "../support/harness";

/** GET /: what the server is and how to connect, as HTML without scripts or as JSON; never a secret or the domain list. */

const BASE = new URL(env.PUBLIC_URL).origin;
const secrets = env as Env & { OIDC_CLIENT_SECRET: string; OIDC_CLIENT_ID: string; PLAUSIBLE_API_KEY: string };
const SECRETS = [secrets.OIDC_CLIENT_SECRET, secrets.OIDC_CLIENT_ID, secrets.PLAUSIBLE_API_KEY, "Example.org"];

describe("home page", () => {
  it("shows the connection URLs and copy-paste lines for each client, without scripts", async () => {
    const response = await new Browser().fetch(`${BASE}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Type")).toContain("text/html");
    expect(response.headers.get("Content-Security-Policy")).toContain("default-src 'none'");
    const html = await response.text();
    expect(html).not.toContain("<script");
    for (const path of ["/mcp", "/connect", "/internal"]) expect(html).toContain(`${BASE}${path}`);
    expect(html).toContain(
      `claude mcp add --transport http plausible ${BASE}/mcp --header &#34;Authorization: Bearer &#60;your Plausible API key&#62;&#34;`,
    );
    expect(html).toContain("Add custom connector");
    expect(html).toContain("mcpServers");
    expect(html).toContain("npx @modelcontextprotocol/inspector --cli");
    for (const secret of SECRETS) expect(html.toLowerCase()).not.toContain(secret.toLowerCase());
  });

  it("answers the same facts as JSON to Accept: application/json, with what this deployment configures", async () => {
    const response = await new Browser().fetch(`${BASE}/`, { headers: { Accept: "application/json" } });
    expect(response.headers.get("Content-Type")).toContain("application/json");
    const facts = (await response.json()) as {
      name: string;
      endpoints: { path: string; configured: boolean; url: string }[];
      clients: { client: string; line: string }[];
    };
    expect(facts.name).toBe("plausible-mcp");
    expect(Object.fromEntries(facts.endpoints.map((endpoint) => [endpoint.path, endpoint.configured]))).toEqual({
      "/mcp": true,
      "/connect": true,
      "/internal": true,
      "/sse": true,
      "/admin": false,
    });
    expect(facts.clients.map((client) => client.client)).toEqual(
      expect.arrayContaining(["Claude Code", "Claude.ai, Claude Desktop, Cowork", "Cursor (~/.cursor/mcp.json)", "MCP Inspector"]),
    );
    for (const secret of SECRETS) expect(JSON.stringify(facts).toLowerCase()).not.toContain(secret.toLowerCase());
  });

  it("says /internal and /admin are not configured while sign-in is incomplete; lists /admin once ADMIN_EMAILS is set", async () => {
    const incomplete = await new Browser({ OIDC_CLIENT_SECRET: "" } as never).fetch(`${BASE}/`, {
      headers: { Accept: "application/json" },
    });
    const facts = (await incomplete.json()) as { endpoints: { path: string; configured: boolean }[]; clients: { line: string }[] };
    expect(facts.endpoints.find((endpoint) => endpoint.path === "/internal")?.configured).toBe(false);
    expect(facts.clients.some((client) => client.line.includes("/internal"))).toBe(false);
    const withAdmins = await new Browser({ ADMIN_EMAILS: "boss@example.com" } as never).fetch(`${BASE}/`, {
      headers: { Accept: "application/json" },
    });
    const adminFacts = (await withAdmins.json()) as { endpoints: { path: string; configured: boolean }[] };
    expect(adminFacts.endpoints.find((endpoint) => endpoint.path === "/admin")?.configured).toBe(true);
    expect(JSON.stringify(adminFacts)).not.toContain("boss@example.com");
  });
});
