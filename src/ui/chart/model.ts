import type { StructuredOutputs } from "../../tools";

/**
 * A chart tool's structured result as a chart model: a line over time, bars per row, or
 * pairs of bars per metric. Pure and typed against the tools' output schemas, so renaming an
 * output field fails the type check here instead of leaving the chart silently empty.
 */

/** The tools whose results the chart draws, in the order the resource's description names them. */
export const CHART_TOOLS = [
  "get_timeseries",
  "get_breakdown",
  "get_conversions",
  "compare_periods",
  "get_funnel",
  "measure_impact",
  "explain_change",
] as const satisfies readonly (keyof StructuredOutputs)[];
export type ChartTool = (typeof CHART_TOOLS)[number];

interface LineSeries {
  name: string;
  /** null where a rate has no value: drawn as a gap, not a drop to zero. */
  values: (number | null)[];
  /** Drawn dashed in the muted colour: what the days were expected to be. */
  expected?: boolean;
}

interface ModelBase {
  title: string;
  subtitle: string;
  /** Says that rows were left out to fit the result, when they were. */
  truncation?: string;
}

export interface LineModel extends ModelBase {
  kind: "line";
  xTitle: string;
  yTitle: string;
  labels: string[];
  series: LineSeries[];
  /** Indexes into labels of the days shaded as unusual. */
  flagged: number[];
}

export interface BarsModel extends ModelBase {
  kind: "bars";
  xTitle: string;
  labels: string[];
  values: (number | null)[];
}

interface PairGroup {
  label: string;
  values: [number | null, number | null];
  change: number | null;
}

export interface PairsModel extends ModelBase {
  kind: "pairs";
  names: [string, string];
  groups: PairGroup[];
}

export type ChartModel = LineModel | BarsModel | PairsModel;

type MetricValue = StructuredOutputs["get_timeseries"]["rows"][number]["metrics"][string];
type DateRange = StructuredOutputs["get_timeseries"]["date_range"];

/** A revenue metric carries its number in `value`; the others are the number. */
const numberOf = (value: MetricValue | undefined): number | null =>
  value !== null && typeof value === "object" ? value.value : (value ?? null);
const metricNames = (rows: readonly { metrics: Record<string, MetricValue> }[]): string[] => Object.keys(rows[0]?.metrics ?? {});
const rangeText = (range: DateRange | readonly string[] | undefined): string =>
  Array.isArray(range) ? `${range[0]} to ${range[1]}` : String(range ?? "");

interface Truncatable {
  truncated?: boolean;
  rows_shown?: number;
  rows_available?: number;
}
const truncationOf = (data: Truncatable): string | undefined =>
  data.truncated ? `Rows were left out to fit the result (${data.rows_shown} of ${data.rows_available}).` : undefined;

function timeseriesModel(data: StructuredOutputs["get_timeseries"]): LineModel {
  const metrics = metricNames(data.rows);
  return {
    kind: "line",
    title: `${data.site_id}: ${metrics.join(", ")} per ${data.interval}`,
    subtitle: rangeText(data.date_range_resolved ?? data.date_range),
    xTitle: data.interval,
    yTitle: metrics.length === 1 ? metrics[0]! : "count",
    labels: data.rows.map((row) => row.time),
    series: metrics.map((name) => ({ name, values: data.rows.map((row) => numberOf(row.metrics[name])) })),
    flagged: [],
    truncation: truncationOf(data),
  };
}

function explainChangeModel(data: StructuredOutputs["explain_change"]): LineModel {
  return {
    kind: "line",
    title: `${data.site_id}: ${data.metric} per day against the expected`,
    subtitle: `${rangeText(data.date_range_resolved)}; expected from ${rangeText(data.baseline_resolved)}; unusual days shaded`,
    xTitle: "day",
    yTitle: data.metric,
    labels: data.days.map((day) => day.date),
    series: [
      { name: "actual", values: data.days.map((day) => day.actual) },
      { name: "expected", values: data.days.map((day) => day.expected), expected: true },
    ],
    flagged: data.days.flatMap((day, index) => (day.flagged ? [index] : [])),
  };
}

function barsModel(
  title: string,
  subtitle: string,
  metric: string,
  rows: { label: string; value: number | null }[],
  truncation?: string,
): BarsModel {
  return {
    kind: "bars",
    title,
    subtitle,
    xTitle: metric,
    labels: rows.map((row) => row.label),
    values: rows.map((row) => row.value),
    truncation,
  };
}

function breakdownModel(data: StructuredOutputs["get_breakdown"]): BarsModel {
  const metric = metricNames(data.rows)[0] ?? "visitors";
  return barsModel(
    `${data.site_id}: ${metric} by ${data.dimension}`,
    rangeText(data.date_range_resolved ?? data.date_range),
    metric,
    data.rows.map((row) => ({ label: row.value === null ? "(none)" : String(row.value), value: numberOf(row.metrics[metric]) })),
    truncationOf(data),
  );
}

function conversionsModel(data: StructuredOutputs["get_conversions"]): BarsModel {
  return barsModel(
    `${data.site_id}: converting visitors per goal`,
    rangeText(data.date_range_resolved ?? data.date_range),
    "visitors",
    data.rows.map((row) => ({ label: row.page ? `${row.goal} · ${row.page}` : row.goal, value: numberOf(row.metrics.visitors) })),
    truncationOf(data),
  );
}

function funnelModel(data: StructuredOutputs["get_funnel"]): BarsModel {
  const drop = data.biggest_drop;
  return barsModel(
    `${data.site_id}: funnel`,
    `${rangeText(data.date_range_resolved ?? data.date_range)}; biggest drop ${drop.from} → ${drop.to}`,
    "visitors",
    data.steps.map((step) => ({ label: step.step, value: step.visitors })),
  );
}

function comparePeriodsModel(data: StructuredOutputs["compare_periods"]): PairsModel {
  const { current, previous } = data;
  const currentRange = rangeText(current.date_range_resolved ?? current.date_range);
  const previousRange = rangeText(previous.date_range_resolved ?? previous.date_range);
  return {
    kind: "pairs",
    title: `${data.site_id}: ${currentRange} against ${previousRange}`,
    subtitle: "each metric on its own scale",
    names: ["previous", "current"],
    groups: Object.keys(current.metrics).map((name) => ({
      label: data.significance[name]?.significant ? `${name} (significant)` : name,
      values: [numberOf(previous.metrics[name]), numberOf(current.metrics[name])],
      change: data.change[name]?.percent ?? null,
    })),
  };
}

function measureImpactModel(data: StructuredOutputs["measure_impact"]): PairsModel {
  return {
    kind: "pairs",
    title: `${data.site_id}: ${data.window_days} days before and after ${data.event}`,
    subtitle: `before ${rangeText(data.before)}, after ${rangeText(data.after)}; each metric on its own scale`,
    names: ["before", "after"],
    groups: data.results.map((result) => ({
      label: `${result.metric} (${result.verdict})`,
      values: [result.before, result.after],
      change: result.change_percent,
    })),
  };
}

const MODELS: { [Tool in ChartTool]: (data: StructuredOutputs[Tool]) => ChartModel } = {
  get_timeseries: timeseriesModel,
  get_breakdown: breakdownModel,
  get_conversions: conversionsModel,
  compare_periods: comparePeriodsModel,
  get_funnel: funnelModel,
  measure_impact: measureImpactModel,
  explain_change: explainChangeModel,
};

const isChartTool = (name: string | undefined): name is ChartTool => name !== undefined && Object.hasOwn(MODELS, name);

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === "object";

/** Which tool answered: the host names it; otherwise the result's shape tells. */
function toolOf(data: Record<string, unknown>, named: string | undefined): ChartTool | undefined {
  if (isChartTool(named)) return named;
  const rows = Array.isArray(data.rows) ? (data.rows as unknown[]) : undefined;
  if (rows && isObject(rows[0]) && "time" in rows[0]) return "get_timeseries";
  if (Array.isArray(data.days)) return "explain_change";
  if (Array.isArray(data.steps)) return "get_funnel";
  if (Array.isArray(data.results) && "window_days" in data) return "measure_impact";
  if (data.current && data.previous) return "compare_periods";
  if (rows && "dimension" in data) return "get_breakdown";
  if (rows) return "get_conversions";
  return undefined;
}

function modelFor<Tool extends ChartTool>(tool: Tool, data: StructuredOutputs[Tool]): ChartModel {
  return MODELS[tool](data);
}

/**
 * The chart of a tool's structured result, or undefined when it has nothing to draw.
 * `named` is the tool the host says was called. The structured content is taken as that
 * tool's output: the server validated it against the tool's output schema when it answered.
 */
export function chartOf(structured: object, named: string | undefined): { tool: ChartTool; model: ChartModel } | undefined {
  const tool = toolOf(structured as Record<string, unknown>, named);
  if (!tool) return undefined;
  return { tool, model: modelFor(tool, structured as unknown as StructuredOutputs[ChartTool]) };
}
