import { studentTQuantile } from "./statistics";

/**
 * A count's total over coming days, forecast from a site's own daily history: the recent level
 * (weekday-adjusted mean of the last LEVEL_DAYS days) times the weekday profile (each weekday's mean
 * over the last PROFILE_DAYS, relative to the mean of all seven). The 80 % interval comes from the
 * same forecast made at every earlier day of the history, for the same days ahead: the root mean
 * square of their log errors, scaled by Student's t with one degree of freedom per forecast length
 * of origins (the errors of neighbouring origins overlap), as in the placebo test of compare_periods.
 */

/** Days whose weekday means give the profile (8 weeks). */
export const PROFILE_DAYS = 56;
/** Days whose weekday-adjusted mean gives the level (4 weeks). */
export const LEVEL_DAYS = 28;
/** The fewest complete days of history a forecast uses. */
export const MINIMUM_HISTORY_DAYS = 28;
/** The fewest degrees of freedom (back-test origins per forecast length) for an interval. */
const MINIMUM_DEGREES = 2;
/** The interval's nominal coverage. */
export const COVERAGE = 0.8;

export interface DailyHistory {
  /** Daily values, oldest first, ending with the last complete day. */
  values: readonly number[];
  /** The weekday (0 = Sunday) of each value. */
  weekdays: readonly number[];
}

export interface Forecast {
  /** Forecast total over the days asked for. */
  total: number;
  /** The 80 % interval of that total; absent with too little history to back-test at this horizon. */
  interval?: [number, number];
  /** Back-test forecasts the interval was learned from. */
  backtests: number;
  degreesOfFreedom: number;
  /** Root mean square of the back-tests' log errors. */
  logErrorScale?: number;
}

/** Whole weeks of profile window that `days` of history allow, at most PROFILE_DAYS. */
const profileWindow = (days: number) => Math.min(PROFILE_DAYS, 7 * Math.floor(days / 7));

/**
 * The point forecast of the days `offsets` after `end` (0 = the day after the last value used), from the
 * `window` values before index `end`; `aheadWeekdays` gives each offset's weekday.
 */
function pointForecast(history: DailyHistory, end: number, window: number, aheadWeekdays: readonly number[]): number {
  const sums = new Array<number>(7).fill(0);
  const counts = new Array<number>(7).fill(0);
  for (let index = end - window; index < end; index++) {
    sums[history.weekdays[index]!]! += history.values[index]!;
    counts[history.weekdays[index]!]! += 1;
  }
  const means = sums.map((sum, day) => (counts[day]! > 0 ? sum / counts[day]! : Number.NaN));
  const overall = means.reduce((total, value) => total + value, 0) / 7;
  // A weekday without traffic in the window has no usable ratio: then no weekday pattern at all.
  const usable = overall > 0 && means.every((value) => value > 0);
  const profile = means.map((value) => (usable ? value / overall : 1));
  let adjusted = 0;
  const levelDays = Math.min(LEVEL_DAYS, window);
  for (let index = end - levelDays; index < end; index++) adjusted += history.values[index]! / profile[history.weekdays[index]!]!;
  const level = adjusted / levelDays;
  return aheadWeekdays.reduce((total, day) => total + level * profile[day]!, 0);
}

/**
 * The forecast total of `count` days starting `gap` days after the history's last day plus one
 * (gap 0: the first day after the history), with its 80 % interval.
 */
export function forecastTotal(history: DailyHistory, gap: number, count: number): Forecast | undefined {
  const length = history.values.length;
  if (length < MINIMUM_HISTORY_DAYS || count <= 0) return undefined;
  const window = profileWindow(length);
  const weekdayAfter = (end: number, offset: number) => (history.weekdays[end - 1]! + 1 + offset) % 7;
  const ahead = (end: number) => Array.from({ length: count }, (_, index) => weekdayAfter(end, gap + index));
  const total = pointForecast(history, length, window, ahead(length));

  const errors: number[] = [];
  for (let origin = window; origin + gap + count <= length; origin++) {
    const predicted = pointForecast(history, origin, window, ahead(origin));
    let actual = 0;
    for (let index = origin + gap; index < origin + gap + count; index++) actual += history.values[index]!;
    // + 0.5 keeps a stretch without any traffic finite.
    errors.push(Math.log((actual + 0.5) / (predicted + 0.5)));
  }
  const degreesOfFreedom = errors.length / count;
  if (degreesOfFreedom < MINIMUM_DEGREES) return { total, backtests: errors.length, degreesOfFreedom };
  const scale = Math.sqrt(errors.reduce((sum, error) => sum + error * error, 0) / errors.length);
  const half = studentTQuantile(1 - (1 - COVERAGE) / 2, degreesOfFreedom) * scale;
  return {
    total,
    interval: [total * Math.exp(-half), total * Math.exp(half)],
    backtests: errors.length,
    degreesOfFreedom,
    logErrorScale: scale,
  };
}
