/** Milliseconds in a UTC calendar day. */
export const DAY_MS = 86_400_000;
