import jstatModule from 'jstat';
import { exactQuantile } from '../../analysis/index.js';
import type { QuantileEstimate } from './source.js';

const { jStat } = jstatModule;

/**
 * The exact quantile `q` of durations with a distribution-free 95% interval
 * from order statistics: the number of values below the true quantile is
 * Binomial(n, q), so [x(l), x(u)] covers it with probability
 * P(l <= B < u) >= 0.95, where l and u cut 2.5% from each tail of B. With too
 * few values for that coverage (fewer than 6 for the median), the interval is
 * the range of the values and covers less than 95%.
 */
export function quantileWithInterval(values: readonly number[], q: number, confidence = 0.95): QuantileEstimate | undefined {
  if (values.length === 0) return undefined;
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  const tail = (1 - confidence) / 2;

  // Cumulative binomial probabilities in log space, because (1 - q)^n underflows for large n.
  const logQ = Math.log(q);
  const logNotQ = Math.log1p(-q);
  const logNFactorial = jStat.gammaln(n + 1);
  let cumulative = 0;
  let lowerRank = 1;
  let upperRank = n;
  let upperFound = false;
  for (let k = 0; k < n; k += 1) {
    cumulative += Math.exp(logNFactorial - jStat.gammaln(k + 1) - jStat.gammaln(n - k + 1) + k * logQ + (n - k) * logNotQ);
    // x(l) <= quantile when B >= l, so the lower rank l is the largest with P(B <= l - 1) <= tail.
    if (cumulative <= tail) lowerRank = k + 1;
    if (!upperFound && cumulative >= 1 - tail) {
      upperRank = k + 1;
      upperFound = true;
      break;
    }
  }
  return { value: exactQuantile(sorted, q), lower: sorted[Math.min(lowerRank, n) - 1]!, upper: sorted[upperRank - 1]! };
}
