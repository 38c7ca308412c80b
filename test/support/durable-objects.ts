import type { PlausibleRequest } from "../../src/plausible";
import { parseAnswers, type UsageOutcome } from "../../src/agent/usage-outcome";

/** Right after destroy() the old instance is still aborting ("destroyed"); the next request reaches a fresh one. */
export async function retryWhileDestroying<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await call();
    } catch (error) {
      if (attempt >= 5 || !String(error).includes("destroyed")) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

/** A usage agent (its stub, or the instance inside runInDurableObject), as far as these helpers call it. */
interface UsageAgentLike {
  runAsJson(requests: PlausibleRequest[], apiKey?: string): Promise<UsageOutcome<string>>;
}

/** Runs requests through a usage agent and reads its answers as the worker does (src/mcp/tool-context.ts). */
export async function runParsed(agent: UsageAgentLike, requests: PlausibleRequest[], apiKey?: string): Promise<UsageOutcome> {
  return parseAnswers(await agent.runAsJson(requests, apiKey));
}
