import { describe, expect, it } from 'vitest';

import { compareModels, type ModelComplexityCounts } from '../../../analysis/decisions/index.js';

function counts(model: string, complexity: string, oneShot: number, resolved: number): ModelComplexityCounts {
  return { model, complexity, resolved, oneShot, autonomous: oneShot };
}

const swap = [
  counts('frontier', 'standard', 63, 100),
  counts('open-weight', 'standard', 59, 100),
  counts('frontier', 'complex', 70, 100),
  counts('open-weight', 'complex', 35, 100),
  counts('frontier', 'architectural', 3, 4),
  counts('open-weight', 'architectural', 1, 4),
];

describe('compareModels', () => {
  it('prefers a model only where significant', () => {
    const answer = compareModels({ counts: swap });
    const routing = Object.fromEntries(answer.complexities.map((entry) => [entry.complexity, entry.routing]));

    expect(routing.complex?.kind).toBe('prefer');
    expect(routing.complex?.model).toBe('frontier');
    expect(routing.standard?.model).toBeNull();
    expect(routing.architectural?.kind).toBe('too_little_data');
    expect(answer.suggestion).toBe(
      'Route by complexity: complex to frontier; the data support no rule for the other complexities yet.',
    );
    expect(answer.significant).toBe(true);
  });

  it('orders complexities and models', () => {
    const answer = compareModels({ counts: swap });

    expect(answer.complexities.map((entry) => entry.complexity)).toEqual(['standard', 'complex', 'architectural']);
    expect(answer.complexities[0]?.models.map((entry) => entry.model)).toEqual(['frontier', 'open-weight']);
  });

  it('suggests a cheaper model shown not worse', () => {
    const answer = compareModels({
      counts: [counts('frontier', 'standard', 945, 1500), counts('open-weight', 'standard', 930, 1500)],
      costPerRun: { frontier: 1, 'open-weight': 0.2 },
    });
    const routing = answer.complexities[0]?.routing;

    expect(routing?.kind).toBe('cheaper_not_worse');
    expect(routing?.model).toBe('open-weight');
    expect(answer.suggestion).toBe('Route by complexity: standard to open-weight.');
  });

  it('suggests nothing without cost when no model is better', () => {
    const answer = compareModels({
      counts: [counts('frontier', 'standard', 945, 1500), counts('open-weight', 'standard', 930, 1500)],
    });

    expect(answer.complexities[0]?.routing.kind).toBe('no_difference_shown');
    expect(answer.suggestion).toBeNull();
    expect(answer.significant).toBe(false);
  });

  it('leaves out models without runs', () => {
    const answer = compareModels({ counts: [counts('frontier', 'trivial', 9, 10), counts('open-weight', 'trivial', 0, 0)] });

    expect(answer.complexities[0]?.models.map((entry) => entry.model)).toEqual(['frontier']);
    expect(answer.complexities[0]?.routing.kind).toBe('single_model');
  });

  it('uses Bonferroni across three models', () => {
    const answer = compareModels({
      counts: [counts('a', 'standard', 60, 100), counts('b', 'standard', 50, 100), counts('c', 'standard', 40, 100)],
    });

    expect(answer.complexities[0]?.alpha).toBe(0.025);
    expect(answer.complexities[0]?.comparisons).toHaveLength(2);
  });

  it('rejects a margin of 0', () => {
    expect(() => compareModels({ counts: swap, nonInferiorityMargin: 0 })).toThrow(/nonInferiorityMargin/);
  });
});
