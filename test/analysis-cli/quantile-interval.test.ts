import { describe, expect, it } from 'vitest';
import { quantileWithInterval } from '../../cli/analysis/quantile-interval.js';

const oneTo = (n: number) => Array.from({ length: n }, (_, index) => n - index);

describe('quantileWithInterval', () => {
  it('uses ranks 3 and 12 for the median of 14', () => {
    // Binomial(14, 0.5): P(B <= 2) = 0.0065 and P(B <= 11) = 0.9935, the ranks of standard tables.
    expect(quantileWithInterval(oneTo(14), 0.5)).toEqual({ value: 7.5, lower: 3, upper: 12 });
  });

  it('falls back to the range for 5 values', () => {
    expect(quantileWithInterval(oneTo(5), 0.5)).toEqual({ value: 3, lower: 1, upper: 5 });
  });

  it('brackets the 90th percentile of 1000 values', () => {
    const estimate = quantileWithInterval(oneTo(1000), 0.9)!;
    // Normal approximation: 900 ± 1.96·√(1000·0.9·0.1) = 900 ± 18.6.
    expect(estimate.lower).toBeGreaterThanOrEqual(880);
    expect(estimate.lower).toBeLessThanOrEqual(883);
    expect(estimate.upper).toBeGreaterThanOrEqual(918);
    expect(estimate.upper).toBeLessThanOrEqual(921);
  });

  it('stays finite for 100000 values', () => {
    const estimate = quantileWithInterval(oneTo(100_000), 0.5)!;
    expect(estimate.lower).toBeLessThan(50_000);
    expect(estimate.upper).toBeGreaterThan(50_000);
    expect(estimate.upper! - estimate.lower!).toBeLessThan(700);
  });

  it('returns undefined for no values', () => {
    expect(quantileWithInterval([], 0.5)).toBeUndefined();
  });
});
