// The calibration scenarios: synthetic traffic in which nothing happened (null
// scenarios: how often does a tool claim a change?) or a known effect was
// planted (power scenarios: how often does it find it?). Each names the site
// to generate, the tool call, and how an answer is classified.

import type { SyntheticSiteOptions } from "../plausible-simulator/synthetic.ts";

export type CalibratedTool = "measure_impact" | "compare_periods" | "explain_change";

/** positive: a verdict of change (null scenarios: a false one) or a detection (power); "not tested": the tool declined to test. */
export type Outcome = "positive" | "negative" | "not tested";

export interface Scenario {
  id: string;
  tool: CalibratedTool;
  kind: "null" | "power";
  /** What is generated and asked, for the report. */
  label: string;
  /** The range the rate of positives must fall in (inclusive) for the scenario to pass. */
  band: readonly [number, number];
  /** The site, given today's date (site timezone UTC); domain, seed and now are filled in per run. */
  site(today: string): Omit<SyntheticSiteOptions, "domain" | "seed" | "now">;
  /** The tool's arguments, without site_id. */
  args(today: string): Record<string, unknown>;
  classify(structured: Record<string, unknown>, today: string): Outcome;
}

export const addDays = (date: string, days: number) =>
  new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

/** Nominal 5 %: a calibrated test's false-verdict rate over 300 series lands in 2–9 %. */
const NULL_BAND = [0.02, 0.09] as const;
/** explain_change: at most 5 % of quiet weeks flagged. */
const QUIET_BAND = [0, 0.05] as const;
/** Cases the old tools got badly wrong where a correct tool may also decline to test: at most 9 %. */
const EDGE_BAND = [0, 0.09] as const;
const POWER_BAND = [0.8, 1] as const;

/** Enough history for the tools' placebo windows (26 weeks before a 4-week comparison), and no more: every day costs. */
const HISTORY_DAYS = 240;
/** Day-to-day noise of the null scenarios: 10 % (sd of the log of the daily level). */
const NULL_SIGMA = 0.1;

type VerdictWord = "increase" | "decrease" | "no detectable change" | "not tested";

function verdictOutcome(verdict: unknown, wanted?: "increase" | "decrease"): Outcome {
  if (verdict === "not tested") return "not tested";
  if (verdict === "increase" || verdict === "decrease") return wanted === undefined || verdict === wanted ? "positive" : "negative";
  return "negative";
}

/** measure_impact: the verdict of `metric`. */
function impactVerdict(metric: string, wanted?: "increase" | "decrease") {
  return (structured: Record<string, unknown>): Outcome => {
    const results = (structured.results ?? []) as Array<{ metric: string; verdict: VerdictWord }>;
    return verdictOutcome(results.find((result) => result.metric === metric)?.verdict, wanted);
  };
}

/** compare_periods: its verdict word where it gives one, else `significant` with the sign of the change. */
function periodsVerdict(metric: string, wanted?: "increase" | "decrease") {
  return (structured: Record<string, unknown>): Outcome => {
    const significance = (structured.significance ?? {}) as Record<
      string,
      { verdict?: VerdictWord; significant?: boolean; p_value?: number | null } | undefined
    >;
    const entry = significance[metric];
    if (!entry) return "not tested";
    if (entry.verdict !== undefined) return verdictOutcome(entry.verdict, wanted);
    if (entry.p_value === null || entry.p_value === undefined) return "not tested";
    if (!entry.significant) return "negative";
    const change = ((structured.change ?? {}) as Record<string, { absolute: number | null }>)[metric]?.absolute ?? 0;
    return verdictOutcome(change >= 0 ? "increase" : "decrease", wanted);
  };
}

interface ExplainDay {
  date: string;
  flagged: boolean;
}

/** explain_change: a quiet week is "flagged" when any day is flagged or any segment anomaly is listed. */
function anythingFlagged(structured: Record<string, unknown>): Outcome {
  const days = (structured.days ?? []) as ExplainDay[];
  const anomalies = (structured.anomalies ?? []) as unknown[];
  return days.some((day) => day.flagged) || anomalies.length > 0 ? "positive" : "negative";
}

/** explain_change finds a spike of `value` on `date`: a segment anomaly naming it, or that day flagged. */
function spikeFound(value: string, daysAgo: number) {
  return (structured: Record<string, unknown>, today: string): Outcome => {
    const date = addDays(today, -daysAgo);
    const anomalies = (structured.anomalies ?? []) as unknown[];
    const named = anomalies.some((anomaly) => JSON.stringify(anomaly).includes(value));
    const days = (structured.days ?? []) as ExplainDay[];
    return named || days.some((day) => day.date === date && day.flagged) ? "positive" : "negative";
  };
}

const history = (today: string) => addDays(today, -HISTORY_DAYS);
const LEVELS = [500, 5000, 50_000] as const;
const RHOS = [0, 0.5, 0.9] as const;
const WEEKLY = [true, false] as const;

/** The 18 null traffic shapes: weekday pattern on/off × AR(1) ρ 0, 0.5, 0.9 × 500, 5,000, 50,000 visitors a day. */
const NULL_SHAPES = WEEKLY.flatMap((weekly) =>
  RHOS.flatMap((rho) =>
    LEVELS.map((level) => ({
      key: `${weekly ? "weekly" : "flat"}/rho${rho}/${level}`,
      text:
        `${level.toLocaleString("en-US")}/day, ${weekly ? "weekday pattern" : "no weekday pattern"}, ρ ` +
        `${rho}, noise ${NULL_SIGMA * 100} %`,
      site: (today: string) => ({ level, weekly, rho, sigma: NULL_SIGMA, firstDay: history(today) }),
    })),
  ),
);

/** measure_impact's event: 16 days ago, so 14 full days follow it before yesterday. */
const EVENT_DAYS_AGO = 16;
const impactArgs =
  (extra: Record<string, unknown> = {}) =>
  (today: string) => ({
    event: addDays(today, -EVENT_DAYS_AGO),
    window_days: 14,
    ...extra,
  });
const periodsArgs =
  (extra: Record<string, unknown> = {}) =>
  (today: string) => ({
    current: [addDays(today, -14), addDays(today, -1)],
    previous: [addDays(today, -28), addDays(today, -15)],
    ...extra,
  });
const explainArgs = (today: string) => ({ period: [addDays(today, -7), addDays(today, -1)] });

const rateSite = (level: number, extra: Partial<SyntheticSiteOptions>) => (today: string) => ({
  level,
  weekly: true,
  sigma: NULL_SIGMA,
  firstDay: history(today),
  ...extra,
});

export const SCENARIOS: readonly Scenario[] = [
  ...NULL_SHAPES.map((shape): Scenario => ({
    id: `measure_impact/null/${shape.key}`,
    tool: "measure_impact",
    kind: "null",
    label: `visitors, ${shape.text}`,
    band: NULL_BAND,
    site: shape.site,
    args: impactArgs({ metrics: ["visitors"] }),
    classify: impactVerdict("visitors"),
  })),
  ...NULL_SHAPES.map((shape): Scenario => ({
    id: `compare_periods/null/${shape.key}`,
    tool: "compare_periods",
    kind: "null",
    label: `visitors, 14 vs 14 days, ${shape.text}`,
    band: NULL_BAND,
    site: shape.site,
    args: periodsArgs({ metrics: ["visitors"] }),
    classify: periodsVerdict("visitors"),
  })),
  ...NULL_SHAPES.map((shape): Scenario => ({
    id: `explain_change/null/${shape.key}`,
    tool: "explain_change",
    kind: "null",
    label: `quiet week flagged (a day or a segment), ${shape.text}`,
    band: QUIET_BAND,
    site: shape.site,
    args: explainArgs,
    classify: anythingFlagged,
  })),
  {
    id: "measure_impact/null/conversion_rate/10000",
    tool: "measure_impact",
    kind: "null",
    label: "conversion_rate 3 % with ±10 % daily wobble, 10,000/day",
    band: NULL_BAND,
    site: rateSite(10_000, { conversionRate: 0.03, conversionWobble: 0.1 }),
    args: impactArgs({ metrics: ["conversion_rate"], goal: "Signup" }),
    classify: impactVerdict("conversion_rate"),
  },
  {
    id: "measure_impact/null/conversion_rate/100000",
    tool: "measure_impact",
    kind: "null",
    label: "conversion_rate 3 % with ±10 % daily wobble, 100,000/day",
    band: NULL_BAND,
    site: rateSite(100_000, { conversionRate: 0.03, conversionWobble: 0.1 }),
    args: impactArgs({ metrics: ["conversion_rate"], goal: "Signup" }),
    classify: impactVerdict("conversion_rate"),
  },
  {
    id: "measure_impact/null/bounce_rate/50000",
    tool: "measure_impact",
    kind: "null",
    label: "bounce_rate 45 % with ±5 % daily wobble, 50,000/day",
    band: NULL_BAND,
    site: rateSite(50_000, { bounceRate: 0.45, bounceWobble: 0.05 }),
    args: impactArgs({ metrics: ["bounce_rate"] }),
    classify: impactVerdict("bounce_rate"),
  },
  {
    id: "measure_impact/null/bounce_rate/page/5000",
    tool: "measure_impact",
    kind: "null",
    label: "bounce_rate of /pricing (entries), ±5 % daily wobble, 5,000/day",
    band: NULL_BAND,
    site: rateSite(5000, { bounceRate: 0.45, bounceWobble: 0.05 }),
    args: impactArgs({ metrics: ["bounce_rate"], page: "/pricing" }),
    classify: impactVerdict("bounce_rate"),
  },
  {
    id: "measure_impact/null/young-site",
    tool: "measure_impact",
    kind: "null",
    label: "visitors, flat 5,000/day, data starting 5 days before the event",
    band: EDGE_BAND,
    site: (today) => ({ level: 5000, weekly: false, sigma: 0.05, firstDay: addDays(today, -EVENT_DAYS_AGO - 5) }),
    args: impactArgs({ metrics: ["visitors"] }),
    classify: impactVerdict("visitors"),
  },
  {
    id: "compare_periods/null/conversion_rate/10000",
    tool: "compare_periods",
    kind: "null",
    label: "conversion_rate 3 % with ±10 % daily wobble, 10,000/day, 14 vs 14 days",
    band: NULL_BAND,
    site: rateSite(10_000, { conversionRate: 0.03, conversionWobble: 0.1 }),
    args: periodsArgs({ metrics: ["conversion_rate"], goal: "Signup" }),
    classify: periodsVerdict("conversion_rate"),
  },
  {
    id: "compare_periods/null/bounce_rate/50000",
    tool: "compare_periods",
    kind: "null",
    label: "bounce_rate 45 % with ±5 % daily wobble, 50,000/day, 14 vs 14 days",
    band: NULL_BAND,
    site: rateSite(50_000, { bounceRate: 0.45, bounceWobble: 0.05 }),
    args: periodsArgs({ metrics: ["bounce_rate"] }),
    classify: periodsVerdict("bounce_rate"),
  },
  {
    id: "compare_periods/null/month-to-date",
    tool: "compare_periods",
    kind: "null",
    label: 'visitors, current "month" (mid-month) vs the whole previous month, 5,000/day',
    band: EDGE_BAND,
    site: rateSite(5000, {}),
    args: (today) => {
      const firstOfMonth = `${today.slice(0, 8)}01`;
      return {
        current: "month",
        previous: [`${addDays(firstOfMonth, -1).slice(0, 8)}01`, addDays(firstOfMonth, -1)],
        metrics: ["visitors"],
      };
    },
    classify: periodsVerdict("visitors"),
  },
  {
    id: "measure_impact/power/step+10%",
    tool: "measure_impact",
    kind: "power",
    label: "+10 % step at the event, 5,000/day, weekday pattern, 5 % noise: verdict increase",
    band: POWER_BAND,
    site: (today) => ({
      level: 5000,
      weekly: true,
      sigma: 0.05,
      firstDay: history(today),
      effects: [{ kind: "step", from: addDays(today, -EVENT_DAYS_AGO), factor: 1.1 }],
    }),
    args: impactArgs({ metrics: ["visitors"] }),
    classify: impactVerdict("visitors", "increase"),
  },
  {
    id: "explain_change/power/spike×5",
    tool: "explain_change",
    kind: "power",
    label: "Hacker News (3 % of visits) ×5 on one day, 5,000/day, weekday pattern, 10 % noise: found",
    band: POWER_BAND,
    site: (today) => ({
      level: 5000,
      weekly: true,
      sigma: NULL_SIGMA,
      firstDay: history(today),
      effects: [{ kind: "spike", date: addDays(today, -3), dimension: "visit:source", value: "Hacker News", factor: 5 }],
    }),
    args: explainArgs,
    classify: spikeFound("Hacker News", 3),
  },
];
