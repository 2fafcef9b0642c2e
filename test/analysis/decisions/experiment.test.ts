import { describe, expect, it } from 'vitest';

import { analyseExperiment, type ArmCounts } from '../../../analysis/decisions/index.js';

/** Builds an arm whose autonomous count equals its one-shot count, unless given. */
function arm(name: string, oneShot: number, resolved: number, extra: Partial<ArmCounts> = {}): ArmCounts {
  return { arm: name, resolved, oneShot, autonomous: oneShot, ...extra };
}

describe('analyseExperiment', () => {
  it('reports a significant lift', () => {
    const answer = analyseExperiment({ name: 'context', arms: [arm('control', 31, 100), arm('enriched', 52, 100)], weeks: 2 });
    const comparison = answer.comparisons[0];

    expect(answer.verdict.kind).toBe('significant');
    expect(answer.significant).toBe(true);
    expect(comparison?.test.test).toBe('z-test');
    expect(comparison?.difference?.estimate).toBeCloseTo(0.21, 12);
    expect(comparison?.difference?.lower).toBeGreaterThan(0);
    expect(answer.verdict.sentences.join(' ')).toContain('enriched has a higher one-shot success than control');
  });

  it('gives each arm Wilson intervals for both metrics', () => {
    const answer = analyseExperiment({
      name: 'context',
      arms: [arm('control', 31, 100, { autonomous: 40 }), arm('enriched', 52, 100, { autonomous: 70 })],
      weeks: 2,
    });

    expect(answer.arms.map((summary) => summary.arm)).toEqual(['control', 'enriched']);
    expect(answer.arms[0]?.oneShot.estimate).toBeCloseTo(0.31, 12);
    expect(answer.arms[1]?.autonomous.estimate).toBeCloseTo(0.7, 12);
    expect(answer.arms[1]?.autonomous.lower).toBeLessThan(0.7);
  });

  it('says there is not enough data at low volume', () => {
    const answer = analyseExperiment({ name: 'context', arms: [arm('control', 3, 10), arm('enriched', 5, 10)], weeks: 1 });
    const comparison = answer.comparisons[0];

    expect(answer.verdict.kind).toBe('too_little_data');
    expect(answer.significant).toBe(false);
    expect(comparison?.test.test).toBe('fisher-exact');
    expect(comparison?.minimumDetectableEffect?.effect).toBeGreaterThan(0.1);
    expect(comparison?.weeksToTarget?.weeks).toBeGreaterThan(0);
    expect(answer.verdict.sentences.join(' ')).toContain('not enough data yet');
    expect(answer.verdict.sentences.join(' ')).not.toMatch(/higher|lower one-shot/);
  });

  it('counts weeks at the current weekly rate', () => {
    const answer = analyseExperiment({ name: 'context', arms: [arm('control', 15, 50), arm('enriched', 20, 50)], weeks: 2 });
    const weeks = answer.comparisons[0]?.weeksToTarget;

    expect(answer.weeklyRuns).toBe(50);
    expect(weeks?.weeks).toBeCloseTo(((weeks?.requiredTrials ?? 0) - 100) / 50, 9);
  });

  it('says not significant when well powered', () => {
    const answer = analyseExperiment({
      name: 'context',
      arms: [arm('control', 1750, 3500), arm('enriched', 1785, 3500)],
      weeks: 2,
    });

    expect(answer.verdict.kind).toBe('not_significant');
    expect(answer.verdict.sentences.join(' ')).toContain('This does not show that the arms are equal');
  });

  it('stops at a sample-ratio mismatch', () => {
    const answer = analyseExperiment({ name: 'context', arms: [arm('control', 180, 600), arm('enriched', 210, 400)], weeks: 2 });

    expect(answer.sampleRatio.mismatch).toBe(true);
    expect(answer.verdict.kind).toBe('sample_ratio_mismatch');
    expect(answer.significant).toBe(false);
  });

  it('checks the split against planned weights', () => {
    const answer = analyseExperiment({
      name: 'context',
      arms: [arm('control', 210, 700, { plannedWeight: 70 }), arm('enriched', 156, 300, { plannedWeight: 30 })],
      weeks: 2,
    });

    expect(answer.sampleRatio.mismatch).toBe(false);
    expect(answer.verdict.kind).toBe('significant');
  });

  it('reports an empty arm', () => {
    const answer = analyseExperiment({ name: 'context', arms: [arm('control', 3, 10), arm('enriched', 0, 0)], weeks: 1 });

    expect(answer.verdict.kind).toBe('empty_arm');
    expect(answer.comparisons[0]?.difference).toBeNull();
    expect(answer.comparisons[0]?.test.pValue).toBe(1);
  });

  it('warns when complexity mix explains the lift', () => {
    const control = arm('control', 72, 200, {
      byComplexity: { trivial: { resolved: 20, oneShot: 18, autonomous: 18 }, complex: { resolved: 180, oneShot: 54, autonomous: 54 } },
    });
    const enriched = arm('enriched', 168, 200, {
      byComplexity: { trivial: { resolved: 180, oneShot: 162, autonomous: 162 }, complex: { resolved: 20, oneShot: 6, autonomous: 6 } },
    });
    const answer = analyseExperiment({ name: 'context', arms: [control, enriched], weeks: 2 });
    const comparison = answer.comparisons[0];

    expect(comparison?.significant).toBe(true);
    expect(comparison?.stratified?.pValue).toBeGreaterThan(0.5);
    expect(comparison?.stratifiedSignificant).toBe(false);
    expect(answer.verdict.sentences.join(' ')).toContain('different task mix');
  });

  it('applies Bonferroni with three arms', () => {
    const answer = analyseExperiment({
      name: 'context',
      arms: [arm('control', 31, 100), arm('specs', 52, 100), arm('search', 40, 100)],
      weeks: 2,
    });

    expect(answer.comparisons.map((comparison) => comparison.alpha)).toEqual([0.025, 0.025]);
    expect(answer.comparisons.map((comparison) => comparison.treatment)).toEqual(['specs', 'search']);
    expect(answer.verdict.sentences.join(' ')).toContain('Bonferroni');
  });

  it('compares with a named control arm', () => {
    const answer = analyseExperiment({
      name: 'context',
      arms: [arm('enriched', 52, 100), arm('control', 31, 100)],
      control: 'control',
      weeks: 2,
    });

    expect(answer.control).toBe('control');
    expect(answer.comparisons[0]?.treatment).toBe('enriched');
  });

  it('tests autonomous success when asked', () => {
    const answer = analyseExperiment({
      name: 'context',
      arms: [arm('control', 31, 100, { autonomous: 60 }), arm('enriched', 52, 100, { autonomous: 62 })],
      metric: 'autonomous',
      weeks: 2,
    });

    expect(answer.comparisons[0]?.difference?.estimate).toBeCloseTo(0.02, 12);
    expect(answer.significant).toBe(false);
  });

  it('rejects one-shot above autonomous', () => {
    expect(() =>
      analyseExperiment({ name: 'x', arms: [arm('a', 5, 10, { autonomous: 4 }), arm('b', 1, 10)], weeks: 1 }),
    ).toThrow(/oneShot <= autonomous <= resolved/);
  });

  it('rejects an unknown control arm', () => {
    expect(() =>
      analyseExperiment({ name: 'x', arms: [arm('a', 5, 10), arm('b', 1, 10)], control: 'c', weeks: 1 }),
    ).toThrow(/control arm c is not an arm/);
  });

  it('rejects duplicate arm names', () => {
    expect(() => analyseExperiment({ name: 'x', arms: [arm('a', 5, 10), arm('a', 1, 10)], weeks: 1 })).toThrow(/duplicate/);
  });

  it('rejects planned weights on some arms only', () => {
    expect(() =>
      analyseExperiment({ name: 'x', arms: [arm('a', 5, 10, { plannedWeight: 70 }), arm('b', 1, 10)], weeks: 1 }),
    ).toThrow(/every arm or for none/);
  });

  it('rejects a window of 0 weeks', () => {
    expect(() => analyseExperiment({ name: 'x', arms: [arm('a', 5, 10), arm('b', 1, 10)], weeks: 0 })).toThrow(/weeks/);
  });
});
