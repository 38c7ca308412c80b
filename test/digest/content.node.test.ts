import { describe, expect, it } from "vitest";
import { createDataset } from "../../dev/plausible-simulator/dataset.ts";
import { buildWeeklyDigest, FALSE_ALARM_STATEMENT, findChanges, sparkline } from "../../src/digest/content";
import { alertBody, digestBody } from "../../src/digest/messages";
import { localTime } from "../../src/digest/local-time";
import { useSimulatedContext } from "../tools/simulated-context";

// The digest and the alert against the simulator's planted spike: built by the chat's own tools, so
// they report what explain_change reports.

const NOW = Date.parse("2025-06-15T12:00:00Z");
const SEED = 1;
const { spike } = createDataset({ seed: SEED, now: NOW }).sites.find((site) => site.domain === "example.com")!.injected;

const simulated = useSimulatedContext(NOW, SEED);

describe("weekly digest content", () => {
  it("states the week against its baseline, the spike with its source, and a sparkline, in all three shapes", async () => {
    const digest = await buildWeeklyDigest(simulated.context, "example.com");
    expect(digest.to).toBe("2025-06-14");
    expect(digest.anomalies.map((anomaly) => anomaly.key)).toContain(`day ${spike.date}`);
    expect(digest.movers[0]).toMatchObject({ dimension: "source", value: spike.source });
    expect([...digest.sparkline]).toHaveLength(7);

    const slack = digestBody(digest, "slack");
    expect(slack.text).toContain(`${spike.date}: visitors`);
    expect(slack.text).toContain(`source ${spike.source}`);
    expect(digestBody(digest, "google_chat").text).toContain(digest.sparkline);
    expect(digestBody(digest, "json")).toMatchObject({ type: "weekly_digest", digest: { siteId: "example.com" } });
  });

  it("lists the week's annotations and the pacing against a target; a pacing miss is an alert of its own", async () => {
    await simulated.context.memory.addAnnotation({ siteId: "example.com", at: spike.date, text: "Launch post", kind: "campaign" });
    await simulated.context.memory.setTarget({ siteId: "example.com", metric: "visitors", period: "2025-06", value: 10_000_000 });
    const digest = await buildWeeklyDigest(simulated.context, "example.com");
    expect(digest.annotations).toEqual([`${spike.date} campaign: Launch post`]);
    expect(digest.pacing).toMatch(/^visitors 2025-06: .* against a target of 10000000 \(behind pace\)$/);
    expect(digestBody(digest, "slack").text).toContain("Noted this week:");
    expect((await findChanges(simulated.context, "example.com", true)).map((anomaly) => anomaly.key)).toContain("pacing visitors 2025-06");
  });

  it("alerts on the flagged day with the method's false-alarm rate from the calibration report", async () => {
    const anomalies = await findChanges(simulated.context, "example.com", false);
    expect(anomalies[0]).toMatchObject({ key: `day ${spike.date}`, date: spike.date });
    const body = alertBody({ siteId: "example.com", anomalies, falseAlarmRate: FALSE_ALARM_STATEMENT }, "slack");
    expect(body.text).toContain("Change alert for example.com");
    expect(body.text).toContain("at most 3 % of runs");
  });
});

describe("schedule", () => {
  it("reads the local day, hour and ISO week in the site's timezone", () => {
    // Monday 00:30 in Berlin is still Sunday in UTC.
    expect(localTime("Europe/Berlin", new Date("2026-11-29T23:30:00Z"))).toEqual({
      date: "2026-11-30",
      isoWeekday: 1,
      hour: 0,
      week: "2026-W49",
    });
    expect(localTime("America/New_York", new Date("2027-01-01T12:00:00Z"))).toMatchObject({ isoWeekday: 5, week: "2026-W53" });
  });

  it("draws a sparkline from the lowest to the highest day", () => {
    expect(sparkline([1, 2, 3, 4, 5, 6, 8])).toBe("▁▂▃▄▅▆█");
    expect(sparkline([5, 5])).toBe("▄▄");
  });
});
