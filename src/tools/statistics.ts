/**
 * Small, dependency-free statistics for the analysis tools: robust deviation
 * scores, Welch's t-test and the two-proportion z-test, with the distribution
 * functions they need. Pure functions; tested against published values.
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

export function mean(values: readonly number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

/** Sample variance (n - 1 in the denominator). */
export function variance(values: readonly number[]): number {
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
 * Two-proportion z-test of successesAfter/totalAfter - successesBefore/totalBefore:
 * pooled standard error for the p-value, unpooled for the confidence interval.
 */
export function twoProportionZTest(
  successesBefore: number,
  totalBefore: number,
  successesAfter: number,
  totalAfter: number,
): TestResult | undefined {
  if (totalBefore <= 0 || totalAfter <= 0) return undefined;
  const before = successesBefore / totalBefore;
  const after = successesAfter / totalAfter;
  const difference = after - before;
  const pooled = (successesBefore + successesAfter) / (totalBefore + totalAfter);
  const pooledError = Math.sqrt(pooled * (1 - pooled) * (1 / totalBefore + 1 / totalAfter));
  const error = Math.sqrt((before * (1 - before)) / totalBefore + (after * (1 - after)) / totalAfter);
  const test = "two-proportion z-test";
  const pValue = pooledError === 0 ? (difference === 0 ? 1 : 0) : 2 * (1 - normalCdf(Math.abs(difference / pooledError)));
  return { difference, ci95: [difference - 1.959964 * error, difference + 1.959964 * error], pValue, test };
}

/** Plain words for a test result at the 95 % level. */
export function verdict(result: TestResult | undefined): "increase" | "decrease" | "no detectable change" {
  if (!result || result.pValue >= 0.05) return "no detectable change";
  return result.difference > 0 ? "increase" : "decrease";
}
