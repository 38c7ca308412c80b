import type { z } from "zod";
import { explainChangeTool } from "../tools/explain-change";
import { getPacingTool } from "../tools/get-pacing";
import type { ToolContext } from "../tools";

type Explained = z.output<typeof explainChangeTool.outputSchema>;
type Pacing = z.output<typeof getPacingTool.outputSchema>;

/**
 * How often explain_change flags a quiet week (a day or a segment), measured in docs/calibration.md:
 * 0.0–3.0 % over 18 null scenarios of 300 runs each, against a band of at most 5 %.
 */
export const FALSE_ALARM_STATEMENT =
  "In calibration, a quiet week is flagged in at most 3 % of runs (0.0–3.0 % over 18 scenarios; band ≤ 5 %; docs/calibration.md).";

export interface Mover {
  dimension: "source" | "page";
  value: string;
  actual: number;
  expected: number;
}

export interface Anomaly {
  /** Stable across runs, so the same anomaly is reported once: "day 2026-11-29" or "visit:source=Hacker News 2026-11-29". */
  key: string;
  /** The day it happened, for ordering; absent for a pacing miss. */
  date?: string;
  description: string;
}

/** The weekly digest of one site, from the tools the chat uses (explain_change, get_pacing). */
export interface WeeklyDigest {
  siteId: string;
  from: string;
  to: string;
  visitors: number;
  expected: number;
  changePercent: number | null;
  verdict: string;
  /** One bar per day of the week, ▁ to █. */
  sparkline: string;
  anomalies: Anomaly[];
  movers: Mover[];
  /** The scope's annotations of the week (team memory), as "date kind: text". */
  annotations: string[];
  pacing?: string;
}

export interface ChangeAlert {
  siteId: string;
  /** The anomalies not reported before, newest first. */
  anomalies: Anomaly[];
  falseAlarmRate: string;
}

const BARS = "▁▂▃▄▅▆▇█";

export function sparkline(values: number[]): string {
  const max = Math.max(...values, 0);
  const min = Math.min(...values, max);
  return values.map((value) => BARS[max === min ? 3 : Math.round(((value - min) / (max - min)) * (BARS.length - 1))]).join("");
}

async function explainWeek(context: ToolContext, siteId: string): Promise<Explained> {
  const input = explainChangeTool.inputSchema.parse({ site_id: siteId, period: "7d", dimensions: ["visit:source", "event:page"], top: 3 });
  return (await explainChangeTool.run(input, context)).structured;
}

/** The flagged days and segment anomalies of the last seven complete days, each with a stable key. */
function anomaliesOf(explained: Explained): Anomaly[] {
  const days = explained.days
    .filter((day) => day.flagged)
    .map((day) => ({
      key: `day ${day.date}`,
      date: day.date,
      description: `${day.date}: ${explained.metric} ${day.actual} against ${expectedOf(day)} (${signed(day.change_percent)})`,
    }));
  const segments = explained.anomalies.map((anomaly) => ({
    key: `${anomaly.dimension}=${anomaly.value} ${anomaly.date}`,
    date: anomaly.date,
    description: `${anomaly.date}: ${anomaly.dimension} "${anomaly.value}" had ${anomaly.actual} against ${expectedOf(anomaly)}`,
  }));
  return [...days, ...segments].sort((a, b) => (b.date ?? "").localeCompare(a.date ?? ""));
}

/** The pacing line, when the scope set a target for this month (get_pacing reads it from team memory). */
async function pacingLine(context: ToolContext, siteId: string): Promise<{ line: string; period: string; behind: boolean } | undefined> {
  const pacing: Pacing = (await getPacingTool.run(getPacingTool.inputSchema.parse({ site_id: siteId }), context)).structured;
  if (pacing.target === null || pacing.forecast.value === null) return undefined;
  return {
    line: [
      `${pacing.metric} ${pacing.period}: ${pacing.so_far} so far,`,
      `forecast ${Math.round(pacing.forecast.value)} against a target of ${pacing.target} (${pacing.status})`,
    ].join(" "),
    period: `${pacing.metric} ${pacing.period}`,
    behind: pacing.status === "behind pace",
  };
}

export async function buildWeeklyDigest(context: ToolContext, siteId: string): Promise<WeeklyDigest> {
  const explained = await explainWeek(context, siteId);
  const [from = "", to = ""] = explained.date_range_resolved;
  const movers = explained.drivers.flatMap((driver) =>
    driver.values.slice(0, 3).map((value) => ({
      dimension: driver.dimension === "visit:source" ? ("source" as const) : ("page" as const),
      value: value.value,
      actual: value.actual,
      expected: Math.round(value.expected),
    })),
  );
  const pacing = await pacingLine(context, siteId);
  return {
    siteId,
    from,
    to,
    visitors: explained.total.actual,
    expected: Math.round(explained.total.expected),
    changePercent: explained.total.change_percent,
    verdict: explained.total.verdict,
    sparkline: sparkline(explained.days.map((day) => day.actual)),
    anomalies: anomaliesOf(explained),
    movers,
    annotations: (explained.annotations ?? [])
      .filter((annotation) => annotation.within === "period")
      .map((annotation) => `${annotation.date} ${annotation.kind}: ${annotation.text}`),
    ...(pacing ? { pacing: pacing.line } : {}),
  };
}

/** What a change alert would report today: the week's flagged days and segment anomalies, and a pacing miss. */
export async function findChanges(context: ToolContext, siteId: string, withPacing: boolean): Promise<Anomaly[]> {
  const anomalies = anomaliesOf(await explainWeek(context, siteId));
  const pacing = withPacing ? await pacingLine(context, siteId) : undefined;
  if (pacing?.behind) anomalies.push({ key: `pacing ${pacing.period}`, description: pacing.line });
  return anomalies;
}

function expectedOf(row: { expected: number }): string {
  return `${Math.round(row.expected)} expected`;
}

function signed(percent: number | null): string {
  if (percent === null) return "no baseline";
  return `${percent > 0 ? "+" : ""}${Math.round(percent)} %`;
}
