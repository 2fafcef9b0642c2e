/** A count of successes among trials, for example one-shot runs among resolved runs. */
export interface Proportion {
  /** Trials that succeeded, a whole number from 0 to `trials`. */
  successes: number;
  /** All trials, a whole number of 0 or more. */
  trials: number;
}

/** A two-sided confidence interval. */
export interface Interval {
  lower: number;
  upper: number;
  /** Confidence level, for example 0.95. */
  confidence: number;
}

/** A proportion with its point estimate and interval. */
export interface ProportionInterval extends Interval {
  /** successes / trials, or NaN when there are no trials. */
  estimate: number;
}

/** Name of a significance test. */
export type TestName = 'z-test' | 'fisher-exact';

/** Result of a two-sided test of equal proportions. */
export interface TestResult {
  test: TestName;
  /** Two-sided p-value from 0 to 1. */
  pValue: number;
  /** The z statistic for the z-test, NaN for Fisher's exact test. */
  statistic: number;
}
