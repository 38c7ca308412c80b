import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startDemoStack, type DemoStack } from "../../../dev/demo/stack.ts";
import type { SimulatorOptions, SimulatorStats } from "../../../dev/plausible-simulator/server.ts";

export type { DemoStack } from "../../../dev/demo/stack.ts";

/**
 * A demo stack on free ports with its own, fresh persisted state. Set E2E_VERBOSE=1 to see
 * wrangler's and the worker's output. `simulator` adds simulator options (e.g. more keys); `vars`
 * adds or overrides worker variables (e.g. ACCESS_TOKEN_TTL_SECONDS).
 */
export async function startE2eStack(
  simulator: Omit<SimulatorOptions, "port" | "host"> = {},
  vars: Record<string, string> = {},
): Promise<DemoStack> {
  const persistTo = mkdtempSync(join(tmpdir(), "plausible-mcp-e2e-"));
  const stack = await startDemoStack({
    persistTo,
    simulator,
    // Room for every call a test file makes on one key or user; limits have their own unit tests.
    vars: { RATE_LIMIT_BURST: "500", RATE_LIMIT_PER_MINUTE: "500", PLAUSIBLE_USER_HOURLY_LIMIT: "600", ...vars },
    onWorkerOutput: process.env.E2E_VERBOSE ? (line) => process.stderr.write(`[worker] ${line}\n`) : undefined,
  });
  const stop = stack.stop;
  return {
    ...stack,
    async stop() {
      await stop();
      rmSync(persistTo, { recursive: true, force: true });
    },
  };
}

/** Plausible API requests the simulator has answered, over HTTP as any client would read them. */
export async function simulatorRequests(stack: DemoStack): Promise<number> {
  const response = await fetch(`${stack.urls.simulator}/__sim/stats`);
  return ((await response.json()) as SimulatorStats).total;
}
