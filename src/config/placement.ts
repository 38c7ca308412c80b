import { isPlausibleCloud } from "./plausible";
import { SettingError, settingText } from "./settings";

/** Cloudflare's location hints for a new Durable Object. */
export const AGENT_LOCATION_HINTS: readonly DurableObjectLocationHint[] = [
  "wnam",
  "enam",
  "sam",
  "weur",
  "eeur",
  "apac",
  "apac-ne",
  "apac-se",
  "oc",
  "afr",
  "me",
];

// Plausible Cloud runs in Germany.
const PLAUSIBLE_CLOUD_HINT: DurableObjectLocationHint = "weur";

const placements = new WeakMap<Env, DurableObjectNamespaceGetDurableObjectOptions>();

function isLocationHint(value: string): value is DurableObjectLocationHint {
  return (AGENT_LOCATION_HINTS as readonly string[]).includes(value);
}

/**
 * Where a usage agent or the shared-key guard is created (`AGENT_LOCATION_HINT`). Every call it admits
 * goes from the worker to the object and from the object to Plausible, so the object belongs next to
 * Plausible, not next to whichever member happened to call first: western Europe for Plausible Cloud,
 * the operator's choice for a Community Edition server, else Cloudflare's default (near the first caller).
 * A hint only places an object when it is created; an existing one stays where it is.
 */
export function readAgentPlacement(env: Env): DurableObjectNamespaceGetDurableObjectOptions {
  const known = placements.get(env);
  if (known) return known;
  const raw = settingText(env, "AGENT_LOCATION_HINT");
  if (raw !== undefined && !isLocationHint(raw)) {
    throw new SettingError("AGENT_LOCATION_HINT", `must be one of ${AGENT_LOCATION_HINTS.join(", ")}, got "${raw}"`);
  }
  const locationHint = raw ?? (isPlausibleCloud(env) ? PLAUSIBLE_CLOUD_HINT : undefined);
  const placement = locationHint ? { locationHint } : {};
  placements.set(env, placement);
  return placement;
}
