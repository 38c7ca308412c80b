/**
 * The one policy for every setting the worker reads from its environment: an empty or absent value
 * takes the documented default; a value that is set but invalid is an error naming the variable,
 * which the worker answers with a 503 before serving anything (`invalidSetting`), so a mistyped
 * setting is found at the first request, not when some Durable Object happens to read it.
 */

/** The name of a variable or secret on `Env` (bindings are not settings). */
export type SettingName = { [Name in keyof Env]: Env[Name] extends string ? Name : never }[keyof Env];

/** A setting that is set but cannot be used; `setting` names the variable (or binding or secret) to fix. */
export class SettingError extends Error {
  constructor(
    readonly setting: string,
    readonly reason: string,
  ) {
    super(`${setting} ${reason}`);
    this.name = "SettingError";
  }
}

/** The trimmed value of `name`, or undefined when absent or empty (a deployment may lack any variable or secret). */
export function settingText(env: Env, name: SettingName): string | undefined {
  const raw: unknown = env[name];
  return typeof raw === "string" && raw.trim() !== "" ? raw.trim() : undefined;
}

/** A whole number of at least `min` (1 unless said), or `fallback` when unset. */
export function positiveInteger(env: Env, name: SettingName, fallback: number, min = 1): number {
  const raw = settingText(env, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < min) {
    throw new SettingError(name, `must be a whole number of at least ${min}, got "${raw}"`);
  }
  return value;
}

/** "example.com, @Example.org" -> ["example.com", "example.org"]: a comma-separated list, lower-cased, "@" optional. */
export function parseDomains(value: string | undefined): string[] {
  return (value ?? "")
    .split(",")
    .map((domain) => domain.trim().replace(/^@/, "").toLowerCase())
    .filter(Boolean);
}

/** Shortest accepted length of the server's own random secrets (COOKIE_SECRET, ADMIN_SESSION_SECRET): 32 characters. */
export const MIN_SECRET_LENGTH = 32;

/** `name`, trimmed, when it is a usable random secret; undefined when missing or too short to be one. */
export function randomSecret(env: Env, name: SettingName): string | undefined {
  const value = settingText(env, name);
  return value !== undefined && value.length >= MIN_SECRET_LENGTH ? value : undefined;
}

/** The 503 every affected endpoint answers while a setting is missing or invalid: it names the setting, never its value. */
export function configurationErrorResponse(setting: string): Response {
  return Response.json({ error: "server_error", error_description: setting }, { status: 503, headers: { "Cache-Control": "no-store" } });
}
