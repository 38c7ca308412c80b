// Synthetic sites named by their domain, so a test over HTTP (or /mcp) can ask
// for the traffic it needs without configuring the simulator: every label
// before ".synthetic.test" is one setting, e.g.
//   step-10pct.synthetic.test          a +10 % step 14 days ago
//   days-12.level-500.synthetic.test   data starting 12 days ago, 500 visitors a day
// See README.md, "Synthetic sites", for the settings.

import { SyntheticSite } from "./synthetic.ts";
import type { SyntheticEffect, SyntheticSiteOptions } from "./synthetic.ts";
import { addDays, localDate } from "./time.ts";

const SYNTHETIC_SUFFIX = ".synthetic.test";

export const isSyntheticDomain = (domain: string) => domain.endsWith(SYNTHETIC_SUFFIX);

/** A stable seed per domain, so two domains differ and one domain always answers the same. */
function seedOf(domain: string): number {
  let hash = 2166136261;
  for (let index = 0; index < domain.length; index++) hash = Math.imul(hash ^ domain.charCodeAt(index), 16777619);
  return hash >>> 0;
}

const SETTING = /^([a-z]+)(?:-([a-z0-9-]+))?$/;

/**
 * The site a `.synthetic.test` domain names, at `now`, or an error text naming
 * the setting that could not be read.
 */
export function syntheticSiteFromDomain(domain: string, now: number): SyntheticSite | { error: string } {
  if (!isSyntheticDomain(domain)) return { error: `${domain} does not end in ${SYNTHETIC_SUFFIX}.` };
  let timezone = "UTC";
  let days = 365;
  const effects: SyntheticEffect[] = [];
  const pending: Array<{ kind: "step" | "spike"; factor: number; daysAgo: number }> = [];
  const options: Partial<SyntheticSiteOptions> = { seed: seedOf(domain), level: 5000, weekly: true };
  const labels = domain.slice(0, -SYNTHETIC_SUFFIX.length).split(".").filter(Boolean);

  for (const label of labels) {
    const [, name, argument = ""] = SETTING.exec(label) ?? [];
    const integer = Number(argument);
    const whole = /^\d+$/.test(argument);
    const percent = whole ? integer / 100 : NaN;
    const effect = /^(\d+)(pct|x)(?:-(\d+)d)?$/.exec(argument);
    switch (name) {
      case "level":
        if (!whole || integer < 1) return { error: `level-N needs a whole number of visitors a day, got "${label}".` };
        options.level = integer;
        break;
      case "seed":
        if (!whole) return { error: `seed-N needs a whole number, got "${label}".` };
        options.seed = integer;
        break;
      case "days":
        if (!whole) return { error: `days-N needs a whole number of days of data before today, got "${label}".` };
        days = integer;
        break;
      case "weekly":
      case "flat":
        if (argument) return { error: `"${name}" takes no value, got "${label}".` };
        options.weekly = name === "weekly";
        break;
      case "sigma":
      case "rho":
      case "cr":
      case "crwobble":
      case "bounce":
      case "bouncewobble": {
        if (!whole || (name === "rho" && integer >= 100)) return { error: `${name}-N needs a whole percent, got "${label}".` };
        const key = {
          sigma: "sigma",
          rho: "rho",
          cr: "conversionRate",
          crwobble: "conversionWobble",
          bounce: "bounceRate",
          bouncewobble: "bounceWobble",
        } as const;
        options[key[name]] = percent;
        break;
      }
      case "step":
      case "drop":
        if (!effect || effect[2] !== "pct") return { error: `${name}-Npct[-Dd] needs a percent and optionally days ago, got "${label}".` };
        pending.push({
          kind: "step",
          factor: name === "step" ? 1 + Number(effect[1]) / 100 : 1 - Number(effect[1]) / 100,
          daysAgo: Number(effect[3] ?? 14),
        });
        break;
      case "spike":
        if (!effect || effect[2] !== "x") return { error: `spike-Nx[-Dd] needs a factor and optionally days ago, got "${label}".` };
        pending.push({ kind: "spike", factor: Number(effect[1]), daysAgo: Number(effect[3] ?? 3) });
        break;
      case "tz": {
        const [area, ...place] = argument.split("-");
        const capital = (word: string) => word.charAt(0).toUpperCase() + word.slice(1);
        timezone = place.length === 0 ? "UTC" : `${capital(area!)}/${place.map(capital).join("_")}`;
        try {
          new Intl.DateTimeFormat("en-US", { timeZone: timezone });
        } catch {
          return { error: `tz-area-city names an IANA timezone (e.g. tz-asia-tokyo), got "${label}".` };
        }
        break;
      }
      default:
        return {
          error:
            `Unknown setting "${label}" in ${domain}; known: level-N, seed-N, days-N, weekly, flat, sigma-N, ` +
            "rho-N, cr-N, crwobble-N, bounce-N, bouncewobble-N, step-Npct[-Dd], drop-Npct[-Dd], " +
            "spike-Nx[-Dd], tz-area-city.",
        };
    }
  }

  const today = localDate(now, timezone);
  for (const { kind, factor, daysAgo } of pending) {
    const date = addDays(today, -daysAgo);
    effects.push(kind === "step" ? { kind, from: date, factor } : { kind, date, dimension: "visit:source", value: "Hacker News", factor });
  }
  return new SyntheticSite({
    level: 5000,
    seed: 0,
    ...options,
    domain,
    firstDay: addDays(today, -days),
    now: new Date(now).toISOString(),
    timezone,
    effects,
  });
}
