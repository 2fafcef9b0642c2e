import type { Interval, Proportion } from './types.js';
import { checkProbability } from './validate.js';
import { wilsonInterval } from './wilson.js';

/** A difference of two proportions, first minus second, with its interval. */
export interface DifferenceInterval extends Interval {
  /** p1 - p2, from -1 to 1. */
  estimate: number;
}

/**
 * Computes Newcombe's hybrid score interval for p1 - p2 (method 10 of Newcombe,
 * Statistics in Medicine 17, 1998, without continuity correction). It combines
 * the two Wilson intervals, so it stays inside [-1, 1] and behaves at 0 and at
 * 100 %. Throws a RangeError when either proportion has no trials, because the
 * difference is then undefined.
 */
export function newcombeInterval(first: Proportion, second: Proportion, confidence = 0.95): DifferenceInterval {
  checkProbability(confidence, 'confidence');
  const a = wilsonInterval(first, confidence);
  const b = wilsonInterval(second, confidence);
  if (first.trials === 0 || second.trials === 0) {
    throw new RangeError(
      `a difference needs trials in both proportions, got ${first.trials} and ${second.trials} trials`,
    );
  }

  const difference = a.estimate - b.estimate;
  const below = Math.sqrt((a.estimate - a.lower) ** 2 + (b.upper - b.estimate) ** 2);
  const above = Math.sqrt((a.upper - a.estimate) ** 2 + (b.estimate - b.lower) ** 2);
  return { estimate: difference, lower: difference - below, upper: difference + above, confidence };
}
