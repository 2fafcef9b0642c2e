// Checks the statistics that the experiment recording rules compute in PromQL
// against R: the literals of the Wilson bounds and of the sample-ratio
// threshold, and the Wilson bounds that the promtool tests expect.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';

import { wilsonInterval } from '../../../analysis/stats/index.js';

const repoRoot = resolve(import.meta.dirname, '..', '..', '..');

interface Rule {
  record?: string;
  expr: string;
}

const rules = (
  parseYaml(readFileSync(join(repoRoot, 'prometheus/rules/factory-experiments.rules.yml'), 'utf8')) as {
    groups: Array<{ rules: Rule[] }>;
  }
).groups.flatMap((group) => group.rules);

const quantiles = (
  JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'reference.json'), 'utf8')) as {
    quantiles: { normal975: number; chiSquare999: number[] };
  }
).quantiles;

/** The fixture keeps 15 significant digits, so the literals must agree to about 1e-14. */
const LITERAL_TOLERANCE = 1e-13;

function exprOf(record: string): string {
  const rule = rules.find((candidate) => candidate.record === record);
  if (rule === undefined) throw new Error(`rule ${record} not found in factory-experiments.rules.yml`);
  return rule.expr;
}

function literalsOf(expr: string): number[] {
  return [...expr.matchAll(/(?<![\w.])\d+\.\d+/g)].map((match) => Number(match[0]));
}

describe('Wilson bound rules', () => {
  const z = quantiles.normal975;
  const expected = [z, z * z, (z * z) / 2, (z * z) / 4].sort((a, b) => a - b);

  it.each([
    'experiment_arm:factory_one_shot_success:wilson_lower95_14d',
    'experiment_arm:factory_one_shot_success:wilson_upper95_14d',
    'experiment_arm:factory_autonomous_success:wilson_lower95_14d',
    'experiment_arm:factory_autonomous_success:wilson_upper95_14d',
  ])('%s uses z = qnorm(0.975) from R', (record) => {
    const literals = [...new Set(literalsOf(exprOf(record)))].sort((a, b) => a - b);

    expect(literals).toHaveLength(expected.length);
    literals.forEach((literal, index) => {
      const reference = expected[index] as number;
      expect(Math.abs(literal - reference) / reference, `${literal} against ${reference}`).toBeLessThan(LITERAL_TOLERANCE);
    });
  });
});

describe('sample-ratio flag rule', () => {
  const expr = exprOf('experiment:factory_arm_split_mismatch:flag_14d');
  const thresholds = [...expr.matchAll(/\+ (\d+\.\d+)\) and on \(experiment\) \(experiment:factory_experiment_arms:count_14d == (\d+)\)/g)].map(
    (match) => ({ critical: Number(match[1]), arms: Number(match[2]) }),
  );

  it('has a threshold for 2 to 6 arms', () => {
    expect(thresholds.map((threshold) => threshold.arms)).toEqual([2, 3, 4, 5, 6]);
  });

  it.each(thresholds)('uses qchisq(0.999) from R for $arms arms', ({ critical, arms }) => {
    const reference = quantiles.chiSquare999[arms - 2] as number;

    expect(Math.abs(critical - reference) / reference, `${critical} against ${reference}`).toBeLessThan(LITERAL_TOLERANCE);
  });
});

describe('promtool expectations', () => {
  /** Successes and resolved runs in the window of each arm, as the test file's header lists them. */
  const arms: Record<string, { oneShot: number; autonomous: number; resolved: number }> = {
    'context/control': { oneShot: 31, autonomous: 40, resolved: 100 },
    'context/enriched': { oneShot: 52, autonomous: 62, resolved: 100 },
    'routing/a': { oneShot: 20, autonomous: 70, resolved: 150 },
    'routing/b': { oneShot: 100, autonomous: 100, resolved: 100 },
    'routing/c': { oneShot: 0, autonomous: 0, resolved: 50 },
    'tiny/x': { oneShot: 2, autonomous: 2, resolved: 2 },
  };
  const unitTests = parseYaml(readFileSync(join(repoRoot, 'prometheus/tests/experiments.test.yml'), 'utf8')) as {
    tests: Array<{ promql_expr_test?: Array<{ expr: string; exp_samples?: Array<{ labels: string; value: number }> }> }>;
  };
  const samples = unitTests.tests
    .flatMap((group) => group.promql_expr_test ?? [])
    .flatMap((testCase) => testCase.exp_samples ?? [])
    .filter((sample) => sample.labels.includes(':wilson_'));

  it('cover every Wilson rule', () => {
    expect(new Set(samples.map((sample) => sample.labels.split('{')[0])).size).toBe(4);
  });

  it.each(samples.map((sample) => [sample.labels, sample.value] as const))('%s agrees with R', (labels, value) => {
    const match = /:factory_(one_shot|autonomous)_success:wilson_(lower|upper)95_14d\{experiment="([^"]+)", arm="([^"]+)"\}/.exec(labels);
    expect(match, `unexpected labels ${labels}`).not.toBeNull();
    const [, metric, bound, experiment, arm] = match as RegExpExecArray;
    const counts = arms[`${experiment}/${arm}`];
    expect(counts, `no counts for ${experiment}/${arm}`).toBeDefined();

    const successes = metric === 'one_shot' ? counts?.oneShot ?? 0 : counts?.autonomous ?? 0;
    const interval = wilsonInterval({ successes, trials: counts?.resolved ?? 0 });
    const reference = bound === 'lower' ? interval.lower : interval.upper;
    expect(Math.abs(value - reference), `${value} against ${reference}`).toBeLessThan(1e-12);
  });
});
