const UNIT_SECONDS: Record<string, number> = { second: 1, minute: 60, hour: 3600, day: 86400 };

// How long to wait after a 429, from what Plausible says. Plausible sends no
// Retry-After today, but one is honoured if a proxy or newer server adds it.
// Otherwise the window named in the text is reported: for "The limit is 600
// per hour" (older servers: "limited to 600 requests per hour") the time left
// in the hour is unknown, so the whole window (3600) is the honest upper
// bound; "N per S seconds" gives S.
export function rateLimitWindowSeconds(plausibleMessage: string, retryAfterHeader: string | null): number | undefined {
  if (retryAfterHeader !== null && /^\d+$/.test(retryAfterHeader.trim())) return Number(retryAfterHeader.trim());

  const perSeconds = /limit is \d+ per (\d+) seconds?/i.exec(plausibleMessage);
  if (perSeconds?.[1] !== undefined) return Number(perSeconds[1]);

  const perUnit = /(?:\d+ requests|limit is \d+) per (second|minute|hour|day)\b/i.exec(plausibleMessage);
  if (perUnit?.[1] !== undefined) return UNIT_SECONDS[perUnit[1].toLowerCase()];

  return undefined;
}
