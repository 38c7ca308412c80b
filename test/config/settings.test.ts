import { env } from "cloudflare:workers";
import { createExecutionContext } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { invalidSetting, readMaxResultChars, readUsageConfig } from "../../src/config";
import worker from "../../src/worker";
import { BASE } from "../support/harness";
import { onlySettings } from "../support/settings";

afterEach(() => vi.restoreAllMocks());

function fetchWith(changes: Record<string, string>, path: string) {
  return worker.fetch(
    new Request(`${BASE}${path}`, {
      method: "POST",
      headers: { Host: new URL(BASE).host, Authorization: "Bearer plausible-key-for-tests" },
    }),
    { ...env, ...changes } as Env,
    createExecutionContext(),
  );
}

describe("one policy for every setting", () => {
  it("takes the default for an absent or empty value and reads a set one", () => {
    expect(readUsageConfig(onlySettings()).burst).toBe(30);
    expect(readUsageConfig(onlySettings({ RATE_LIMIT_BURST: " " })).burst).toBe(30);
    expect(readUsageConfig(onlySettings({ RATE_LIMIT_BURST: " 12 " })).burst).toBe(12);
    expect(readMaxResultChars(onlySettings())).toBe(100_000);
    expect(invalidSetting(env)).toBeUndefined();
  });

  it.each([
    "RATE_LIMIT_BURST",
    "PLAUSIBLE_USER_HOURLY_LIMIT",
    "SESSION_IDLE_SECONDS",
    "MAX_RESULT_CHARS",
    "AUDIT_RETENTION_DAYS",
    "CIRCUIT_WINDOW_SECONDS",
  ])("a bad %s is a 503 naming it on every endpoint, before any key is used", async (setting) => {
    const log = vi.spyOn(console, "error").mockImplementation(() => {});
    for (const bad of ["0", "1.5", "-3", "lots"]) {
      expect(invalidSetting(onlySettings({ [setting]: bad }))?.setting).toBe(setting);
      for (const path of ["/mcp", "/sse", "/internal", "/token"]) {
        const response = await fetchWith({ [setting]: bad }, path);
        expect(response.status, `${setting}=${bad} on ${path}`).toBe(503);
        expect(await response.json()).toEqual({ error: "server_error", error_description: setting });
      }
    }
    expect(log).toHaveBeenCalledWith(expect.stringContaining(setting));
  });
});
