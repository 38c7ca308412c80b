import { describe, expect, it } from "vitest";
import { SyntheticSite } from "../../dev/plausible-simulator/synthetic";
import { syntheticContext } from "../../dev/plausible-simulator/synthetic-context";
import { emptyMemoryState, inMemoryTeamMemory } from "../../dev/plausible-simulator/team-memory.ts";
import { TeamMemoryRefusal, ToolInputError } from "../../src/tools";
import { addAnnotationTool } from "../../src/tools/add-annotation";
import { deleteAnnotationTool } from "../../src/tools/delete-annotation";
import { explainChangeTool } from "../../src/tools/explain-change";
import { measureImpactTool } from "../../src/tools/measure-impact";
import { listAnnotationsTool } from "../../src/tools/list-annotations";
import { setSiteContextTool } from "../../src/tools/set-site-context";
import { setTargetTool } from "../../src/tools/set-target";
import { callTool, fakeContext, inputProblem, queryResult } from "./fake-context";

const DEPLOY = { site_id: "example.com", date: "2026-05-12", text: "Deployed the new pricing page", kind: "deploy" };

describe("team memory tools", () => {
  it("add_annotation returns the id, and the same id for identical input", async () => {
    const { context, calls } = fakeContext();
    const first = await callTool(addAnnotationTool, DEPLOY, context);
    expect(first.structured).toMatchObject({ created: true, annotation: { site_id: "example.com", date: "2026-05-12", kind: "deploy" } });
    expect(first.text).toContain(`Added: ${first.structured.annotation.id}`);
    const again = await callTool(addAnnotationTool, DEPLOY, context);
    expect(again.structured).toEqual({ annotation: first.structured.annotation, created: false });
    expect(calls).toEqual([]);
  });

  it("add_annotation checks its input and names the fix", () => {
    expect(inputProblem(addAnnotationTool, { ...DEPLOY, text: "x".repeat(281) })).toMatch(/280/);
    expect(inputProblem(addAnnotationTool, { ...DEPLOY, date: "2026-05-12T10:00" })).toMatch(/datetime with offset/);
    expect(inputProblem(addAnnotationTool, { ...DEPLOY, kind: "party" })).toMatch(/deploy/);
    expect(inputProblem(addAnnotationTool, { ...DEPLOY, date: "2026-05-12T10:00:00+02:00", kind: undefined })).toBeUndefined();
  });

  it("list_annotations reads a pair of dates without Plausible, a relative range from the site's today", async () => {
    const { context, calls } = fakeContext((request) =>
      request.kind === "sites" ? [{ domain: "example.com", timezone: "UTC" }] : queryResult([]),
    );
    await callTool(addAnnotationTool, DEPLOY, context);
    await callTool(addAnnotationTool, { ...DEPLOY, date: "2026-06-01", text: "Summer sale", kind: "campaign" }, context);
    const may = await callTool(listAnnotationsTool, { site_id: "example.com", date_range: ["2026-05-01", "2026-05-31"] }, context);
    expect(may.structured.annotations.map((annotation) => annotation.text)).toEqual([DEPLOY.text]);
    expect(may.text).toContain("| 2026-05-12 | deploy | Deployed the new pricing page |");
    expect(calls).toEqual([]);
    const all = await callTool(listAnnotationsTool, { site_id: "example.com", date_range: "all" }, context);
    expect(all.structured.annotations).toHaveLength(2);
    const recent = await callTool(listAnnotationsTool, { site_id: "example.com", date_range: "7d" }, context);
    expect(calls.flat()[0]).toEqual({ kind: "sites" });
    expect(recent.text).toMatch(/no annotations/);
  });

  it("delete_annotation deletes, then says how to find ids", async () => {
    const { context } = fakeContext();
    const { structured } = await callTool(addAnnotationTool, DEPLOY, context);
    expect((await callTool(deleteAnnotationTool, { id: structured.annotation.id }, context)).structured).toEqual({
      id: structured.annotation.id,
      deleted: true,
    });
    await expect(callTool(deleteAnnotationTool, { id: structured.annotation.id }, context)).rejects.toThrow(
      new ToolInputError(
        "id",
        `there is no annotation ${structured.annotation.id} here; list_annotations shows the ids of a site's annotations`,
      ),
    );
  });

  it("delete_annotation by a member who is not the author is refused and says whom to ask", async () => {
    const state = emptyMemoryState();
    const alice = fakeContext(undefined, undefined, inMemoryTeamMemory(state, { email: "alice@example.com", admin: false })).context;
    const bob = fakeContext(undefined, undefined, inMemoryTeamMemory(state, { email: "bob@example.com", admin: false })).context;
    const { structured } = await callTool(addAnnotationTool, DEPLOY, alice);
    expect(structured.annotation.author).toBe("alice@example.com");
    const refused = callTool(deleteAnnotationTool, { id: structured.annotation.id }, bob);
    await expect(refused).rejects.toThrow(TeamMemoryRefusal);
    await expect(callTool(deleteAnnotationTool, { id: structured.annotation.id }, bob)).rejects.toThrow(/its author or an administrator/);
  });

  it("set_target stores a month's or a quarter's target; the default site stands in", async () => {
    const { context } = fakeContext(undefined, "default.example");
    const set = await callTool(setTargetTool, { metric: "visitors", period: "2026-Q2", value: 300000 }, context);
    expect(set.structured).toEqual({ site_id: "default.example", metric: "visitors", period: "2026-Q2", value: 300000 });
    expect(await context.memory.getTarget("default.example", "visitors", "2026-Q2")).toMatchObject({ value: 300000 });
    expect(inputProblem(setTargetTool, { site_id: "a.example", metric: "visitors", period: "2026-5", value: 1 })).toMatch(/"2026-05"/);
    expect(inputProblem(setTargetTool, { site_id: "a.example", metric: "bounce_rate", period: "2026-05", value: 1 })).toBeDefined();
    expect(inputProblem(setTargetTool, { site_id: "a.example", metric: "visitors", period: "2026-05", value: 0 })).toBeDefined();
  });

  it("set_site_context saves and clears", async () => {
    const { context } = fakeContext();
    await callTool(setSiteContextTool, { site_id: "example.com", text: "Signup = a completed trial form." }, context);
    expect(await context.memory.getSiteContext("example.com")).toBe("Signup = a completed trial form.");
    const cleared = await callTool(setSiteContextTool, { site_id: "example.com", text: "" }, context);
    expect(cleared.text).toMatch(/cleared/);
    expect(await context.memory.getSiteContext("example.com")).toBeNull();
  });
});

describe("annotations in the analysis tools", () => {
  const DOMAIN = "annotated.synthetic.test";
  const deploySite = () =>
    new SyntheticSite({
      domain: DOMAIN,
      seed: 7,
      level: 5000,
      firstDay: "2023-11-01",
      now: "2024-06-28T12:00:00Z",
      sigma: 0.05,
      effects: [{ kind: "step", from: "2024-06-12", factor: 1.2 }],
    });

  it("explain_change names the annotations of its period and baseline next to their days", async () => {
    const { context } = syntheticContext([deploySite()]);
    const deploy = await callTool(
      addAnnotationTool,
      { site_id: DOMAIN, date: "2024-06-12", text: "New landing page", kind: "deploy" },
      context,
    );
    await callTool(addAnnotationTool, { site_id: DOMAIN, date: "2024-05-20", text: "Newsletter", kind: "campaign" }, context);
    await callTool(addAnnotationTool, { site_id: DOMAIN, date: "2023-12-01", text: "Long ago" }, context);
    const { structured, text } = await callTool(explainChangeTool, { site_id: DOMAIN, period: ["2024-06-10", "2024-06-16"] }, context);
    expect(structured.annotations?.map(({ date, within, text: note }) => ({ date, within, note }))).toEqual([
      { date: "2024-05-20", within: "baseline", note: "Newsletter" },
      { date: "2024-06-12", within: "period", note: "New landing page" },
    ]);
    expect(structured.days.find((day) => day.date === "2024-06-12")?.annotation_ids).toEqual([deploy.structured.annotation.id]);
    expect(structured.days.find((day) => day.date === "2024-06-13")?.annotation_ids).toBeUndefined();
    expect(text).toContain(`Noted in the period: 2024-06-12 deploy: New landing page (${deploy.structured.annotation.id}).`);
    expect(text).toContain("Noted in the baseline: 2024-05-20 campaign: Newsletter");
    expect(text).toMatch(/\| 2024-06-12 \|.*\| New landing page \|/);
  });

  it("measure_impact takes an annotation's date as its event", async () => {
    const { context } = syntheticContext([deploySite()]);
    const { structured: added } = await callTool(
      addAnnotationTool,
      { site_id: DOMAIN, date: "2024-06-12", text: "New landing page", kind: "deploy" },
      context,
    );
    const byId = await callTool(measureImpactTool, { site_id: DOMAIN, annotation_id: added.annotation.id }, context);
    const byDate = await callTool(measureImpactTool, { site_id: DOMAIN, event: "2024-06-12" }, context);
    expect(byId.structured).toEqual({ ...byDate.structured, annotation: added.annotation });
    expect(byId.structured.results[0]).toMatchObject({ verdict: "increase" });
    expect(byId.text).toContain("around 2024-06-12 (deploy: New landing page)");
    await expect(callTool(measureImpactTool, { site_id: DOMAIN, annotation_id: "ann_missing" }, context)).rejects.toThrow(
      /no annotation ann_missing here; list_annotations/,
    );
    await expect(callTool(measureImpactTool, { site_id: "other.example", annotation_id: added.annotation.id }, context)).rejects.toThrow(
      /annotation of annotated.synthetic.test, not other.example/,
    );
    await expect(
      callTool(measureImpactTool, { site_id: DOMAIN, event: "2024-06-12", annotation_id: added.annotation.id }, context),
    ).rejects.toThrow(/either event or annotation_id/);
    await expect(callTool(measureImpactTool, { site_id: DOMAIN }, context)).rejects.toThrow(/`event`: say when it happened/);
  });
});
