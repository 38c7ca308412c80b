import { describe, expect, it } from "vitest";
import {
  median,
  normalCdf,
  regularizedBeta,
  robustZScore,
  scaledMad,
  studentTCdf,
  studentTQuantile,
  twoProportionZTest,
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

  it("two-proportion z-test matches R's prop.test without continuity correction", () => {
    // R: prop.test(c(45, 60), c(500, 500), correct = FALSE): X-squared = 2.3943, p-value = 0.1218
    const result = twoProportionZTest(45, 500, 60, 500)!;
    expect(result.pValue).toBeCloseTo(0.121782, 5);
    expect(result.difference).toBeCloseTo(0.03, 10);
    expect(verdict(result)).toBe("no detectable change");
    expect(verdict(twoProportionZTest(100, 1000, 200, 1000))).toBe("increase");
  });
});
