import { exports } from "cloudflare:workers";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { Client as ClientV2, StreamableHTTPClientTransport as TransportV2 } from "@modelcontextprotocol/client";
import { describe, expect, it } from "vitest";

const fetchWorker = (input: RequestInfo | URL, init?: RequestInit) => {
  const req = new Request(input, init);
  const headers = new Headers(req.headers);
  headers.set("host", new URL(req.url).host);
  return exports.default.fetch(new Request(req, { headers }));
};

describe("smoke", () => {
  it("v1 streamable", async () => {
    const client = new Client({ name: "t", version: "1" });
    await client.connect(new StreamableHTTPClientTransport(new URL("http://localhost/mcp"), { fetch: fetchWorker }));
    const tools = await client.listTools();
    expect(tools.tools.map((t) => t.name)).toEqual(["hello"]);
    await client.close();
  });
  it("v2 streamable", async () => {
    const client = new ClientV2({ name: "t", version: "1" });
    await client.connect(new TransportV2(new URL("http://localhost/mcp"), { fetch: fetchWorker }));
    const r = await client.callTool({ name: "hello", arguments: { name: "a" } });
    expect(r.content).toEqual([{ type: "text", text: "Hello a" }]);
    await client.close();
  });
  it("v1 sse", async () => {
    const client = new Client({ name: "t", version: "1" });
    await client.connect(new SSEClientTransport(new URL("http://localhost/sse"), { fetch: fetchWorker, eventSourceInit: { fetch: fetchWorker } as any }));
    const r = await client.callTool({ name: "hello", arguments: { name: "b" } });
    expect(r.content).toEqual([{ type: "text", text: "Hello b" }]);
    await client.close();
  });
});
