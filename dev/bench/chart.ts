// bench/latency.svg: p50 and p95 latency of every run and phase as horizontal bars on a log
// scale (cached calls take milliseconds, uncached ones Plausible's 100 ms and more).

import type { PhaseResult } from "./measure.ts";
import type { BenchResults } from "./report.ts";

const ROW_HEIGHT = 22;
const LABEL_WIDTH = 300;
const PLOT_WIDTH = 560;
const TOP = 50;
const BOTTOM = 40;
const MIN_MS = 1;

const escapeXml = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

interface Row {
  label: string;
  phase: PhaseResult;
}

function rows(results: BenchResults): Row[] {
  return results.runs.flatMap((run): Row[] => {
    if (run.kind === "load") {
      const client = run.client.includes("v2") ? " v2" : "";
      return run.phases.map((phase) => ({
        label: `${run.endpoint}${client} ${run.simulatorLatencyMs} ms c=${run.concurrency} ${phase.phase}`,
        phase,
      }));
    }
    return [run.session.first, run.session.repeated, run.comparison.single, run.comparison.compare].map((phase) => ({
      label: `${phase.phase} (${run.simulatorLatencyMs} ms)`,
      phase,
    }));
  });
}

export function latencyChart(results: BenchResults): string {
  const data = rows(results);
  const maxMs = Math.max(MIN_MS * 10, ...data.map((row) => row.phase.latencyMs.p95));
  const decades = Math.ceil(Math.log10(maxMs / MIN_MS));
  const x = (ms: number) => LABEL_WIDTH + (Math.log10(Math.max(ms, MIN_MS) / MIN_MS) / decades) * PLOT_WIDTH;
  const height = TOP + data.length * ROW_HEIGHT + BOTTOM;
  const width = LABEL_WIDTH + PLOT_WIDTH + 130;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ` +
      `${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="10" y="20" font-size="14" font-weight="bold">Tool call latency (ms, log scale), ${escapeXml(results.date)}</text>`,
    `<rect x="${LABEL_WIDTH}" y="28" width="12" height="10" fill="#4878d0"/><text x="${LABEL_WIDTH + 16}" y="37">p50</text>`,
    `<rect x="${LABEL_WIDTH + 60}" y="28" width="12" height="10" fill="#ee854a"/><text x="${LABEL_WIDTH + 76}" y="37">p95</text>`,
  ];
  for (let decade = 0; decade <= decades; decade += 1) {
    const ms = MIN_MS * 10 ** decade;
    const gx = x(ms).toFixed(1);
    parts.push(
      `<line x1="${gx}" y1="${TOP - 4}" x2="${gx}" y2="${TOP + data.length * ROW_HEIGHT}" stroke="#ddd"/>`,
      `<text x="${gx}" y="${TOP + data.length * ROW_HEIGHT + 16}" text-anchor="middle">${ms}</text>`,
    );
  }
  data.forEach(({ label, phase }, index) => {
    const y = TOP + index * ROW_HEIGHT;
    const p50 = x(phase.latencyMs.p50) - LABEL_WIDTH;
    const p95 = x(phase.latencyMs.p95) - LABEL_WIDTH;
    parts.push(
      `<text x="${LABEL_WIDTH - 6}" y="${y + 15}" text-anchor="end">${escapeXml(label)}</text>`,
      `<rect x="${LABEL_WIDTH}" y="${y + 3}" width="${Math.max(1, p95).toFixed(1)}" height="16" fill="#ee854a"/>`,
      `<rect x="${LABEL_WIDTH}" y="${y + 3}" width="${Math.max(1, p50).toFixed(1)}" height="16" fill="#4878d0"/>`,
      `<text x="${(LABEL_WIDTH + Math.max(p95, 1) + 4).toFixed(1)}" y="${y + 15}" ` +
        `fill="#444">${phase.latencyMs.p50} / ${phase.latencyMs.p95}</text>`,
    );
  });
  parts.push("</svg>");
  return `${parts.join("\n")}\n`;
}
