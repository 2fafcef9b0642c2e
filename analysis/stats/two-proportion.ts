import { normalTwoSidedPValue } from './distributions.js';
import { fisherExactPValue } from './fisher.js';
import type { Proportion, TestResult } from './types.js';
import { checkProportion } from './validate.js';

/**
 * Smallest expected cell count at which the z-test is used. Below it, the
 * normal approximation of a 2x2 table is poor (Cochran's rule: every expected
 * count at least 5), so compareProportions() uses Fisher's exact test.
 */
export const MINIMUM_EXPECTED_COUNT = 5;

/**
 * Tests whether two proportions differ, two-sided. Uses the pooled z-test
 * unless an expected cell count of the 2x2 table is below
 * MINIMUM_EXPECTED_COUNT, and Fisher's exact test then. That includes an arm
 * without trials and tables where every trial succeeded or every trial failed,
 * for which Fisher's test returns 1.
 */
export function compareProportions(first: Proportion, second: Proportion): TestResult {
  checkProportion(first, 'first');
  checkProportion(second, 'second');

  if (smallestExpectedCount(first, second) < MINIMUM_EXPECTED_COUNT) {
    return { test: 'fisher-exact', pValue: fisherExactPValue(first, second), statistic: Number.NaN };
  }
  return twoProportionZTest(first, second);
}

/**
 * Runs the pooled two-proportion z-test of p1 = p2, two-sided. z² equals the
 * statistic of R's `prop.test(correct = FALSE)`, and the p-values are equal.
 * Throws a RangeError when either proportion has no trials or the pooled rate
 * is 0 or 1, where the standard error is 0: use fisherExactPValue() there.
 */
export function twoProportionZTest(first: Proportion, second: Proportion): TestResult {
  checkProportion(first, 'first');
  checkProportion(second, 'second');

  const trials = first.trials + second.trials;
  const pooled = (first.successes + second.successes) / trials;
  if (first.trials === 0 || second.trials === 0 || pooled === 0 || pooled === 1) {
    throw new RangeError(
      `the z-test needs trials in both proportions and a pooled rate between 0 and 1, got ` +
        `${first.successes}/${first.trials} and ${second.successes}/${second.trials}; use fisherExactPValue()`,
    );
  }

  const standardError = Math.sqrt(pooled * (1 - pooled) * (1 / first.trials + 1 / second.trials));
  const z = (first.successes / first.trials - second.successes / second.trials) / standardError;
  return { test: 'z-test', pValue: normalTwoSidedPValue(z), statistic: z };
}

/** Returns the smallest expected cell count of the 2x2 table under equal proportions. */
export function smallestExpectedCount(first: Proportion, second: Proportion): number {
  const trials = first.trials + second.trials;
  if (trials === 0) return 0;

  const successes = first.successes + second.successes;
  const failures = trials - successes;
  const smallerRow = Math.min(first.trials, second.trials);
  return (smallerRow * Math.min(successes, failures)) / trials;
}
