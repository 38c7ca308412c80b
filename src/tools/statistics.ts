/**
 * Small, dependency-free statistics for the analysis tools: robust deviation
 * scores, Welch's t-test, a placebo test against a site's own history and a
 * day-clustered ratio test, with the distribution functions they need. Pure
 * functions; tested against published values or simulation.
 */

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Median absolute deviation, scaled by 1.4826 so it estimates the standard deviation of normal data. */
export function scaledMad(values: readonly number[]): number {
  const center = median(values);
  return 1.4826 * median(values.map((value) => Math.abs(value - center)));
}

function mean(values: readonly number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

/** Sample variance (n - 1 in the denominator). */
function variance(values: readonly number[]): number {
  const center = mean(values);
  return values.reduce((sum, value) => sum + (value - center) ** 2, 0) / (values.length - 1);
}

/**
 * How far `value` lies from `baseline`, in robust standard deviations: (value - median) / (1.4826 MAD).
 * A few baseline points give an unstable MAD, so the scale never drops below `minimumScale`
 * (for counts, the Poisson noise sqrt(expected) is a sound floor).
 */
export function robustZScore(value: number, baseline: readonly number[], minimumScale = 0): number {
  const scale = Math.max(scaledMad(baseline), minimumScale);
  if (scale === 0) return value === median(baseline) ? 0 : Math.sign(value - median(baseline)) * Number.POSITIVE_INFINITY;
  return (value - median(baseline)) / scale;
}

/** Standard normal CDF (Zelen and Severo's erf approximation, absolute error below 1e-7). */
export function normalCdf(z: number): number {
  const t = 1 / (1 + 0.3275911 * (Math.abs(z) / Math.SQRT2));
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-(z * z) / 2);
  return z >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

function logGamma(x: number): number {
  // Lanczos approximation (g = 7, n = 9).
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
    -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const shifted = x - 1;
  let sum = c[0]!;
  for (let i = 1; i < 9; i++) sum += c[i]! / (shifted + i);
  const t = shifted + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (shifted + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** Continued fraction for the incomplete beta function (Lentz's method). */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let result = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let step = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + step * d;
    c = 1 + step / c;
    d = 1 / (Math.abs(d) < tiny ? tiny : d);
    c = Math.abs(c) < tiny ? tiny : c;
    result *= d * c;
    step = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + step * d;
    c = 1 + step / c;
    d = 1 / (Math.abs(d) < tiny ? tiny : d);
    c = Math.abs(c) < tiny ? tiny : c;
    const delta = d * c;
    result *= delta;
    if (Math.abs(delta - 1) < 1e-12) break;
  }
  return result;
}

/** Regularized incomplete beta function I_x(a, b). */
export function regularizedBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  return x < (a + 1) / (a + b + 2) ? (front * betaContinuedFraction(a, b, x)) / a : 1 - (front * betaContinuedFraction(b, a, 1 - x)) / b;
}

/** CDF of Student's t distribution with `df` degrees of freedom (df may be fractional, as in Welch's test). */
export function studentTCdf(t: number, df: number): number {
  const tail = regularizedBeta(df / (df + t * t), df / 2, 0.5) / 2;
  return t >= 0 ? 1 - tail : tail;
}

/** The t value with `probability` below it (bisection on the CDF; accurate to 1e-9). */
export function studentTQuantile(probability: number, df: number): number {
  let low = -1e3;
  let high = 1e3;
  for (let i = 0; i < 200 && high - low > 1e-9; i++) {
    const middle = (low + high) / 2;
    if (studentTCdf(middle, df) < probability) low = middle;
    else high = middle;
  }
  return (low + high) / 2;
}

export interface TestResult {
  /** after (or current) minus before (or previous). */
  difference: number;
  /** 95 % confidence interval of the difference. */
  ci95: [number, number];
  pValue: number;
  test: string;
}

/** Welch's two-sample t-test of mean(after) - mean(before), unequal variances allowed. Needs two values per sample. */
export function welchTTest(before: readonly number[], after: readonly number[]): TestResult | undefined {
  if (before.length < 2 || after.length < 2) return undefined;
  const difference = mean(after) - mean(before);
  const varianceBefore = variance(before) / before.length;
  const varianceAfter = variance(after) / after.length;
  const standardError = Math.sqrt(varianceBefore + varianceAfter);
  const test = "Welch's t-test on daily values";
  if (standardError === 0) return { difference, ci95: [difference, difference], pValue: difference === 0 ? 1 : 0, test };
  const df = (varianceBefore + varianceAfter) ** 2 / (varianceBefore ** 2 / (before.length - 1) + varianceAfter ** 2 / (after.length - 1));
  const t = difference / standardError;
  const critical = studentTQuantile(0.975, df);
  return {
    difference,
    ci95: [difference - critical * standardError, difference + critical * standardError],
    pValue: 2 * (1 - studentTCdf(Math.abs(t), df)),
    test,
  };
}

/**
 * A change against the site's own history ("placebo" or pseudo-event test). The statistic is the log
 * ratio of the mean of `after` to the mean of `before` (indices into `values`); the same statistic at
 * earlier positions (the index sets moved back by each of `shifts` days), where nothing is known to have
 * happened, gives its spread under "no change". That spread includes whatever the site's days do:
 * Poisson noise, day-to-day wobble and carry-over from one day to the next, which a test on the
 * windows' own days cannot see. The placebo statistics overlap, so the t reference has about one
 * degree of freedom per window length of shifts. Undefined when there are too few shifts
 * (`minimumDegrees`) or no variation at all.
 */
export function placeboLogRatioTest(
  values: readonly number[],
  after: readonly number[],
  before: readonly number[],
  shifts: readonly number[],
  minimumDegrees = 3,
): (TestResult & { degreesOfFreedom: number }) | undefined {
  const windowLength = Math.max(after.length, before.length);
  const degreesOfFreedom = shifts.length / windowLength;
  if (after.length === 0 || before.length === 0 || degreesOfFreedom < minimumDegrees) return undefined;
  const logRatio = (shift: number) => {
    const meanOf = (indices: readonly number[]) => indices.reduce((total, index) => total + values[index - shift]!, 0) / indices.length;
    // + 0.5 keeps a window without any traffic finite.
    return Math.log((meanOf(after) + 0.5) / (meanOf(before) + 0.5));
  };
  const difference = logRatio(0);
  // Under "no change" the statistic is centred on 0 (whole weeks or same weekdays on both sides), so
  // its spread is the root mean square; a drifting history only widens it.
  const scale = Math.sqrt(shifts.reduce((total, shift) => total + logRatio(shift) ** 2, 0) / shifts.length);
  if (scale === 0) return undefined;
  const critical = studentTQuantile(0.975, degreesOfFreedom);
  return {
    difference,
    ci95: [difference - critical * scale, difference + critical * scale],
    pValue: 2 * (1 - studentTCdf(Math.abs(difference / scale), degreesOfFreedom)),
    test: `log ratio against ${shifts.length} pseudo-events in the site's history (t, ${Math.round(degreesOfFreedom)} df)`,
    degreesOfFreedom,
  };
}

/** One day's numerator and denominator of a rate (converters and visitors, bounces and entries). */
export interface RateDay {
  numerator: number;
  denominator: number;
}

/**
 * Difference of two ratios of sums (after minus before), with days as clusters: each window's variance
 * comes from how far its days stray from the window's ratio (the linearised ratio estimator), so a rate
 * that wobbles from day to day is not mistaken for a change, as a pooled two-proportion test would.
 * `extraVariance` adds a known uncertainty of the difference (e.g. rounding). Welch–Satterthwaite
 * degrees of freedom. Undefined with fewer than 2 days with a denominator per window or no variation.
 */
export function clusteredRatioTest(before: readonly RateDay[], after: readonly RateDay[], extraVariance = 0): TestResult | undefined {
  const window = (days: readonly RateDay[]) => {
    const used = days.filter((day) => day.denominator > 0);
    const numerator = used.reduce((total, day) => total + day.numerator, 0);
    const denominator = used.reduce((total, day) => total + day.denominator, 0);
    const ratio = denominator === 0 ? 0 : numerator / denominator;
    const squares = used.reduce((total, day) => total + (day.numerator - ratio * day.denominator) ** 2, 0);
    const n = used.length;
    return { ratio, n, variance: n < 2 ? Number.NaN : (n / (n - 1)) * (squares / denominator ** 2) };
  };
  const [b, a] = [window(before), window(after)];
  if (b.n < 2 || a.n < 2) return undefined;
  const difference = a.ratio - b.ratio;
  const variance = a.variance + b.variance + extraVariance;
  if (variance === 0) return undefined;
  const standardError = Math.sqrt(variance);
  const sampled = b.variance ** 2 / (b.n - 1) + a.variance ** 2 / (a.n - 1);
  const df = sampled === 0 ? 1e6 : variance ** 2 / sampled;
  const critical = studentTQuantile(0.975, df);
  return {
    difference,
    ci95: [difference - critical * standardError, difference + critical * standardError],
    pValue: 2 * (1 - studentTCdf(Math.abs(difference / standardError), df)),
    test: "day-clustered ratio test (Welch–Satterthwaite t)",
  };
}

export type Verdict = "increase" | "decrease" | "no detectable change" | "not tested";

/** Plain words for a test result at the 95 % level; "not tested" where no test could be made. */
export function verdict(result: TestResult | undefined): Verdict {
  if (!result) return "not tested";
  if (result.pValue >= 0.05) return "no detectable change";
  return result.difference > 0 ? "increase" : "decrease";
}
