import { describe, expect, it } from "vitest";
import { PlausibleApiError, PlausibleUnavailableError } from "../../src/plausible";
import { listSitesTool } from "../../src/tools/list-sites";
import { callTool, failingContext, fakeContext } from "./fake-context";

const notFound = () => new PlausibleApiError("Plausible answered 404: Not found", { status: 404, plausibleMessage: "Not found" });

describe("list_sites", () => {
  it("lists the sites from the Sites API with their timezones", async () => {
    const { context, calls } = fakeContext(() => [{ domain: "example.com", timezone: "Europe/Tallinn" }, { domain: "other.example" }]);
    const { structured, text } = await callTool(listSitesTool, {}, context);
    expect(calls).toEqual([[{ kind: "sites" }]]);
    expect(structured).toEqual({
      sites: [{ domain: "example.com", timezone: "Europe/Tallinn" }, { domain: "other.example" }],
      source: "sites_api",
    });
    expect(text).toBe(["| domain | timezone |", "|---|---|", "| example.com | Europe/Tallinn |", "| other.example | – |"].join("\n"));
  });

  it("without a Sites API (404) lists the default site and says so", async () => {
    const { context, calls } = failingContext(notFound(), "example.com");
    const { structured, text } = await callTool(listSitesTool, {}, context);
    expect(calls).toEqual([[{ kind: "sites" }]]);
    expect(structured).toMatchObject({ sites: [{ domain: "example.com" }], source: "default_site" });
    expect(structured.note).toMatch(/no Sites API.*only the server's default site/);
    expect(text).toContain(structured.note);
    expect(text).toContain("| example.com |");
  });

  it("without a Sites API and a default site, says to ask the user", async () => {
    const { context } = failingContext(notFound());
    const { structured } = await callTool(listSitesTool, {}, context);
    expect(structured.sites).toEqual([]);
    expect(structured.note).toMatch(/ask the user for the site's domain/);
  });

  it.each([
    ["a 401", new PlausibleApiError("Plausible answered 401: Invalid API key", { status: 401, plausibleMessage: "Invalid API key" })],
    ["an outage", new PlausibleUnavailableError("Plausible is unavailable", { reason: "timeout" })],
  ])("lets %s through", async (_case, error) => {
    const { context } = failingContext(error, "example.com");
    await expect(callTool(listSitesTool, {}, context)).rejects.toBe(error);
  });
});
