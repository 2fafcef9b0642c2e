// Behaviour of analysis/stats outside what R computes: empty arms, the choice
// of test, input errors and the power helpers' limits.
import { describe, expect, it } from 'vitest';

import {
  compareProportions,
  fisherExactPValue,
  mantelHaenszel,
  minimumDetectableEffect,
  newcombeInterval,
  requiredTrials,
  sampleRatioMismatch,
  twoProportionPower,
  twoProportionZTest,
  weeksToDetect,
  wilsonInterval,
} from '../../../analysis/stats/index.js';

describe('wilsonInterval', () => {
  it('returns [0, 1] without trials', () => {
    const interval = wilsonInterval({ successes: 0, trials: 0 });

    expect(interval.estimate).toBeNaN();
    expect(interval.lower).toBe(0);
    expect(interval.upper).toBe(1);
  });

  it('rejects more successes than trials', () => {
    expect(() => wilsonInterval({ successes: 3, trials: 2 })).toThrow(/successes \(3\) must not exceed/);
  });

  it('rejects fractional counts', () => {
    expect(() => wilsonInterval({ successes: 1.5, trials: 2 })).toThrow(/whole number/);
  });

  it('rejects a confidence of 1', () => {
    expect(() => wilsonInterval({ successes: 1, trials: 2 }, 1)).toThrow(/confidence/);
  });
});

describe('newcombeInterval', () => {
  it('rejects an arm without trials', () => {
    expect(() => newcombeInterval({ successes: 0, trials: 0 }, { successes: 1, trials: 4 })).toThrow(/trials in both/);
  });
});

describe('compareProportions', () => {
  it('uses the z-test when expected counts are at least 5', () => {
    const result = compareProportions({ successes: 31, trials: 100 }, { successes: 52, trials: 100 });

    expect(result.test).toBe('z-test');
  });

  it('uses Fisher when an expected count is below 5', () => {
    // Expected successes in each arm: 20 · 6/40 = 3.
    const result = compareProportions({ successes: 1, trials: 20 }, { successes: 5, trials: 20 });

    expect(result.test).toBe('fisher-exact');
    expect(result.pValue).toBeCloseTo(fisherExactPValue({ successes: 1, trials: 20 }, { successes: 5, trials: 20 }), 15);
  });

  it('returns 1 for an empty arm', () => {
    const result = compareProportions({ successes: 0, trials: 0 }, { successes: 3, trials: 5 });

    expect(result.test).toBe('fisher-exact');
    expect(result.pValue).toBe(1);
  });

  it('returns 1 when every trial succeeded', () => {
    const result = compareProportions({ successes: 50, trials: 50 }, { successes: 70, trials: 70 });

    expect(result.test).toBe('fisher-exact');
    expect(result.pValue).toBe(1);
  });
});

describe('fisherExactPValue', () => {
  it('handles a support of 400,000 tables', () => {
    const pValue = fisherExactPValue({ successes: 200_000, trials: 400_000 }, { successes: 200_000, trials: 400_000 });

    expect(pValue).toBeCloseTo(1, 6);
  });
});

describe('twoProportionZTest', () => {
  it('rejects a pooled rate of 0', () => {
    expect(() => twoProportionZTest({ successes: 0, trials: 10 }, { successes: 0, trials: 10 })).toThrow(/fisherExactPValue/);
  });

  it('gives a negative z when the first rate is lower', () => {
    expect(twoProportionZTest({ successes: 31, trials: 100 }, { successes: 52, trials: 100 }).statistic).toBeLessThan(0);
  });
});

describe('sampleRatioMismatch', () => {
  it('flags 600 against 400 on a planned 50:50 split', () => {
    expect(sampleRatioMismatch([600, 400]).mismatch).toBe(true);
  });

  it('accepts 600 against 400 on a planned 60:40 split', () => {
    expect(sampleRatioMismatch([600, 400], [60, 40]).mismatch).toBe(false);
  });

  it('returns a p-value of 1 without observations', () => {
    const check = sampleRatioMismatch([0, 0, 0]);

    expect(check.pValue).toBe(1);
    expect(check.degreesOfFreedom).toBe(2);
  });

  it('rejects a single arm', () => {
    expect(() => sampleRatioMismatch([10])).toThrow(/at least 2 arms/);
  });

  it('rejects weights that do not match the arms', () => {
    expect(() => sampleRatioMismatch([10, 10], [1, 1, 1])).toThrow(/one weight per arm/);
  });

  it('rejects a zero weight', () => {
    expect(() => sampleRatioMismatch([10, 10], [1, 0])).toThrow(/plannedWeights\[1\]/);
  });
});

describe('minimumDetectableEffect', () => {
  it('returns null when even 100 % is out of reach', () => {
    expect(minimumDetectableEffect(0.5, 3, 3)).toBeNull();
  });

  it('returns null without control trials', () => {
    expect(minimumDetectableEffect(0.3, 0, 100)).toBeNull();
  });

  it('reaches the requested power at its result with unequal arms', () => {
    const result = minimumDetectableEffect(0.31, 150, 50);

    expect(result).not.toBeNull();
    expect(twoProportionPower(0.31, result?.detectableRate ?? 0, 150, 50)).toBeCloseTo(0.8, 9);
  });

  it('shrinks as the arms grow', () => {
    const small = minimumDetectableEffect(0.31, 100, 100)?.effect ?? 0;
    const large = minimumDetectableEffect(0.31, 400, 400)?.effect ?? 0;

    expect(large).toBeLessThan(small);
  });
});

describe('requiredTrials', () => {
  it('gives the power it was asked for with unequal shares', () => {
    const total = requiredTrials(0.31, 0.21, { shares: [3, 1] });

    expect(twoProportionPower(0.31, 0.52, total * 0.75, total * 0.25)).toBeCloseTo(0.8, 9);
  });

  it('rejects an effect past 100 %', () => {
    expect(() => requiredTrials(0.9, 0.2)).toThrow(/baseline \+ effect <= 1/);
  });
});

describe('weeksToDetect', () => {
  it('divides the missing trials by the weekly volume', () => {
    const required = requiredTrials(0.31, 0.1);
    const result = weeksToDetect(0.31, 0.1, 100, 50);

    expect(result.remainingTrials).toBeCloseTo(required - 100, 9);
    expect(result.weeks).toBeCloseTo((required - 100) / 50, 9);
  });

  it('returns 0 weeks once enough trials are in', () => {
    expect(weeksToDetect(0.31, 0.21, 10_000, 50).weeks).toBe(0);
  });

  it('returns Infinity without weekly volume', () => {
    expect(weeksToDetect(0.31, 0.1, 10, 0).weeks).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('mantelHaenszel', () => {
  it('skips strata with fewer than 2 trials', () => {
    const result = mantelHaenszel([
      { name: 'trivial', first: { successes: 1, trials: 1 }, second: { successes: 0, trials: 0 } },
      { name: 'standard', first: { successes: 30, trials: 50 }, second: { successes: 20, trials: 50 } },
    ]);

    expect(result.skippedStrata).toEqual(['trivial']);
    expect(result.strata).toEqual(['standard']);
  });

  it('equals the z-test squared for one stratum', () => {
    const first = { successes: 30, trials: 50 };
    const second = { successes: 20, trials: 50 };
    const z = twoProportionZTest(first, second).statistic;

    // The CMH variance uses n - 1 where the z-test uses n.
    expect(mantelHaenszel([{ name: 'only', first, second }]).statistic).toBeCloseTo((z * z * 99) / 100, 9);
  });

  it('returns no odds ratio when one arm never fails', () => {
    const result = mantelHaenszel([
      { name: 'a', first: { successes: 5, trials: 5 }, second: { successes: 2, trials: 5 } },
      { name: 'b', first: { successes: 4, trials: 4 }, second: { successes: 1, trials: 4 } },
    ]);

    expect(result.oddsRatio).toBeNull();
    expect(result.riskDifference).not.toBeNull();
  });

  it('returns p = 1 when no stratum has both arms', () => {
    const result = mantelHaenszel([
      { name: 'a', first: { successes: 3, trials: 5 }, second: { successes: 0, trials: 0 } },
      { name: 'b', first: { successes: 0, trials: 0 }, second: { successes: 1, trials: 4 } },
    ]);

    expect(result.pValue).toBe(1);
    expect(result.riskDifference).toBeNull();
  });
});
