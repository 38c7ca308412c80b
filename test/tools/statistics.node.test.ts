import { describe, expect, it } from "vitest";
import {
  clusteredRatioTest,
  median,
  placeboLogRatioTest,
  normalCdf,
  regularizedBeta,
  robustZScore,
  scaledMad,
  studentTCdf,
  studentTQuantile,
  verdict,
  welchTTest,
} from "../../src/tools/statistics";

describe("statistics", () => {
  it("median and scaled MAD", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(scaledMad([1, 2, 3, 4, 100])).toBeCloseTo(1.4826, 4);
  });

  it("robust z-score ignores the outlier in the baseline and honours the scale floor", () => {
    expect(robustZScore(10, [1, 2, 3, 4, 100])).toBeCloseTo((10 - 3) / 1.4826, 4);
    expect(robustZScore(110, [100, 100, 100, 100], 10)).toBeCloseTo(1, 6);
  });

  it("normal CDF matches tables", () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(1.959964)).toBeCloseTo(0.975, 6);
    expect(normalCdf(-1)).toBeCloseTo(0.158655, 6);
  });

  it("regularized beta and Student's t match tables", () => {
    expect(regularizedBeta(0.5, 2, 3)).toBeCloseTo(0.6875, 8);
    expect(studentTCdf(2.228139, 10)).toBeCloseTo(0.975, 6);
    expect(studentTCdf(-1.812461, 10)).toBeCloseTo(0.05, 6);
    expect(studentTCdf(12.7062, 1)).toBeCloseTo(0.975, 5);
    expect(studentTQuantile(0.975, 10)).toBeCloseTo(2.228139, 5);
    expect(studentTQuantile(0.975, 29.5)).toBeGreaterThan(2.042);
    expect(studentTQuantile(0.975, 29.5)).toBeLessThan(2.046);
  });

  it("Welch's t-test matches R's t.test", () => {
    // R: t.test(c(27.5,21,19,23.6,17,17.9,16.9,20.1,21.9,22.6,23.1,19.6,19,21.7,21.4),
    //           c(27.1,22,20.8,23.4,23.4,23.5,25.8,22,24.8,20.2,21.9,22.1,22.9,20.5,24.4))
    // t = -2.4554, df = 24.988, p-value = 0.02138, 95 % CI of x - y: -3.9841 ... -0.3492
    const a = [27.5, 21, 19, 23.6, 17, 17.9, 16.9, 20.1, 21.9, 22.6, 23.1, 19.6, 19, 21.7, 21.4];
    const b = [27.1, 22, 20.8, 23.4, 23.4, 23.5, 25.8, 22, 24.8, 20.2, 21.9, 22.1, 22.9, 20.5, 24.4];
    const result = welchTTest(b, a)!;
    expect(result.pValue).toBeCloseTo(0.021378, 5);
    expect(result.difference).toBeCloseTo(-2.166667, 5);
    expect(result.ci95[0]).toBeCloseTo(-3.984096, 4);
    expect(result.ci95[1]).toBeCloseTo(-0.349237, 4);
    expect(verdict(result)).toBe("decrease");
    expect(welchTTest([1], [2, 3])).toBeUndefined();
  });

  it("day-clustered ratio test: each window's variance from its days' residuals, Welch–Satterthwaite df", () => {
    // Before: ratio 30/200 = 0.15, residuals -5 and 5, variance 2/1 x 50/200² = 0.0025; after: 0.3 with no spread.
    // Difference 0.15, standard error 0.05, df 1: t = 3 on a Cauchy, p = 1 - 2/pi x atan(3) = 0.204833.
    const result = clusteredRatioTest(
      [
        { numerator: 10, denominator: 100 },
        { numerator: 20, denominator: 100 },
      ],
      [
        { numerator: 30, denominator: 100 },
        { numerator: 30, denominator: 100 },
      ],
    )!;
    expect(result.difference).toBeCloseTo(0.15, 10);
    expect(result.pValue).toBeCloseTo(0.204833, 4);
    expect(verdict(result)).toBe("no detectable change");
    expect(clusteredRatioTest([{ numerator: 1, denominator: 10 }], [{ numerator: 1, denominator: 10 }])).toBeUndefined();
    expect(verdict(undefined)).toBe("not tested");
  });

  it("placebo test: the statistic's spread at pseudo-events is the null scale", () => {
    // Alternating 100/110 days: every pseudo-event's log ratio is ±log(110.5/100.5); the real one is log(200.5/100.5).
    const values: number[] = Array.from({ length: 40 }, (_, index) => (index % 2 === 0 ? 100 : 110));
    values[39] = 200;
    values[38] = 100;
    const shifts = Array.from({ length: 30 }, (_, index) => index + 1);
    const result = placeboLogRatioTest(values, [39], [38], shifts)!;
    const scale = Math.log(110.5 / 100.5);
    expect(result.difference).toBeCloseTo(Math.log(200.5 / 100.5), 10);
    expect(result.ci95[1] - result.difference).toBeCloseTo(studentTQuantile(0.975, 30) * scale, 6);
    expect(result.pValue).toBeCloseTo(2 * (1 - studentTCdf(result.difference / scale, 30)), 8);
    expect(verdict(result)).toBe("increase");
    // Too little history for the window's length: no test.
    expect(placeboLogRatioTest(values, [39], [38], shifts.slice(0, 2))).toBeUndefined();
  });
});
