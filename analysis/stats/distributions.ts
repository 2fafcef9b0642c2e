/// <reference path="./jstat.d.ts" />
// The distribution functions that the tests and intervals need, taken from
// jstat 1.9.6 so that no numerical code of our own sits between a count and a
// p-value. test/analysis/stats checks them against R.
import jstatModule from 'jstat';

const { jStat } = jstatModule;

/** Returns the quantile of the standard normal distribution at probability p, 0 < p < 1. */
export function normalQuantile(p: number): number {
  return jStat.normal.inv(p, 0, 1);
}

/** Returns P(Z <= z) for a standard normal Z. */
export function normalCdf(z: number): number {
  return jStat.normal.cdf(z, 0, 1);
}

/** Returns the two-sided p-value P(|Z| >= |z|) for a standard normal Z. */
export function normalTwoSidedPValue(z: number): number {
  // The lower tail of -|z| keeps precision where 1 - cdf(|z|) would round to 0.
  return Math.min(1, 2 * normalCdf(-Math.abs(z)));
}

/** Returns the upper tail P(X >= statistic) of a chi-square distribution. */
export function chiSquareUpperTail(statistic: number, degreesOfFreedom: number): number {
  if (statistic <= 0) return 1;
  // NOTE: 1 - cdf loses relative precision below about 1e-15, where it returns 0.
  return Math.max(0, 1 - jStat.chisquare.cdf(statistic, degreesOfFreedom));
}

/** Returns the chi-square quantile at probability p. */
export function chiSquareQuantile(p: number, degreesOfFreedom: number): number {
  return jStat.chisquare.inv(p, degreesOfFreedom);
}

/** Returns ln C(n, k), the natural logarithm of the binomial coefficient, for whole 0 <= k <= n. */
export function logChoose(n: number, k: number): number {
  return jStat.gammaln(n + 1) - jStat.gammaln(k + 1) - jStat.gammaln(n - k + 1);
}
