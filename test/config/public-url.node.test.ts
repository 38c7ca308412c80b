import { describe, expect, it } from "vitest";
import { readPublicUrl } from "../../src/config";
import { onlySettings } from "../support/settings";

const read = (value: string) => readPublicUrl(onlySettings({ PUBLIC_URL: value }))?.origin;

// One parser for every reader of PUBLIC_URL: the connectors, the Host guard, the https refusal and the home page.
describe("PUBLIC_URL", () => {
  it("is the deployment's origin: https, or http on a loopback host, with nothing after the host", () => {
    expect(read("https://mcp.example.com")).toBe("https://mcp.example.com");
    expect(read(" https://mcp.example.com/ ")).toBe("https://mcp.example.com");
    expect(read("http://127.0.0.1:8787")).toBe("http://127.0.0.1:8787");
    expect(read("http://localhost:8787/")).toBe("http://localhost:8787");
  });

  it("is unset when empty, unparseable, plain http to a remote host, or carrying a path, query or fragment", () => {
    for (const value of [
      "",
      "  ",
      "mcp.example.com",
      "http://mcp.example.com",
      "https://mcp.example.com/mcp",
      "https://mcp.example.com/?a=1",
      "https://mcp.example.com/#x",
    ]) {
      expect(read(value), value).toBeUndefined();
    }
    expect(readPublicUrl(onlySettings())).toBeUndefined();
  });
});
