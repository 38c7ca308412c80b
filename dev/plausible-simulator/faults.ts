// Runtime behaviour switches for tests and benchmarks: latency, injected
// faults and the Community Edition mode. A fault rule fires for its next `count` requests, or at random for
// a `rate` share of requests, or for every request when it has neither.

export const FAULT_KINDS = ["429", "500", "502", "503", "hang", "non_json", "truncated_json", "oversized"] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultRule {
  kind: FaultKind;
  /** Fire for the next N matching requests, then retire. */
  count?: number;
  /** Fire for this share (0..1) of matching requests. */
  rate?: number;
  /** Only requests to these paths (e.g. "/api/v2/query"); all API paths when absent. */
  paths?: string[];
}

export interface RuntimeSettings {
  /** Fixed delay before every API response. */
  latencyMs: number;
  /** Extra random delay of up to this many milliseconds. */
  jitterMs: number;
  /** Size the "oversized" fault pads a response body to. */
  oversizedBytes: number;
  /** Per-key requests per hour before 429. */
  hourlyLimit: number;
  faults: FaultRule[];
  /** Answer as Plausible Community Edition 3.2: no Sites API (406 with an HTML page), no "24h". */
  communityEdition: boolean;
}

function isFaultRule(value: unknown): value is FaultRule {
  if (value === null || typeof value !== "object") return false;
  const rule = value as Record<string, unknown>;
  return (
    (FAULT_KINDS as readonly unknown[]).includes(rule.kind) &&
    (rule.count === undefined || (Number.isInteger(rule.count) && (rule.count as number) >= 0)) &&
    (rule.rate === undefined || (typeof rule.rate === "number" && rule.rate >= 0 && rule.rate <= 1)) &&
    (rule.paths === undefined || (Array.isArray(rule.paths) && rule.paths.every((path) => typeof path === "string")))
  );
}

const isCount = (value: unknown) => typeof value === "number" && Number.isFinite(value) && value >= 0;

/** Checks a settings patch from the admin endpoint; returns a problem description or null. */
export function settingsProblem(patch: unknown): string | null {
  if (patch === null || typeof patch !== "object" || Array.isArray(patch))
    return 'Send a JSON object such as {"latencyMs": 50, "faults": [{"kind": "503", "count": 2}]}.';
  for (const [key, value] of Object.entries(patch)) {
    if (key === "faults") {
      if (!Array.isArray(value) || !value.every(isFaultRule)) {
        return `"faults" must be a list of {kind, count?, rate?, paths?} with kind one of ${FAULT_KINDS.join(", ")}.`;
      }
    } else if (["latencyMs", "jitterMs", "oversizedBytes", "hourlyLimit"].includes(key)) {
      if (!isCount(value)) return `"${key}" must be a non-negative number.`;
    } else if (key === "communityEdition") {
      if (typeof value !== "boolean") return `"communityEdition" must be true or false.`;
    } else {
      return `Unknown setting "${key}". Known: latencyMs, jitterMs, oversizedBytes, hourlyLimit, faults, communityEdition.`;
    }
  }
  return null;
}

/** Picks the fault for a request to `path`, consuming one use of a counted rule. */
export function takeFault(settings: RuntimeSettings, path: string, random: () => number = Math.random): FaultKind | null {
  for (const rule of settings.faults) {
    if (rule.paths && !rule.paths.includes(path)) continue;
    if (rule.count !== undefined) {
      if (rule.count === 0) continue;
      rule.count -= 1;
      return rule.kind;
    }
    if (rule.rate === undefined || random() < rule.rate) return rule.kind;
  }
  return null;
}
