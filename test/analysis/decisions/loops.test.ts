import { describe, expect, it } from 'vitest';

import { analyseLoops, type LoopSliceCounts } from '../../../analysis/decisions/index.js';

function team(name: string, values: Omit<LoopSliceCounts, 'kind' | 'name'>): LoopSliceCounts {
  return { kind: 'team', name, ...values };
}

describe('analyseLoops', () => {
  it('flags retries that repeat the failure', () => {
    const answer = analyseLoops({
      slices: [team('payments', { resolved: 100, oneShot: 35, autonomous: 37, retriesVerified: 80, retriesRepeated: 64 })],
    });
    const slice = answer.slices[0];

    expect(slice?.status).toBe('not_learning');
    expect(slice?.gap.estimate).toBeCloseTo(0.02, 12);
    expect(slice?.rescued.estimate).toBeCloseTo(2 / 65, 12);
    expect(answer.notLearning).toEqual(['team:payments']);
    expect(answer.significant).toBe(true);
    expect(slice?.sentence).toContain('Retries do not learn');
  });

  it('recognises retries that learn', () => {
    const answer = analyseLoops({
      slices: [team('payments', { resolved: 100, oneShot: 35, autonomous: 64, retriesVerified: 80, retriesRepeated: 12 })],
    });

    expect(answer.slices[0]?.status).toBe('learning');
    expect(answer.significant).toBe(false);
  });

  it('stays unclear with few runs', () => {
    const answer = analyseLoops({
      slices: [team('search', { resolved: 6, oneShot: 2, autonomous: 3, retriesVerified: 4, retriesRepeated: 2 })],
    });

    expect(answer.slices[0]?.status).toBe('unclear');
    expect(answer.slices[0]?.sentence).toContain('Not enough evidence');
  });

  it('handles a slice without misses or retries', () => {
    const answer = analyseLoops({
      slices: [{ kind: 'repository', name: 'docs', resolved: 5, oneShot: 5, autonomous: 5, retriesVerified: 0, retriesRepeated: 0 }],
    });

    expect(answer.slices[0]?.status).toBe('unclear');
    expect(answer.slices[0]?.rescued.estimate).toBeNaN();
  });

  it('rejects more repeated than verified retries', () => {
    expect(() =>
      analyseLoops({ slices: [team('x', { resolved: 1, oneShot: 0, autonomous: 0, retriesVerified: 1, retriesRepeated: 2 })] }),
    ).toThrow(/retriesRepeated \(2\) must not exceed/);
  });
});
