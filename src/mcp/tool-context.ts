import { currentCallAttribution, recordPlausibleUsage } from "../observability/tool-call";
import type { ToolContext } from "../tools";
import { readAgentPlacement, readMaxResultChars } from "../shared/config";
import { sha256Hex } from "../shared/hash";
import { usageAgentName } from "../agent/usage-agent";
import { fromFailure, type UsageOutcome } from "../agent/usage-outcome";

/** Who is calling: a bearer API key (/mcp, /sse) or a signed-in user on the shared key (/internal). */
export type Caller = { scope: "key"; apiKey: string } | { scope: "user"; sub: string };

/** The tools' view of Plausible for one caller: every request goes through that caller's usage agent. */
export async function toolContextFor(env: Env, caller: Caller): Promise<ToolContext> {
  const name = usageAgentName(caller.scope, await sha256Hex(caller.scope === "key" ? caller.apiKey : caller.sub));
  const apiKey = caller.scope === "key" ? caller.apiKey : undefined;
  const settings = env as unknown as Record<string, unknown>;
  return {
    defaultSiteId: env.PLAUSIBLE_DEFAULT_SITE_ID || undefined,
    maxResultChars: readMaxResultChars(settings),
    async plausible(requests) {
      // One Durable Object round trip per call: the agent reads its name from ctx.id.name and starts
      // itself on its first RPC, so agents' getAgentByName (a start-up RPC before every call) is not needed.
      const outcome = (await env.USAGE.getByName(name, readAgentPlacement(settings)).runAsJson(
        requests,
        apiKey,
        currentCallAttribution(),
      )) as UsageOutcome<string>;
      recordPlausibleUsage(requests.length, outcome);
      if (outcome.ok) return outcome.answers.map((answer) => JSON.parse(answer) as unknown);
      throw fromFailure(outcome.failure);
    },
  };
}
