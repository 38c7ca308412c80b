import { currentCallAttribution, recordPlausibleUsage } from "../observability/tool-call";
import type { ToolContext } from "../tools";
import type { TeamMemory } from "../tools";
import { memoryStoreName } from "../agent/memory-store";
import { storedTeamMemory } from "./team-memory-store";
import { readAdminSettings, readAgentPlacement, readMaxResultChars, readPlausibleSettings } from "../config";
import { sha256Hex } from "../shared/hash";
import { usageAgentName } from "../agent/usage-agent";
import { fromFailure, parseAnswers } from "../agent/usage-outcome";
import { storedDigestSubscriptions } from "./digest-subscriptions-store";

/** Who is calling: a bearer API key (/mcp, /sse, /connect) or a signed-in member on the shared key (/internal). */
export type Caller = { scope: "key"; apiKey: string } | { scope: "user"; sub: string; email: string };

/**
 * The team memory a caller reads and writes: the team's on /internal, acting as the member (an
 * administrator when ADMIN_EMAILS names them); the key's own elsewhere, found by the key's digest.
 */
function memoryFor(env: Env, caller: Caller, digest: string): TeamMemory {
  if (caller.scope === "key")
    return storedTeamMemory(env.MEMORY.getByName(memoryStoreName({ kind: "key", keyDigest: digest })), { kind: "holder" });
  const email = caller.email.toLowerCase();
  return storedTeamMemory(env.MEMORY.getByName(memoryStoreName({ kind: "team" })), {
    kind: "member",
    email,
    admin: readAdminSettings(env).emails.has(email),
  });
}

/** The tools' view of Plausible for one caller: every request goes through that caller's usage agent. */
export async function toolContextFor(env: Env, caller: Caller): Promise<ToolContext> {
  const digest = await sha256Hex(caller.scope === "key" ? caller.apiKey : caller.sub);
  const name = usageAgentName(caller.scope, digest);
  const apiKey = caller.scope === "key" ? caller.apiKey : undefined;
  return {
    defaultSiteId: readPlausibleSettings(env).defaultSiteId,
    maxResultChars: readMaxResultChars(env),
    memory: memoryFor(env, caller, digest),
    subscriptions: storedDigestSubscriptions(
      env,
      caller.scope === "key"
        ? { kind: "key", apiKey: caller.apiKey }
        : { kind: "member", sub: caller.sub, email: caller.email.toLowerCase() },
      digest,
    ),
    async plausible(requests) {
      // One Durable Object round trip per call: the agent reads its name from ctx.id.name and starts
      // itself on its first RPC, so agents' getAgentByName (a start-up RPC before every call) is not needed.
      const outcome = parseAnswers(
        await env.USAGE.getByName(name, readAgentPlacement(env)).runAsJson(requests, apiKey, currentCallAttribution()),
      );
      recordPlausibleUsage(requests.length, outcome);
      if (outcome.ok) return outcome.answers;
      throw fromFailure(outcome.failure);
    },
  };
}
