// Drives connected MCP clients through a list of tool calls: each client takes the next call
// as soon as its previous one answered, so `clients.length` calls are in flight at a time.

import type { E2eClient } from "../clients/mcp-clients.ts";
import { textOf } from "../clients/mcp-clients.ts";
import type { ToolCall } from "./workload.ts";

export interface LoadResult {
  /** Milliseconds per call, in completion order. */
  latenciesMs: number[];
  durationMs: number;
  errors: number;
  /** The first few error texts, to tell a refusal from a failure. */
  errorSamples: string[];
}

const ERROR_SAMPLES = 3;

export async function runCalls(clients: readonly E2eClient[], calls: readonly ToolCall[]): Promise<LoadResult> {
  const latenciesMs: number[] = [];
  const errorSamples: string[] = [];
  let errors = 0;
  let next = 0;
  const noteError = (text: string) => {
    errors += 1;
    if (errorSamples.length < ERROR_SAMPLES) errorSamples.push(text.slice(0, 300));
  };
  const started = performance.now();
  await Promise.all(
    clients.map(async (client) => {
      while (next < calls.length) {
        const call = calls[next++]!;
        const before = performance.now();
        try {
          const result = await client.callTool(call);
          if (result.isError) noteError(`${call.name}: ${textOf(result)}`);
        } catch (error) {
          noteError(`${call.name}: ${(error as Error).message}`);
        }
        latenciesMs.push(performance.now() - before);
      }
    }),
  );
  return { latenciesMs, durationMs: performance.now() - started, errors, errorSamples };
}

/** The value below which `fraction` of the samples fall (nearest rank). */
export function percentile(samples: readonly number[], fraction: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1))]!;
}
