import { normalCdf, normalQuantile } from './distributions.js';
import { checkCount, checkProbability } from './validate.js';

/** Significance level and power of a planned comparison. */
export interface PowerOptions {
  /** Two-sided significance level. Default 0.05. */
  alpha?: number;
  /** Probability of detecting an effect of the stated size. Default 0.8. */
  power?: number;
}

/** The smallest lift that the current volume detects. */
export interface DetectableEffect {
  /** Detectable rate minus the baseline rate, in proportion units (0.1 = 10 percentage points). */
  effect: number;
  /** Baseline rate plus effect. */
  detectableRate: number;
}

/** Trials a lift needs, and the weeks until they are reached at the current weekly volume. */
export interface WeeksToDetect {
  /** Trials over both arms that give the requested power. */
  requiredTrials: number;
  /** Required trials minus the trials so far, at least 0. */
  remainingTrials: number;
  /** remainingTrials / weeklyTrials. Infinity when more trials are needed but none arrive. */
  weeks: number;
}

/**
 * Computes the power of the two-sided pooled z-test of p1 = p2 with n1 and n2
 * trials, ignoring the negligible far tail as R's `power.prop.test(strict =
 * FALSE)` does. For n1 = n2 it equals that function's power. Unequal arms use
 * the pooled rate (n1·p1 + n2·p2) / (n1 + n2) under the null hypothesis.
 */
export function twoProportionPower(p1: number, p2: number, n1: number, n2: number, alpha = 0.05): number {
  checkProbability(alpha, 'alpha');
  if (n1 <= 0 || n2 <= 0) return 0;

  const pooled = (n1 * p1 + n2 * p2) / (n1 + n2);
  const nullError = Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  const alternativeError = Math.sqrt((p1 * (1 - p1)) / n1 + (p2 * (1 - p2)) / n2);
  if (alternativeError === 0) return Math.abs(p1 - p2) > 0 ? 1 : 0;

  const zAlpha = normalQuantile(1 - alpha / 2);
  return normalCdf((Math.abs(p1 - p2) - zAlpha * nullError) / alternativeError);
}

/**
 * Finds the smallest lift above `baseline` that a two-sided test at `alpha`
 * detects with probability `power`, with `controlTrials` trials at the
 * baseline and `treatmentTrials` in the other arm. Returns null when even a
 * rate of 1 would not reach that power. The search is a bisection to 1e-12.
 */
export function minimumDetectableEffect(
  baseline: number,
  controlTrials: number,
  treatmentTrials: number,
  options: PowerOptions = {},
): DetectableEffect | null {
  const { alpha, power } = resolveOptions(options);
  checkRate(baseline, 'baseline');
  checkCount(controlTrials, 'controlTrials');
  checkCount(treatmentTrials, 'treatmentTrials');

  const powerAt = (rate: number): number => twoProportionPower(baseline, rate, controlTrials, treatmentTrials, alpha);
  if (baseline >= 1 || powerAt(1) < power) return null;

  let low = baseline;
  let high = 1;
  while (high - low > 1e-12) {
    const middle = (low + high) / 2;
    if (powerAt(middle) < power) low = middle;
    else high = middle;
  }
  return { effect: high - baseline, detectableRate: high };
}

/**
 * Computes the trials over both arms that detect a lift from `baseline` to
 * `baseline + effect` with the given power, when arm shares are `shares`
 * (relative weights, control first; default equal). The closed form solves
 * twoProportionPower() for the total: for equal shares, half of it is R's
 * `power.prop.test(p1, p2, power = power)$n`. Not rounded up.
 */
export function requiredTrials(
  baseline: number,
  effect: number,
  options: PowerOptions & { shares?: readonly [number, number] } = {},
): number {
  const { alpha, power } = resolveOptions(options);
  checkRate(baseline, 'baseline');
  const target = baseline + effect;
  if (!(effect > 0) || target > 1) {
    throw new RangeError(`effect must be above 0 with baseline + effect <= 1, got baseline ${baseline} and effect ${effect}`);
  }
  const [controlWeight, treatmentWeight] = options.shares ?? [1, 1];
  if (!(controlWeight > 0) || !(treatmentWeight > 0)) {
    throw new RangeError(`shares must both be positive, got [${controlWeight}, ${treatmentWeight}]`);
  }

  const control = controlWeight / (controlWeight + treatmentWeight);
  const treatment = 1 - control;
  const pooled = control * baseline + treatment * target;
  const zAlpha = normalQuantile(1 - alpha / 2);
  const zBeta = normalQuantile(power);
  const nullTerm = zAlpha * Math.sqrt(pooled * (1 - pooled) * (1 / control + 1 / treatment));
  const alternativeTerm = zBeta * Math.sqrt((baseline * (1 - baseline)) / control + (target * (1 - target)) / treatment);
  return (nullTerm + alternativeTerm) ** 2 / effect ** 2;
}

/**
 * Computes how many more weeks at `weeklyTrials` (trials per week over both
 * arms) a lift of `effect` over `baseline` needs, given `currentTrials` so far.
 */
export function weeksToDetect(
  baseline: number,
  effect: number,
  currentTrials: number,
  weeklyTrials: number,
  options: PowerOptions & { shares?: readonly [number, number] } = {},
): WeeksToDetect {
  checkCount(currentTrials, 'currentTrials');
  if (!(weeklyTrials >= 0) || !Number.isFinite(weeklyTrials)) {
    throw new RangeError(`weeklyTrials must be a finite number of 0 or more, got ${weeklyTrials}`);
  }

  const required = requiredTrials(baseline, effect, options);
  const remainingTrials = Math.max(0, required - currentTrials);
  let weeks = 0;
  if (remainingTrials > 0) weeks = weeklyTrials > 0 ? remainingTrials / weeklyTrials : Number.POSITIVE_INFINITY;
  return { requiredTrials: required, remainingTrials, weeks };
}

function resolveOptions(options: PowerOptions): { alpha: number; power: number } {
  const alpha = options.alpha ?? 0.05;
  const power = options.power ?? 0.8;
  checkProbability(alpha, 'alpha');
  checkProbability(power, 'power');
  return { alpha, power };
}

function checkRate(rate: number, name: string): void {
  if (!(rate >= 0 && rate <= 1)) throw new RangeError(`${name} must be a rate from 0 to 1, got ${rate}`);
}
