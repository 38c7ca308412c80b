import { describe, expect, it } from "vitest";
import { PlausibleApiError } from "../../src/plausible";
import { listCustomPropsTool } from "../../src/tools/list-custom-props";
import { callTool, failingContext, fakeContext } from "./fake-context";

describe("list_custom_props", () => {
  it("lists the properties from the Sites API", async () => {
    const { context, calls } = fakeContext(() => ["plan", "author"], "example.com");
    const { structured, text } = await callTool(listCustomPropsTool, {}, context);
    expect(calls).toEqual([[{ kind: "customProps", siteId: "example.com" }]]);
    expect(structured).toEqual({ site_id: "example.com", properties: ["plan", "author"], source: "sites_api" });
    expect(text).toBe(["example.com: custom properties", "| property |", "|---|", "| plan |", "| author |"].join("\n"));
  });

  it("without a Sites API (404) says the names cannot be listed and what to do instead", async () => {
    const { context } = failingContext(
      new PlausibleApiError("Plausible answered 404: Not found", { status: 404, plausibleMessage: "Not found" }),
    );
    const { structured, text } = await callTool(listCustomPropsTool, { site_id: "example.com" }, context);
    expect(structured).toMatchObject({ site_id: "example.com", properties: [], source: "unavailable" });
    expect(structured.note).toMatch(/no Sites API.*Ask the user.*event:props:<name>/);
    expect(text).toBe(structured.note);
  });

  it("lets other Plausible errors through", async () => {
    const unauthorized = new PlausibleApiError("Plausible answered 401: Invalid API key", {
      status: 401,
      plausibleMessage: "Invalid API key",
    });
    const { context } = failingContext(unauthorized);
    await expect(callTool(listCustomPropsTool, { site_id: "example.com" }, context)).rejects.toBe(unauthorized);
  });
});
