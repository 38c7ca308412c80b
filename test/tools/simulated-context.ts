import { afterAll, beforeAll, vi } from "vitest";
import { startSimulator, type SimulatorHandle } from "../../dev/plausible-simulator/server.ts";
import { inMemoryTeamMemory } from "../../dev/plausible-simulator/team-memory.ts";
import { DEFAULT_MAX_RESULT_CHARS } from "../../src/config";
import { PlausibleClient } from "../../src/plausible";
import type { ToolContext } from "../../src/tools";

/**
 * A ToolContext on the Plausible simulator's dataset of `seed`, for every test of the file, with Date
 * frozen at `now`: started before the first test, stopped after the last. Node only: the simulator is
 * an HTTP server. Its team memory is held in memory.
 */
export function useSimulatedContext(now: number, seed: number): { readonly context: ToolContext } {
  let simulator: SimulatorHandle | undefined;
  const holder = {} as { context: ToolContext };
  beforeAll(async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(now);
    simulator = await startSimulator({ now, seed, hourlyLimit: 1_000_000, log: () => {} });
    const client = new PlausibleClient({ baseUrl: new URL(`${simulator.url}/`), apiKey: "demo-key" });
    holder.context = {
      maxResultChars: DEFAULT_MAX_RESULT_CHARS,
      memory: inMemoryTeamMemory(),
      plausible: (requests) => Promise.all(requests.map((request) => client.execute(request))),
    };
  });
  afterAll(async () => {
    vi.useRealTimers();
    await simulator?.close();
  });
  return holder;
}
