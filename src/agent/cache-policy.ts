import type { PlausibleRequest } from "../plausible";
import { DAY_MS } from "../shared/time";

/**
 * How long an answer stays fresh. Data for days before yesterday (UTC) no
 * longer changes, so it lives the configured TTL; anything touching yesterday
 * or today, relative ranges and metadata live a minute; realtime is never cached.
 */
export function cacheTtlSeconds(request: PlausibleRequest, historicalTtlSeconds: number, now = Date.now()): number {
  if (request.kind === "realtime") return 0;
  if (request.kind !== "query") return 60;
  const range = request.body.date_range;
  if (!Array.isArray(range)) return 60;
  const end = Date.parse(range[1].length === 10 ? `${range[1]}T23:59:59.999Z` : range[1]);
  const startOfYesterday = Math.floor(now / DAY_MS) * DAY_MS - DAY_MS;
  return Number.isFinite(end) && end < startOfYesterday ? historicalTtlSeconds : 60;
}
