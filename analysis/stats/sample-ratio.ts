import { chiSquareUpperTail } from './distributions.js';
import { checkCount, checkProbability } from './validate.js';

/**
 * P-value below which a split counts as mismatched. A sample-ratio mismatch
 * means the assignment or the recording is broken, which invalidates the whole
 * comparison, so the check uses a strict threshold that rarely fires by chance
 * (1 experiment in 1,000 with a correct split).
 */
export const SAMPLE_RATIO_ALPHA = 0.001;

/** Result of a sample-ratio-mismatch check. */
export interface SampleRatioCheck {
  /** Pearson's chi-square statistic of the observed counts against the planned split. */
  chiSquare: number;
  /** Arms minus 1. */
  degreesOfFreedom: number;
  pValue: number;
  /** The counts expected from the planned split, in the order of the arms. */
  expected: number[];
  /** True when pValue < alpha. */
  mismatch: boolean;
  alpha: number;
}

/**
 * Checks observed arm sizes against a planned split with Pearson's chi-square
 * goodness-of-fit test, as R's `chisq.test(observed, p = planned)` does.
 * `plannedWeights` are relative (for example [1, 1] or [70, 30]) and default to
 * an equal split. With no observations there is no evidence of a mismatch: the
 * statistic is 0 and the p-value 1.
 */
export function sampleRatioMismatch(
  observed: readonly number[],
  plannedWeights?: readonly number[],
  alpha = SAMPLE_RATIO_ALPHA,
): SampleRatioCheck {
  if (observed.length < 2) {
    throw new RangeError(`a sample-ratio check needs at least 2 arms, got ${observed.length}`);
  }
  observed.forEach((count, index) => checkCount(count, `observed[${index}]`));
  checkProbability(alpha, 'alpha');

  const weights = plannedWeights ?? observed.map(() => 1);
  if (weights.length !== observed.length) {
    throw new RangeError(
      `plannedWeights has ${weights.length} entries but observed has ${observed.length}; give one weight per arm`,
    );
  }
  weights.forEach((weight, index) => {
    if (!(weight > 0 && Number.isFinite(weight))) {
      throw new RangeError(`plannedWeights[${index}] must be a positive number, got ${weight}`);
    }
  });

  const total = observed.reduce((sum, count) => sum + count, 0);
  const weightTotal = weights.reduce((sum, weight) => sum + weight, 0);
  const expected = weights.map((weight) => (total * weight) / weightTotal);
  const degreesOfFreedom = observed.length - 1;
  if (total === 0) {
    return { chiSquare: 0, degreesOfFreedom, pValue: 1, expected, mismatch: false, alpha };
  }

  const chiSquare = observed.reduce((sum, count, index) => {
    const expectedCount = expected[index] as number;
    return sum + (count - expectedCount) ** 2 / expectedCount;
  }, 0);
  const pValue = chiSquareUpperTail(chiSquare, degreesOfFreedom);
  return { chiSquare, degreesOfFreedom, pValue, expected, mismatch: pValue < alpha, alpha };
}
