import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

import { collectRuns, evaluateRecordingRules, factoryMetrics, windowEndingAt, type RuleSample, type SpanRecord } from '../../analysis/index.js';
import { NOW, outcome, span } from './spans.js';
import { wilsonInterval } from '../../analysis/stats/index.js';

const window = windowEndingAt(NOW);

async function evaluate(spans: SpanRecord[]): Promise<RuleSample[]> {
  return evaluateRecordingRules((await collectRuns(spans)).runs.values(), window);
}

function value(samples: RuleSample[], rule: string, labels: Record<string, string> = {}): number | undefined {
  const found = samples.filter((sample) => sample.rule === rule && JSON.stringify(sample.labels) === JSON.stringify(labels));
  if (found.length > 1) throw new Error(`${found.length} samples of ${rule} ${JSON.stringify(labels)}`);
  return found[0]?.value;
}

const merged = { 'factory.outcome.status': 'merged', 'factory.outcome.one_shot': true, 'factory.outcome.autonomous': true };
const retried = { 'factory.outcome.status': 'merged', 'factory.outcome.one_shot': false, 'factory.outcome.autonomous': true };
const closed = { 'factory.outcome.status': 'closed', 'factory.outcome.one_shot': false, 'factory.outcome.autonomous': false };

/** A factory with every kind of span the rules read. */
function fullFactory(): SpanRecord[] {
  const labels = { 'gen_ai.request.model': 'm1', 'factory.task.complexity': 'standard', 'factory.team': 'core', 'vcs.repository.name': 'acme/api' };
  return [
    span('factory.run', 'r1', labels),
    outcome('r1', { model: 'm1', complexity: 'standard', team: 'core', repository: 'acme/api' }, { ...merged, 'factory.outcome.cost_usd': 0.5, 'factory.outcome.attempts': 1, 'factory.context.complete': true, 'factory.experiment.name': 'e1', 'factory.experiment.arm': 'a' }),
    outcome('r2', { model: 'm1', complexity: 'complex', team: 'core', repository: 'acme/api' }, { ...retried, 'factory.outcome.cost_usd': 1.25, 'factory.outcome.attempts': 3, 'factory.context.complete': false, 'factory.experiment.name': 'e1', 'factory.experiment.arm': 'b' }),
    outcome('r3', { model: 'm2', complexity: 'complex' }, closed),
    span('factory.verification', 'r2', { ...labels, 'factory.failure.repeated': true, 'factory.feedback.specific': false }),
    span('factory.verification', 'r2', { ...labels, 'factory.failure.repeated': false, 'factory.feedback.specific': true }),
    span('factory.review', 'r1', { 'vcs.change.state': 'merged' }, { seconds: 3000 }),
    span('factory.review', 'r3', { 'vcs.change.state': 'closed' }, { seconds: 10 }),
    span('factory.deployment', 'r1', { 'deployment.environment.name': 'production' }, { seconds: 7000 }),
    span('factory.deployment', 'r2', { 'deployment.environment.name': 'production' }, { seconds: 50, error: true }),
    span('factory.deployment', 'r2', { 'deployment.environment.name': 'staging' }, { seconds: 50 }),
  ];
}

describe('evaluateRecordingRules', () => {
  it('writes every recording rule of the rule files', async () => {
    const rulesDirectory = join(import.meta.dirname, '..', '..', 'prometheus', 'rules');
    const names = new Set<string>();
    for (const file of ['factory-metrics.rules.yml', 'factory-experiments.rules.yml', 'factory-alerts.rules.yml']) {
      const document = parse(readFileSync(join(rulesDirectory, file), 'utf8')) as { groups: Array<{ rules: Array<{ record?: string }> }> };
      for (const group of document.groups) for (const rule of group.rules) if (rule.record !== undefined) names.add(rule.record);
    }
    const emitted = new Set((await evaluate(fullFactory())).map((sample) => sample.rule));
    expect([...emitted].sort()).toEqual([...names].sort());
  });

  it('counts outcomes per model and complexity', async () => {
    const samples = await evaluate(fullFactory());
    expect(value(samples, 'model_complexity:factory_runs_resolved:increase_7d', { model: 'm1', complexity: 'standard' })).toBe(1);
    expect(value(samples, 'model:factory_runs_resolved:increase_7d', { model: 'm1' })).toBe(2);
    expect(value(samples, 'factory:runs_resolved:increase_7d')).toBe(3);
    expect(value(samples, 'factory:one_shot_success:ratio_7d')).toBeCloseTo(1 / 3, 12);
    expect(value(samples, 'factory:autonomous_success:ratio_7d')).toBeCloseTo(2 / 3, 12);
  });

  it('fills a slice without one-shot runs with 0', async () => {
    const samples = await evaluate(fullFactory());
    expect(value(samples, 'model_complexity:factory_runs_one_shot:increase_7d', { model: 'm2', complexity: 'complex' })).toBe(0);
    expect(value(samples, 'model:factory_one_shot_success:ratio_7d', { model: 'm2' })).toBe(0);
  });

  it('leaves out empty labels', async () => {
    const samples = await evaluate(fullFactory());
    expect(value(samples, 'team:factory_runs_resolved:increase_7d', {})).toBe(1);
    expect(value(samples, 'team:factory_runs_resolved:increase_7d', { team: 'core' })).toBe(2);
  });

  it('fills resolved per repository from started runs', async () => {
    const samples = await evaluate([span('factory.run', 'r9', { 'vcs.repository.name': 'acme/web' })]);
    expect(value(samples, 'repository:factory_runs_started:increase_7d', { repository: 'acme/web' })).toBe(1);
    expect(value(samples, 'repository:factory_runs_resolved:increase_7d', { repository: 'acme/web' })).toBe(0);
    expect(value(samples, 'factory:runs_resolved:increase_7d')).toBeUndefined();
  });

  it('estimates cycle time and MLTC from buckets', async () => {
    const samples = await evaluate(fullFactory());
    expect(value(samples, 'factory:reviews_merged:increase_7d')).toBe(1);
    expect(value(samples, 'le:factory_cycle_time_seconds_bucket:increase_7d', { le: '1800' })).toBe(0);
    expect(value(samples, 'le:factory_cycle_time_seconds_bucket:increase_7d', { le: '3600' })).toBe(1);
    expect(value(samples, 'factory:cycle_time_seconds:p50_7d')).toBe(1800 + 1800 * 0.5);
    expect(value(samples, 'factory:deployments_succeeded:increase_7d')).toBe(1);
    expect(value(samples, 'factory:mltc_seconds:p90_7d')).toBe(3600 + 3600 * 0.9);
  });

  it('estimates team cycle time and MLTC', async () => {
    const samples = await evaluate([
      span('factory.review', 'c1', { 'factory.team': 'core', 'vcs.change.state': 'merged' }, { seconds: 3000 }),
      span('factory.review', 'c2', { 'factory.team': 'core', 'vcs.change.state': 'merged' }, { seconds: 20_000 }),
      span('factory.review', 'g1', { 'factory.team': 'growth', 'vcs.change.state': 'merged' }, { seconds: 100 }),
      span('factory.review', 'h1', { 'factory.team': 'growth', 'factory.author.kind': 'human', 'vcs.change.state': 'merged' }, { seconds: 50_000 }),
      span('factory.review', 'n1', { 'vcs.change.state': 'merged' }, { seconds: 4000 }),
      span('factory.deployment', 'c1', { 'factory.team': 'core', 'deployment.environment.name': 'production' }, { seconds: 7000 }),
      span('factory.deployment', 'g1', { 'factory.team': 'growth', 'deployment.environment.name': 'production' }, { seconds: 70, error: true }),
    ]);

    expect(value(samples, 'team:factory_reviews_merged:increase_7d', { team: 'core' })).toBe(2);
    expect(value(samples, 'team:factory_reviews_merged:increase_7d', { team: 'growth' })).toBe(1);
    expect(value(samples, 'team:factory_reviews_merged:increase_7d')).toBe(1);
    // Buckets (1800, 3600] and (14400, 28800] contain one review each, so the median is the first's upper bound.
    expect(value(samples, 'team_le:factory_cycle_time_seconds_bucket:increase_7d', { team: 'core', le: '3600' })).toBe(1);
    expect(value(samples, 'team_le:factory_cycle_time_seconds_bucket:increase_7d', { team: 'core', le: '+Inf' })).toBe(2);
    expect(value(samples, 'team:factory_cycle_time_seconds:p50_7d', { team: 'core' })).toBe(3600);
    expect(value(samples, 'team:factory_cycle_time_seconds:p50_7d', { team: 'growth' })).toBe(60 + (300 - 60) * 0.5);
    expect(value(samples, 'team:factory_cycle_time_seconds:p50_7d')).toBe(3600 + 3600 * 0.5);
    expect(value(samples, 'team:factory_mltc_seconds:p50_7d', { team: 'core' })).toBe(3600 + 3600 * 0.5);
    expect(value(samples, 'team_le:factory_mltc_seconds_bucket:increase_7d', { team: 'core', le: '7200' })).toBe(1);
    // Growth's only deployment failed: no MLTC series, as in Prometheus where its
    // buckets would not pass the status_code matcher.
    expect(value(samples, 'team:factory_deployments_succeeded:increase_7d', { team: 'growth' })).toBeUndefined();
    expect(value(samples, 'team:factory_mltc_seconds:p50_7d', { team: 'growth' })).toBeUndefined();
  });

  it('counts retries, feedback, cost and attempts', async () => {
    const samples = await evaluate(fullFactory());
    expect(value(samples, 'team_repository:factory_retries_verified:increase_7d', { team: 'core', repository: 'acme/api' })).toBe(2);
    expect(value(samples, 'factory:retry_repeated_failure:ratio_7d')).toBe(0.5);
    expect(value(samples, 'factory:verification_failures_specific:ratio_7d')).toBe(0.5);
    expect(value(samples, 'model:factory_run_cost_usd:sum_7d', { model: 'm1' })).toBe(1.75);
    expect(value(samples, 'model:factory_run_cost_usd:sum_7d', { model: 'm2' })).toBeUndefined();
    expect(value(samples, 'factory:cost_per_merged_run_usd:ratio_7d')).toBe(0.875);
    expect(value(samples, 'factory:run_attempts:mean_7d')).toBe(2);
    expect(value(samples, 'factory:run_attempts:p90_7d')).toBe(3);
    expect(value(samples, 'le:factory_run_attempts_bucket:sum_7d', { le: '0' })).toBe(0);
    expect(value(samples, 'context_complete:factory_one_shot_success:ratio_7d', { context_complete: 'true' })).toBe(1);
    expect(value(samples, 'context_complete:factory_one_shot_success:ratio_7d', { context_complete: 'false' })).toBe(0);
  });

  it('counts by end time in (start, end]', async () => {
    const samples = await evaluate([
      outcome('old', {}, closed, 7 * 24),
      outcome('edge', {}, closed, 7 * 24 - 1),
      outcome('now', {}, closed, 0),
      outcome('future', {}, closed, -1),
    ]);
    expect(value(samples, 'factory:runs_resolved:increase_7d')).toBe(2);
  });

  it('counts an outcome recorded twice twice', async () => {
    const samples = await evaluate([outcome('r1', {}, merged), outcome('r1', {}, merged)]);
    expect(value(samples, 'factory:runs_resolved:increase_7d')).toBe(2);
  });
});

describe('factoryMetrics', () => {
  it('keeps human pull requests out of cycle time and MLTC', async () => {
    const human = { 'factory.author.kind': 'human', 'factory.task.complexity': 'standard' };
    const spans = [
      ...fullFactory(),
      span('factory.review', 'h1', { ...human, 'vcs.change.state': 'merged' }, { seconds: 5000 }),
      span('factory.deployment', 'h1', { ...human, 'deployment.environment.name': 'production' }, { seconds: 90 }),
    ];
    const samples = await evaluate(spans);

    expect(value(samples, 'factory:reviews_merged:increase_7d')).toBe(1);
    expect(value(samples, 'factory:deployments_succeeded:increase_7d')).toBe(1);
    expect(value(samples, 'author_kind_complexity:factory_cycle_time_seconds:p50_7d', { author_kind: 'human', complexity: 'standard' })).toBe(3600 + (7200 - 3600) * 0.5);
    expect(value(samples, 'author_kind_complexity_le:factory_cycle_time_seconds_bucket:increase_7d', { author_kind: 'human', complexity: 'standard', le: '7200' })).toBe(1);
    expect(value(samples, 'author_kind_complexity_le:factory_cycle_time_seconds_bucket:increase_7d', { le: '3600' })).toBe(1);
    expect(factoryMetrics((await collectRuns(spans)).runs.values(), { window })[0]!.cycleTime?.count).toBe(1);
  });

  it('evaluates the experiment rules over 14 days', async () => {
    const arms: SpanRecord[] = [];
    const add = (arm: string, successes: number, total: number, daysAgo: number) => {
      for (let index = 0; index < total; index += 1) {
        arms.push(outcome(`${arm}-${daysAgo}-${index}`, { model: 'm1', complexity: 'standard' }, { ...(index < successes ? merged : closed), 'factory.experiment.name': 'specs', 'factory.experiment.arm': arm }, daysAgo * 24));
      }
    };
    add('control', 20, 60, 10);
    add('control', 11, 40, 1);
    add('enriched', 30, 55, 10);
    add('enriched', 22, 45, 1);
    // Outside the 14 days: not counted.
    add('enriched', 5, 5, 20);
    const samples = await evaluate(arms);
    const control = { experiment: 'specs', arm: 'control' };
    const interval = wilsonInterval({ successes: 31, trials: 100 });

    expect(value(samples, 'experiment_arm:factory_runs_resolved:increase_14d', control)).toBe(100);
    expect(value(samples, 'experiment_arm:factory_one_shot_success:ratio_14d', { experiment: 'specs', arm: 'enriched' })).toBe(0.52);
    expect(value(samples, 'experiment_arm:factory_one_shot_success:wilson_lower95_14d', control)).toBeCloseTo(interval.lower, 12);
    expect(value(samples, 'experiment_arm:factory_one_shot_success:wilson_upper95_14d', control)).toBeCloseTo(interval.upper, 12);
    expect(value(samples, 'experiment:factory_experiment_arms:count_14d', { experiment: 'specs' })).toBe(2);
    expect(value(samples, 'experiment:factory_arm_split:chi_square_14d', { experiment: 'specs' })).toBe(0);
    expect(value(samples, 'experiment:factory_arm_split_mismatch:flag_14d', { experiment: 'specs' })).toBe(0);
    expect(value(samples, 'experiment_arm_complexity:factory_runs_one_shot:increase_14d', { ...control, complexity: 'standard' })).toBe(31);
  });

  it('slices the four metrics by the counted span labels', async () => {
    const { runs } = await collectRuns(fullFactory());
    const slices = factoryMetrics(runs.values(), { window, by: ['model'] });
    expect(slices.map((slice) => slice.labels)).toEqual([{ model: '' }, { model: 'm1' }, { model: 'm2' }]);
    const m1 = slices[1]!;
    expect(m1).toMatchObject({ resolved: 2, merged: 2, oneShot: 1, autonomous: 2, oneShotSuccess: 0.5, autonomousSuccess: 1 });
    expect(slices[0]?.cycleTime?.p50).toBe(3000);
    expect(slices[0]?.mltc?.count).toBe(1);
    expect(slices[2]?.cycleTime).toBeUndefined();
  });

  it('returns one slice without dimensions', async () => {
    const { runs } = await collectRuns(fullFactory());
    const [factory, ...rest] = factoryMetrics(runs.values(), { window });
    expect(rest).toEqual([]);
    expect(factory?.resolved).toBe(3);
    expect(factory?.cycleTime?.p50Estimate).toBe(2700);
  });

  it('rejects an unknown dimension', async () => {
    expect(() => factoryMetrics([], { window, by: ['colour' as 'model'] })).toThrow(/unknown slice dimension "colour"/);
  });
});
