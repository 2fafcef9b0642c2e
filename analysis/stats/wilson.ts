import { normalQuantile } from './distributions.js';
import type { Proportion, ProportionInterval } from './types.js';
import { checkProbability, checkProportion } from './validate.js';

/**
 * Computes the Wilson score interval of a proportion, the interval that R's
 * `prop.test(x, n, correct = FALSE)` reports. Unlike the Wald interval it stays
 * inside [0, 1] and keeps its coverage near 0 and 1 successes and at small n.
 * With no trials it returns the uninformative interval [0, 1] and estimate NaN.
 */
export function wilsonInterval(proportion: Proportion, confidence = 0.95): ProportionInterval {
  checkProportion(proportion, 'proportion');
  checkProbability(confidence, 'confidence');

  const { successes: x, trials: n } = proportion;
  if (n === 0) return { estimate: Number.NaN, lower: 0, upper: 1, confidence };

  const z = normalQuantile(1 - (1 - confidence) / 2);
  const zSquared = z * z;
  // (x + z²/2 ± z·sqrt(x(n-x)/n + z²/4)) / (n + z²), the form the Prometheus rules use too.
  const center = x + zSquared / 2;
  const halfWidth = z * Math.sqrt((x * (n - x)) / n + zSquared / 4);
  const denominator = n + zSquared;

  return {
    estimate: x / n,
    // Clamped because rounding can put a bound 1e-17 outside [0, 1] at x = 0 or x = n.
    lower: x === 0 ? 0 : Math.max(0, (center - halfWidth) / denominator),
    upper: x === n ? 1 : Math.min(1, (center + halfWidth) / denominator),
    confidence,
  };
}
