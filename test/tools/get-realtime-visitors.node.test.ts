import { describe, expect, it } from "vitest";
import { getRealtimeVisitorsTool } from "../../src/tools/get-realtime-visitors";
import { callTool, fakeContext } from "./fake-context";

describe("get_realtime_visitors", () => {
  it("asks the realtime endpoint and reports the count", async () => {
    const { context, calls } = fakeContext(() => 17);
    const { structured, text } = await callTool(getRealtimeVisitorsTool, { site_id: "example.com" }, context);
    expect(calls).toEqual([[{ kind: "realtime", siteId: "example.com" }]]);
    expect(structured).toEqual({ site_id: "example.com", visitors: 17 });
    expect(text).toBe("example.com: 17 visitors in the last 5 minutes");
  });
});
