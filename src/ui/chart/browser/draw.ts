import type { BarsModel, ChartModel, LineModel, PairsModel } from "../model";

// SVG by hand, every text through textContent (page paths and goal names are data, never markup).

const SVG = "http://www.w3.org/2000/svg";
const PLOT_MAX_HEIGHT = 360;

type Attributes = Record<string, string | number>;

function svgElement(name: string, attributes: Attributes = {}, text?: string): SVGElement {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

export function htmlElement(name: string, attributes: Attributes = {}, text?: string): HTMLElement {
  const node = document.createElement(name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

const formatter = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });
const format = (value: number | null | undefined): string =>
  value === null || value === undefined || Number.isNaN(value) ? "–" : formatter.format(value);

/** A round axis maximum and its ticks: 0, step, 2·step, … */
function ticksFor(max: number): { top: number; ticks: number[] } {
  if (!(max > 0)) return { top: 1, ticks: [0, 1] };
  const rough = max / 4;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 2.5, 5, 10].map((factor) => factor * power).find((candidate) => candidate >= rough)!;
  const top = Math.ceil(max / step) * step;
  const ticks: number[] = [];
  for (let tick = 0; tick <= top + step / 2; tick += step) ticks.push(tick);
  return { top, ticks };
}

const present = (values: readonly (number | null)[]): number[] => values.filter((value): value is number => value !== null);

export const seriesColor = (index: number, expected?: boolean): string =>
  expected ? "var(--chart-previous)" : `var(--chart-series-${index % 4})`;
export const pairColor = (index: number): string => (index === 0 ? "var(--chart-previous)" : "var(--chart-series-0)");

function drawLine(model: LineModel, width: number): SVGElement {
  const height = Math.min(PLOT_MAX_HEIGHT, Math.max(200, Math.round(width * 0.45)));
  const margin = { top: 10, right: 36, bottom: 48, left: 64 };
  const plotWidth = width - margin.left - margin.right;
  const plotHeight = height - margin.top - margin.bottom;
  const count = model.labels.length;
  const max = Math.max(0, ...model.series.flatMap((series) => present(series.values)));
  const { top, ticks } = ticksFor(max);
  const x = (index: number) => margin.left + (count <= 1 ? plotWidth / 2 : (index / (count - 1)) * plotWidth);
  const y = (value: number) => margin.top + plotHeight - (value / top) * plotHeight;
  const svg = svgElement("svg", { viewBox: `0 0 ${width} ${height}`, height, role: "img", "aria-label": model.title });

  const step = count <= 1 ? plotWidth : plotWidth / (count - 1);
  for (const index of model.flagged)
    svg.append(
      svgElement("rect", {
        class: "flag",
        x: x(index) - step / 2,
        y: margin.top,
        width: step,
        height: plotHeight,
        "data-flagged": model.labels[index]!,
      }),
    );
  for (const tick of ticks) {
    svg.append(svgElement("line", { class: "grid", x1: margin.left, x2: width - margin.right, y1: y(tick), y2: y(tick) }));
    svg.append(svgElement("text", { x: margin.left - 6, y: y(tick) + 4, "text-anchor": "end" }, format(tick)));
  }
  // Labels about 90 px apart, always the last one, never two on top of each other.
  const every = Math.max(1, Math.ceil(count / Math.max(2, Math.floor(plotWidth / 90))));
  const labelled = model.labels.map((_, index) => index).filter((index) => index % every === 0);
  const lastLabelled = labelled.at(-1);
  if (lastLabelled !== undefined && lastLabelled !== count - 1) {
    if (count - 1 - lastLabelled < every * 0.7) labelled.pop();
    labelled.push(count - 1);
  }
  for (const index of labelled) {
    const label = model.labels[index]!.replace(/^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}).*$/, "$1 $2");
    svg.append(svgElement("text", { class: "x-label", x: x(index), y: margin.top + plotHeight + 16, "text-anchor": "middle" }, label));
  }
  svg.append(
    svgElement("text", { class: "axis-title", x: margin.left + plotWidth / 2, y: height - 6, "text-anchor": "middle" }, model.xTitle),
  );
  svg.append(
    svgElement(
      "text",
      {
        class: "axis-title",
        x: 12,
        y: margin.top + plotHeight / 2,
        "text-anchor": "middle",
        transform: `rotate(-90 12 ${margin.top + plotHeight / 2})`,
      },
      model.yTitle,
    ),
  );

  model.series.forEach((series, seriesIndex) => {
    const color = seriesColor(seriesIndex, series.expected);
    // A gap where a rate has no value, rather than a drop to zero.
    let path = "";
    let pen = "M";
    series.values.forEach((value, index) => {
      if (value === null) {
        pen = "M";
        return;
      }
      path += `${pen}${x(index).toFixed(1)},${y(value).toFixed(1)}`;
      pen = "L";
    });
    svg.append(
      svgElement("path", { class: `line${series.expected ? " expected" : ""}`, d: path, stroke: color, "data-series": series.name }),
    );
    const points = svgElement("g", { class: "points", "data-series": series.name });
    series.values.forEach((value, index) => {
      if (value === null) return;
      const point = svgElement("circle", {
        class: "point",
        cx: x(index),
        cy: y(value),
        r: count > 60 ? 1.5 : 3,
        fill: color,
        "data-label": model.labels[index]!,
        "data-value": value,
      });
      point.append(svgElement("title", {}, `${model.labels[index]}: ${series.name} ${format(value)}`));
      points.append(point);
    });
    svg.append(points);
  });
  return svg;
}

function drawBars(model: BarsModel, width: number): { svg: SVGElement; note?: string } {
  const count = model.labels.length;
  const rowHeight = Math.max(4, Math.min(26, Math.floor(PLOT_MAX_HEIGHT / Math.max(1, count))));
  const shown = Math.min(count, Math.floor(PLOT_MAX_HEIGHT / rowHeight));
  const labelWidth = Math.min(220, Math.round(width * 0.35));
  const margin = { top: 4, right: 56, bottom: 36, left: labelWidth + 8 };
  const plotWidth = width - margin.left - margin.right;
  const height = margin.top + shown * rowHeight + margin.bottom;
  const max = Math.max(0, ...present(model.values.slice(0, shown)));
  const { top, ticks } = ticksFor(max);
  const x = (value: number) => margin.left + (value / top) * plotWidth;
  const svg = svgElement("svg", { viewBox: `0 0 ${width} ${height}`, height, role: "img", "aria-label": model.title });
  for (const tick of ticks) {
    svg.append(svgElement("line", { class: "grid", x1: x(tick), x2: x(tick), y1: margin.top, y2: margin.top + shown * rowHeight }));
    svg.append(svgElement("text", { x: x(tick), y: margin.top + shown * rowHeight + 14, "text-anchor": "middle" }, format(tick)));
  }
  svg.append(
    svgElement("text", { class: "axis-title", x: margin.left + plotWidth / 2, y: height - 4, "text-anchor": "middle" }, model.xTitle),
  );
  for (let index = 0; index < shown; index += 1) {
    const label = model.labels[index]!;
    const value = model.values[index] ?? 0;
    const y = margin.top + index * rowHeight;
    const bar = svgElement("rect", {
      class: "bar",
      x: margin.left,
      y: y + rowHeight * 0.15,
      width: Math.max(1, x(value) - margin.left),
      height: rowHeight * 0.7,
      rx: 2,
      fill: "var(--chart-series-0)",
      "data-label": label,
      "data-value": value,
    });
    bar.append(svgElement("title", {}, `${label}: ${format(model.values[index])}`));
    svg.append(bar);
    if (rowHeight >= 12) {
      const short = label.length > labelWidth / 6.5 ? `${label.slice(0, Math.floor(labelWidth / 6.5) - 1)}…` : label;
      svg.append(svgElement("text", { class: "bar-label", x: margin.left - 6, y: y + rowHeight / 2 + 4, "text-anchor": "end" }, short));
      svg.append(svgElement("text", { x: x(value) + 4, y: y + rowHeight / 2 + 4 }, format(model.values[index])));
    }
  }
  if (shown < count) svg.dataset.shown = String(shown);
  return { svg, note: shown < count ? `The first ${shown} of ${count} rows are drawn; the table holds all.` : undefined };
}

function drawPairs(model: PairsModel, width: number): SVGElement {
  const groupHeight = 44;
  const labelWidth = Math.min(200, Math.round(width * 0.3));
  const margin = { top: 4, right: 110, bottom: 8, left: labelWidth + 8 };
  const plotWidth = width - margin.left - margin.right;
  const groups = model.groups.slice(0, Math.floor(PLOT_MAX_HEIGHT / groupHeight));
  const height = margin.top + groups.length * groupHeight + margin.bottom;
  const svg = svgElement("svg", { viewBox: `0 0 ${width} ${height}`, height, role: "img", "aria-label": model.title });
  groups.forEach((group, groupIndex) => {
    const y = margin.top + groupIndex * groupHeight;
    const max = Math.max(0, ...present(group.values)) || 1;
    svg.append(
      svgElement("text", { class: "bar-label", x: margin.left - 6, y: y + groupHeight / 2 + 2, "text-anchor": "end" }, group.label),
    );
    group.values.forEach((value, index) => {
      const barY = y + 4 + index * 17;
      const barWidth = Math.max(1, ((value ?? 0) / max) * plotWidth);
      const bar = svgElement("rect", {
        class: "bar",
        x: margin.left,
        y: barY,
        width: barWidth,
        height: 14,
        rx: 2,
        fill: pairColor(index),
        "data-label": `${group.label} ${model.names[index]}`,
        "data-value": value ?? "",
      });
      bar.append(svgElement("title", {}, `${group.label}, ${model.names[index]}: ${format(value)}`));
      svg.append(bar);
      svg.append(svgElement("text", { x: margin.left + barWidth + 4, y: barY + 11 }, format(value)));
    });
    if (group.change !== null) {
      svg.append(
        svgElement(
          "text",
          { class: "axis-title", x: width - 4, y: y + groupHeight / 2 + 2, "text-anchor": "end" },
          `${group.change > 0 ? "+" : ""}${format(group.change)} %`,
        ),
      );
    }
  });
  return svg;
}

/** The chart's figure: the drawing and, when not every row fits, a note saying so. */
export function drawChart(model: ChartModel, width: number): { svg: SVGElement; note?: string } {
  if (model.kind === "line") return { svg: drawLine(model, width) };
  if (model.kind === "pairs") return { svg: drawPairs(model, width) };
  return drawBars(model, width);
}

/** The same numbers as a table, for screen readers. */
export function numbersTable(model: ChartModel): HTMLElement {
  const table = htmlElement("table", { class: "visually-hidden" });
  table.append(htmlElement("caption", {}, model.title));
  let headers: string[];
  let rows: string[][];
  if (model.kind === "line") {
    const unusual = model.flagged.length > 0;
    headers = [model.xTitle, ...model.series.map((series) => series.name), ...(unusual ? ["unusual"] : [])];
    rows = model.labels.map((label, index) => [
      label,
      ...model.series.map((series) => format(series.values[index])),
      ...(unusual ? [model.flagged.includes(index) ? "yes" : ""] : []),
    ]);
  } else if (model.kind === "bars") {
    headers = ["", model.xTitle];
    rows = model.labels.map((label, index) => [label, format(model.values[index])]);
  } else {
    headers = ["metric", ...model.names, "change %"];
    rows = model.groups.map((group) => [group.label, ...group.values.map(format), format(group.change)]);
  }
  const head = htmlElement("tr");
  for (const header of headers) head.append(htmlElement("th", { scope: "col" }, header));
  const thead = htmlElement("thead");
  thead.append(head);
  table.append(thead);
  const body = htmlElement("tbody");
  for (const row of rows) {
    const line = htmlElement("tr");
    row.forEach((cell, index) => line.append(htmlElement(index === 0 ? "th" : "td", index === 0 ? { scope: "row" } : {}, cell)));
    body.append(line);
  }
  table.append(body);
  return table;
}
