import type { PlausibleClientOptions, PlausibleRequest } from "../plausible";
import type { CallAttribution } from "../observability/tool-call";
import type { UpstreamReport } from "./shared-key-guard";
import type { UsageFailure } from "./usage-outcome";

/** Agents are named `key-<sha256 of the API key>` (/mcp, /sse) or `user-<sha256 of the issuer's sub>` (/internal). */
export type UsageScope = "key" | "user";

export function usageAgentName(scope: UsageScope, digest: string): string {
  return `${scope}-${digest}`;
}

export type Admission = { refused: UsageFailure } | { admission: Promise<void> };

/**
 * What differs between a key's own agent and a member's agent on the shared key: which key is used,
 * who admits a call to Plausible besides the agent's bucket, where outcomes are reported, and what
 * the agent keeps (an idle key agent goes; a member's agent keeps the audit trail).
 */
export interface AdmissionPolicy {
  readonly scope: UsageScope;
  /** The Plausible key for this agent's calls, given the caller's key (absent on the shared key). */
  apiKey(callerKey: string | undefined): Promise<string>;
  /**
   * Admits `count` requests to Plausible, all or none, deciding synchronously what it can (so concurrent
   * calls can't race it); `admission` settles when any further check (the team's guard) has.
   */
  admit(count: number, now: number): Admission;
  /** Before one admitted request is sent. */
  beforeSend(request: PlausibleRequest, call: CallAttribution | undefined): Promise<void>;
  /** The client options for one admitted request. */
  clientOptions(options: PlausibleClientOptions): PlausibleClientOptions;
  /** Feeds an outcome to the circuit that guards this agent's key; returns the seconds until calls go through again. */
  report(outcome: UpstreamReport): Promise<number>;
  /** After an answer was cached. */
  cached(): Promise<void>;
  /** After every call, cached or not. */
  called(now: number): void;
}
