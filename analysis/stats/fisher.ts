import { logChoose } from './distributions.js';
import type { Proportion } from './types.js';
import { checkProportion } from './validate.js';

/**
 * Computes the two-sided p-value of Fisher's exact test for the 2x2 table of two
 * proportions (rows: first and second, columns: successes and failures), with
 * the convention of R's `fisher.test`. With all margins fixed, the first row's
 * successes follow a hypergeometric distribution. The p-value sums the
 * probabilities of every table no more likely than the observed one, with a
 * relative tolerance of 1e-7 so that ties in floating point count as ties.
 */
export function fisherExactPValue(first: Proportion, second: Proportion): number {
  checkProportion(first, 'first');
  checkProportion(second, 'second');

  const successes = first.successes + second.successes;
  const failures = first.trials - first.successes + second.trials - second.successes;
  const rowTotal = first.trials;
  const lowest = Math.max(0, rowTotal - failures);
  const highest = Math.min(rowTotal, successes);

  // Log-probabilities, shifted by their maximum before exp() so that large
  // tables do not underflow. The normalising constant cancels.
  const logProbabilities: number[] = [];
  for (let x = lowest; x <= highest; x++) {
    logProbabilities.push(logChoose(successes, x) + logChoose(failures, rowTotal - x));
  }
  // reduce() and not Math.max(...), which overflows the call stack on a support of 10^5 or more values.
  const maximum = logProbabilities.reduce((largest, value) => Math.max(largest, value), Number.NEGATIVE_INFINITY);
  const weights = logProbabilities.map((value) => Math.exp(value - maximum));
  const total = weights.reduce((sum, weight) => sum + weight, 0);

  const observed = (weights[first.successes - lowest] ?? 0) * (1 + 1e-7);
  const extreme = weights.filter((weight) => weight <= observed).reduce((sum, weight) => sum + weight, 0);
  return Math.min(1, extreme / total);
}
