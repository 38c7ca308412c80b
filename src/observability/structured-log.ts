import { addressHash } from "../shared/hash";
import { redactString } from "./redact";

/** One tool call, as a JSON line: who (only on /internal), what, how it went and what it cost upstream. */
export interface ToolCallLine {
  event: "tool_call";
  endpoint: "mcp" | "sse" | "connect" | "internal";
  tool: string;
  /** The member's email on /internal; bearer-key endpoints are anonymous. */
  user?: string;
  /** "hit": every Plausible answer came from the cache; "miss": none did; "none": Plausible wasn't needed. */
  cache: "hit" | "miss" | "partial" | "none";
  plausible_requests: number;
  upstream_ms: number;
  outcome: "ok" | "tool_error" | "failed";
  error?: string;
}

/** One sign-in decision on the /internal connector. */
export interface AuthorizationLine {
  event: "authorization";
  decision: "granted" | "refused";
  reason: string;
  /** The member's email, on a grant only. */
  user?: string;
  /** On a refusal, the refused address as `addressHash` writes it, never the address. */
  user_hash?: string;
}

/** One change an administrator made on /admin to what the team shares (its memory, its digest subscriptions). */
export interface AdminActionLine {
  event: "admin_action";
  /** The administrator's email. */
  user: string;
  /** What changed, e.g. "memory:annotation-delete" or "digests:subscribe". */
  action: string;
  site_id?: string;
}

/** One webhook delivery of a digest or alert: the subscription by its id only (never its URL), and how it ended. */
export interface DigestDeliveryLine {
  event: "digest_delivery";
  subscription: string;
  kind: string;
  delivered: boolean;
  attempts: number;
}

/**
 * Writes one JSON object per line: Workers Logs indexes its fields, and
 * `wrangler dev` prints it as is. Free text is redacted like Sentry data.
 */
export function logLine(line: ToolCallLine | AuthorizationLine | AdminActionLine | DigestDeliveryLine): void {
  const text = JSON.stringify(line, (key, value: unknown) => (typeof value === "string" && key !== "user" ? redactString(value) : value));
  if (line.event === "tool_call" && line.outcome === "failed") console.error(text);
  else console.log(text);
}

export function logAuthorization(decision: "granted", reason: string, user?: string): void;
export function logAuthorization(decision: "refused", reason: string): void;
export function logAuthorization(decision: AuthorizationLine["decision"], reason: string, user?: string): void {
  logLine({ event: "authorization", decision, reason, ...(user ? { user } : {}) });
}

/** An administrator's change on /admin, so the team's memory and subscriptions say who changed them, deletions too. */
export function logAdminAction(admin: string, action: string, siteId?: string): void {
  logLine({ event: "admin_action", user: admin, action, ...(siteId ? { site_id: siteId } : {}) });
}

/**
 * A refusal that concerns an address (an outsider's, or a member's refused refresh): the address is
 * replaced by its hash in the reason and logged beside it as `user_hash`, so no email reaches the log.
 */
export async function logRefusal(reason: string, address: unknown): Promise<void> {
  if (typeof address !== "string" || address === "") return logAuthorization("refused", reason);
  const hash = await addressHash(address);
  logLine({ event: "authorization", decision: "refused", reason: reason.split(address).join(hash), user_hash: hash });
}
