import { env } from "cloudflare:workers";
import { createExecutionContext, runInDurableObject } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { AGENT_LOCATION_HINTS, invalidSetting, readAgentPlacement } from "../../src/config";
import { sha256Hex } from "../../src/shared/hash";
import { usageAgentName, type UsageAgent } from "../../src/agent/usage-agent";
import { toolContextFor } from "../../src/mcp/tool-context";
import type { PlausibleRequest } from "../../src/plausible";
import worker from "../../src/worker";
import { BASE } from "../support/harness";
import { installFakePlausible, type FakePlausible } from "../support/fake-plausible";
import { onlySettings } from "../support/settings";
import { runParsed } from "../support/durable-objects";

// A Durable Object lives where it is first created. Usage agents and the shared-key guard sit on the
// path of every call to Plausible, so they are created next to Plausible, not next to the first caller.
const CLOUD = "https://plausible.io";
const COMMUNITY = "https://stats.example.com/";
const query: PlausibleRequest = { kind: "query", body: { site_id: "placement.example.com", metrics: ["visitors"], date_range: "7d" } };

let plausible: FakePlausible;
beforeEach(() => {
  plausible = installFakePlausible();
});
afterEach(() => {
  plausible.restore();
  vi.restoreAllMocks();
});

/** A namespace that records the options each stub is obtained with, and hands out the real stubs. */
function recording<T extends Rpc.DurableObjectBranded>(namespace: DurableObjectNamespace<T>) {
  const options: (DurableObjectNamespaceGetDurableObjectOptions | undefined)[] = [];
  const getByName = (name: string, option?: DurableObjectNamespaceGetDurableObjectOptions) => {
    options.push(option);
    return namespace.getByName(name, option);
  };
  return { namespace: { getByName } as unknown as DurableObjectNamespace<T>, options };
}

describe("where usage agents and the shared-key guard are created", () => {
  it("is western Europe for Plausible Cloud, the configured hint when set, else Cloudflare's default", () => {
    expect(readAgentPlacement(onlySettings())).toEqual({ locationHint: "weur" });
    expect(readAgentPlacement(onlySettings({ PLAUSIBLE_BASE_URL: CLOUD }))).toEqual({ locationHint: "weur" });
    expect(readAgentPlacement(onlySettings({ PLAUSIBLE_BASE_URL: `${CLOUD}/` }))).toEqual({ locationHint: "weur" });
    expect(readAgentPlacement(onlySettings({ PLAUSIBLE_BASE_URL: COMMUNITY }))).toEqual({});
    expect(readAgentPlacement(onlySettings({ PLAUSIBLE_BASE_URL: COMMUNITY, AGENT_LOCATION_HINT: " enam " }))).toEqual({
      locationHint: "enam",
    });
    expect(readAgentPlacement(onlySettings({ PLAUSIBLE_BASE_URL: CLOUD, AGENT_LOCATION_HINT: "apac" }))).toEqual({ locationHint: "apac" });
  });

  it("an unknown hint is a 503 naming AGENT_LOCATION_HINT, and the log lists the valid hints", async () => {
    const log = vi.spyOn(console, "error").mockImplementation(() => {});
    const invalid = invalidSetting(onlySettings({ AGENT_LOCATION_HINT: "europe" }));
    expect(invalid?.setting).toBe("AGENT_LOCATION_HINT");
    for (const hint of AGENT_LOCATION_HINTS) expect(invalid?.message).toContain(hint);
    for (const path of ["/mcp", "/internal"]) {
      const response = await worker.fetch(
        new Request(`${BASE}${path}`, {
          method: "POST",
          headers: { Host: new URL(BASE).host, Authorization: "Bearer plausible-key-for-tests" },
        }),
        { ...env, AGENT_LOCATION_HINT: "europe" } as Env,
        createExecutionContext(),
      );
      expect(response.status).toBe(503);
      expect(await response.json()).toEqual({ error: "server_error", error_description: "AGENT_LOCATION_HINT" });
    }
    expect(log).toHaveBeenCalledWith(expect.stringContaining("AGENT_LOCATION_HINT must be one of wnam, enam"));
  });

  it.each([
    [{ PLAUSIBLE_BASE_URL: CLOUD }, { locationHint: "weur" }],
    [{ PLAUSIBLE_BASE_URL: COMMUNITY, AGENT_LOCATION_HINT: "oc" }, { locationHint: "oc" }],
    [{ PLAUSIBLE_BASE_URL: COMMUNITY }, {}],
  ])("a caller's usage agent is obtained with the placement of %o", async (settings, placement) => {
    const usage = recording(env.USAGE);
    const context = await toolContextFor({ ...env, ...settings, USAGE: usage.namespace } as Env, {
      scope: "key",
      apiKey: `placement-key-${crypto.randomUUID()}`,
    });
    // The fake Plausible answers at the test base URL the agent itself reads; only the stub's options matter here.
    await context.plausible([query]).catch(() => undefined);
    expect(usage.options).toEqual([placement]);
  });

  it("a member's usage agent obtains the shared-key guard with the configured placement", async () => {
    const stub = env.USAGE.getByName(usageAgentName("user", await sha256Hex(`placement-member-${crypto.randomUUID()}`)));
    const guard = recording(env.SHARED_KEY_GUARD);
    const outcome = await runInDurableObject(stub, async (agent: UsageAgent) => {
      Object.assign(agent, { env: { ...agent["env"], AGENT_LOCATION_HINT: "enam", SHARED_KEY_GUARD: guard.namespace } });
      return runParsed(agent, [query]);
    });
    expect(outcome.ok).toBe(true);
    expect(guard.options[0]).toEqual({ locationHint: "enam" });
  });
});
