import { afterEach, describe, expect, it, vi } from "vitest";
import { inMemoryTeamMemory } from "../../dev/plausible-simulator/team-memory.ts";
import { investigateChangePrompt, weeklyReportPrompt } from "../../src/prompts";

// weekly_report and investigate_change read the team's memory: the site's context, the annotations
// around the period and the targets of its month and quarter, and say nothing when it holds none.

afterEach(() => vi.useRealTimers());

describe("prompts with team memory", () => {
  it("weekly_report adds the context, the last two weeks' annotations and this month's and quarter's targets", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.parse("2026-05-20T09:00:00Z"));
    const memory = inMemoryTeamMemory();
    await memory.setSiteContext("example.com", "Signup means a completed trial form.");
    await memory.addAnnotation({ siteId: "example.com", at: "2026-05-12", text: "New pricing page", kind: "deploy" });
    await memory.addAnnotation({ siteId: "example.com", at: "2026-04-01", text: "Too old to matter", kind: "other" });
    await memory.addAnnotation({ siteId: "other.example", at: "2026-05-13", text: "Another site's", kind: "other" });
    await memory.setTarget({ siteId: "example.com", metric: "visitors", period: "2026-05", value: 120000 });
    await memory.setTarget({ siteId: "example.com", metric: "pageviews", period: "2026-Q2", value: 900000 });
    await memory.setTarget({ siteId: "example.com", metric: "visitors", period: "2026-04", value: 1 });

    const notes = await weeklyReportPrompt.notes!({ site_id: "example.com" }, memory);
    expect(notes).toContain(
      "Site context (what the team says about example.com; read the numbers with it):\nSignup means a completed trial form.",
    );
    expect(notes).toContain("Annotations 2026-05-06 to 2026-05-20");
    expect(notes).toMatch(/- 2026-05-12 deploy: New pricing page \(ann_\w+\)/);
    expect(notes).not.toContain("Too old");
    expect(notes).not.toContain("Another site's");
    expect(notes).toContain('get_pacing with site_id "example.com"');
    expect(notes).toContain("- visitors: 120000 in 2026-05");
    expect(notes).toContain("- pageviews: 900000 in 2026-Q2");
    expect(notes).not.toContain("2026-04");
  });

  it("investigate_change adds the annotations from four weeks before the change to a week after it, and the metric's targets", async () => {
    const memory = inMemoryTeamMemory();
    await memory.addAnnotation({ siteId: "example.com", at: "2026-03-09T16:00:00+01:00", text: "Newsletter", kind: "campaign" });
    await memory.addAnnotation({ siteId: "example.com", at: "2026-03-20", text: "After the week", kind: "other" });
    await memory.setTarget({ siteId: "example.com", metric: "visitors", period: "2026-Q1", value: 300000 });
    const notes = await investigateChangePrompt.notes!({ site_id: "example.com", metric: "visitors", date: "2026-03-10" }, memory);
    expect(notes).toContain("Annotations 2026-02-10 to 2026-03-17");
    expect(notes).toContain("- 2026-03-09T16:00:00+01:00 campaign: Newsletter");
    expect(notes).not.toContain("After the week");
    expect(notes).toContain("- visitors: 300000 in 2026-Q1");
    const rate = await investigateChangePrompt.notes!({ site_id: "example.com", metric: "bounce_rate", date: "2026-03-10" }, memory);
    expect(rate).not.toContain("Targets");
  });

  it("adds nothing when the memory holds nothing for the site", async () => {
    expect(await weeklyReportPrompt.notes!({ site_id: "example.com" }, inMemoryTeamMemory())).toBeUndefined();
    expect(await investigateChangePrompt.notes!({ site_id: "example.com" }, inMemoryTeamMemory())).toBeUndefined();
  });
});
