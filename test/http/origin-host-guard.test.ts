import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { isLoopbackHostname } from "../../src/shared/loopback";
import { withoutAgentHeaders } from "../../src/http/origin-host-guard";

const BASE = "http://127.0.0.1:8787";
const MCP_ENDPOINTS = ["/internal", "/internal/message?sessionId=x", "/mcp", "/sse", "/sse/message?sessionId=x"];

function send(path: string, init: RequestInit & { host?: string } = {}) {
  const headers = new Headers(init.headers);
  headers.set("Host", init.host ?? "127.0.0.1:8787");
  return exports.default.fetch(new Request(`${BASE}${path}`, { ...init, headers }));
}

function preflight(path: string, origin: string) {
  return send(path, {
    method: "OPTIONS",
    headers: { Origin: origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization, content-type" },
  });
}

describe("Origin on the MCP endpoints", () => {
  for (const path of MCP_ENDPOINTS) {
    it(`refuses a foreign Origin on ${path} and its preflight with 403`, async () => {
      const post = await send(path, {
        method: "POST",
        headers: { Origin: "https://evil.example", "Content-Type": "application/json" },
        body: "{}",
      });
      expect(post.status).toBe(403);
      expect(post.headers.get("Access-Control-Allow-Origin")).toBeNull();
      const options = await preflight(path, "https://evil.example");
      expect(options.status).toBe(403);
      expect(options.headers.get("Access-Control-Allow-Origin")).toBeNull();
    });
  }

  it("refuses a look-alike of an allowed origin", async () => {
    for (const origin of ["https://claude.ai.evil.example", "http://claude.ai", "https://claude.ai:444", "null"]) {
      expect((await send("/internal", { headers: { Origin: origin } })).status, origin).toBe(403);
    }
  });

  it("lets requests without Origin through (the 401 comes from the OAuth layer, not the guard)", async () => {
    const response = await send("/internal", { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" });
    expect(response.status).toBe(401);
    expect(response.headers.get("Access-Control-Allow-Origin")).toBeNull();
  });

  it("answers an allowlisted origin's preflight on /internal with CORS headers for that origin only", async () => {
    const response = await preflight("/internal", "https://claude.ai");
    expect(response.status).toBeLessThan(300);
    expect(response.headers.get("Access-Control-Allow-Origin")).toBe("https://claude.ai");
  });

  it("gives an allowlisted origin CORS headers on /internal, including on the 401", async () => {
    const response = await send("/internal", {
      method: "POST",
      headers: { Origin: "https://claude.ai", "Content-Type": "application/json" },
      body: "{}",
    });
    expect(response.status).toBe(401);
    expect(response.headers.get("Access-Control-Allow-Origin")).toBe("https://claude.ai");
    expect(response.headers.get("Access-Control-Expose-Headers")).toContain("WWW-Authenticate");
  });
});

describe("Host", () => {
  it("refuses a Host other than PUBLIC_URL's on every path", async () => {
    for (const path of ["/mcp", "/internal", "/authorize", "/.well-known/oauth-authorization-server"]) {
      const response = await send(path, { host: "attacker.example" });
      expect(response.status, path).toBe(403);
    }
  });

  it("accepts PUBLIC_URL's host and, because PUBLIC_URL is loopback here, other loopback names", async () => {
    for (const host of ["127.0.0.1:8787", "localhost:8787", "localhost", "[::1]:8787"]) {
      const response = await send("/.well-known/oauth-authorization-server", { host });
      expect(response.status, host).not.toBe(403);
    }
  });

  it("refuses a DNS-rebinding name that merely resolves to loopback", async () => {
    expect((await send("/mcp", { host: "127.0.0.1.nip.io:8787" })).status).toBe(403);
  });
});

describe("loopback host names", () => {
  it("knows localhost, 127.0.0.0/8 and ::1, and nothing that only looks like them", () => {
    for (const host of ["localhost", "LOCALHOST", "127.0.0.1", "127.1.2.3", "::1", "[::1]"])
      expect(isLoopbackHostname(host), host).toBe(true);
    for (const host of ["localhost.evil.example", "127.0.0.1.nip.io", "128.0.0.1", "0.0.0.0", "example.com"])
      expect(isLoopbackHostname(host), host).toBe(false);
  });
});

describe("headers the agents library uses between the worker and its Durable Objects", () => {
  it("are removed from client requests, whatever their spelling; other headers stay", () => {
    const props = btoa(JSON.stringify({ sub: "someone-else", email: "victim@example.com", name: "Victim" }));
    const request = new Request(`${BASE}/sse`, {
      headers: { "X-Agents-Lifecycle-Props": props, "x-agents-anything": "1", Authorization: "Bearer test-key-aaaaaaaa" },
    });
    const cleaned = withoutAgentHeaders(request);
    expect([...cleaned.headers.keys()]).toEqual(["authorization"]);
  });
});
