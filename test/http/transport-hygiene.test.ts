import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { refusePlainHttp, withSecurityHeaders } from "../../src/http/transport-hygiene";

const BASE = "http://127.0.0.1:8787";

function send(path: string, init: RequestInit = {}) {
  const headers = new Headers(init.headers);
  headers.set("Host", "127.0.0.1:8787");
  return exports.default.fetch(new Request(`${BASE}${path}`, { ...init, headers }));
}

describe("plain http when the deployment is https", () => {
  const httpsEnv = { ...env, PUBLIC_URL: "https://mcp.example.com" } as unknown as Env;

  it("is refused with a 400 naming https, before anything reads a key", async () => {
    const refused = refusePlainHttp(
      new Request("http://mcp.example.com/mcp", { method: "POST", headers: { Authorization: "Bearer test-key-aaaaaaaa" } }),
      httpsEnv,
    );
    expect(refused?.status).toBe(400);
    const body = (await refused!.json()) as { error: string; error_description: string };
    expect(body.error).toBe("invalid_request");
    expect(body.error_description).toContain("https://mcp.example.com/mcp");
    expect(body.error_description).toContain("https, not http");
  });

  it("lets https through, and plain http on loopback or on an http deployment", () => {
    expect(refusePlainHttp(new Request("https://mcp.example.com/mcp"), httpsEnv)).toBeUndefined();
    expect(refusePlainHttp(new Request("http://127.0.0.1:8787/mcp"), httpsEnv)).toBeUndefined();
    expect(
      refusePlainHttp(new Request("http://mcp.example.com/mcp"), { ...env, PUBLIC_URL: "http://mcp.example.com" } as unknown as Env),
    ).toBeUndefined();
  });
});

describe("response headers", () => {
  it("carry nosniff and no-store on every endpoint, whatever the answer", async () => {
    const answers = [
      await send("/mcp", { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" }),
      await send("/sse"),
      await send("/internal", { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" }),
      await send("/.well-known/oauth-authorization-server"),
      await send("/nowhere"),
    ];
    for (const answer of answers) {
      await answer.body?.cancel();
      expect(answer.headers.get("X-Content-Type-Options")).toBe("nosniff");
      expect(answer.headers.get("Cache-Control")).toBe("no-store");
      expect(answer.headers.get("Strict-Transport-Security")).toBeNull();
    }
  });

  it("add HSTS to https responses", () => {
    const response = withSecurityHeaders(new Request("https://mcp.example.com/mcp"), new Response("ok"));
    expect(response.headers.get("Strict-Transport-Security")).toMatch(/^max-age=\d+/);
  });
});

describe("CORS on the bearer endpoints", () => {
  for (const path of ["/mcp", "/sse", "/sse/message"]) {
    it(`answers an allowed origin's preflight on ${path} with 204, without a key`, async () => {
      const response = await send(path, {
        method: "OPTIONS",
        headers: {
          Origin: "https://claude.ai",
          "Access-Control-Request-Method": "POST",
          "Access-Control-Request-Headers": "authorization, content-type",
        },
      });
      expect(response.status).toBe(204);
      expect(response.headers.get("Access-Control-Allow-Origin")).toBe("https://claude.ai");
      expect(response.headers.get("Access-Control-Allow-Headers")).toContain("Authorization");
    });
  }

  it("reflects an allowed origin on the answer itself, so a browser client can read it", async () => {
    const response = await send("/mcp", {
      method: "POST",
      headers: { Origin: "https://claude.ai", "Content-Type": "application/json" },
      body: "{}",
    });
    expect(response.status).toBe(401);
    expect(response.headers.get("Access-Control-Allow-Origin")).toBe("https://claude.ai");
  });
});
