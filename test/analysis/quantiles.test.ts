import { describe, expect, it } from 'vitest';

import { cumulativeBuckets, exactQuantile, histogramQuantile, summarizeDurations } from '../../analysis/index.js';

describe('cumulativeBuckets', () => {
  it('puts a value equal to a bound into that bucket', () => {
    expect(cumulativeBuckets([60, 61, 300, 1e9], [60, 300])).toEqual([
      { le: 60, count: 1 },
      { le: 300, count: 3 },
      { le: Number.POSITIVE_INFINITY, count: 4 },
    ]);
  });
});

describe('histogramQuantile', () => {
  const buckets = cumulativeBuckets([30, 100, 200, 5000], [60, 300]);

  it('interpolates inside the bucket of the rank', () => {
    // rank 2 of 4 falls in (60, 300] holding observations 2 and 3: 60 + 240 * 1/2.
    expect(histogramQuantile(0.5, buckets)).toBe(180);
  });

  it('starts the first bucket at 0', () => {
    // rank 0.4 of 1 in [0, 60].
    expect(histogramQuantile(0.1, buckets)).toBeCloseTo(24, 10);
  });

  it('returns the highest finite bound above it', () => {
    expect(histogramQuantile(0.9, buckets)).toBe(300);
  });

  it('returns the bound of a first bucket at 0', () => {
    expect(histogramQuantile(0.5, cumulativeBuckets([0, 0, 1], [0, 1, 2]))).toBe(0);
  });

  it('returns NaN without observations', () => {
    expect(histogramQuantile(0.5, cumulativeBuckets([], [60]))).toBeNaN();
  });
});

describe('exactQuantile', () => {
  // Reference values from R 4.x: quantile(c(1, 2, 3, 4), c(0.5, 0.9)) gives 2.5 and 3.7 (type 7).
  it('matches R type 7', () => {
    expect(exactQuantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(exactQuantile([1, 2, 3, 4], 0.9)).toBeCloseTo(3.7, 12);
  });

  it('returns the only value of one', () => {
    expect(exactQuantile([7], 0.9)).toBe(7);
  });

  it('returns NaN for no values', () => {
    expect(exactQuantile([], 0.5)).toBeNaN();
  });
});

describe('summarizeDurations', () => {
  it('sorts before taking quantiles', () => {
    const summary = summarizeDurations([400, 100, 300, 200]);
    expect(summary?.count).toBe(4);
    expect(summary?.p50).toBe(250);
    expect(summary?.p50Estimate).toBe(60 + 240 * (2 - 0) / 3);
  });

  it('returns undefined for no durations', () => {
    expect(summarizeDurations([])).toBeUndefined();
  });
});
