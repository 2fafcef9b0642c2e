import { describe, expect, it } from 'vitest';
import { planRange, planRuns, planScenarios, type RunPlan } from '../../cli/simulate/plan.js';
import { parseScenario } from '../../cli/simulate/scenario.js';
import { classifyOutcome } from '../../sdk/outcome.js';

const END = new Date('2026-12-01T00:00:00Z');

const SMALL = parseScenario(`
name: small
weeks: 2
runsPerWeek: 300
teams:
  - name: web
    repositories: [{ name: acme/web }, { name: acme/api, share: 2 }]
models:
  - { name: model-a, provider: lab-a }
  - { name: model-b, provider: lab-b }
experiments:
  - name: context
    repository: acme/api
    arms: [{ name: control }, { name: enriched }]
behaviour:
  pass: 0.5
  deployFailure: 0.2
rules:
  - when: { arm: enriched }
    set: { pass: 0.9 }
  - when: { from: 2 }
    set: { reviewHours: 40 }
`);

describe('planRuns', () => {
  it('gives the same plans for the same seed', () => {
    expect(planRuns(SMALL, { seed: 7, end: END })).toEqual(planRuns(SMALL, { seed: 7, end: END }));
  });

  it('gives different plans for another seed', () => {
    const first = planRuns(SMALL, { seed: 7, end: END });
    const second = planRuns(SMALL, { seed: 8, end: END });
    expect(first.map((plan) => plan.startTime)).not.toEqual(second.map((plan) => plan.startTime));
    expect(first.map((plan) => plan.outcome.oneShot)).not.toEqual(second.map((plan) => plan.outcome.oneShot));
  });

  it('plans runsPerWeek times weeks runs inside the range', () => {
    const plans = planRuns(SMALL, { seed: 1, end: END, weeks: 3 });
    const range = planRange(SMALL, { seed: 1, end: END, weeks: 3 });
    expect(plans).toHaveLength(900);
    expect(range.end - range.start).toBe(3 * 7 * 24 * 3600 * 1000);
    for (const plan of plans) {
      expect(plan.startTime).toBeGreaterThanOrEqual(range.start);
      expect(plan.startTime).toBeLessThan(range.end);
    }
  });

  it('sorts plans by start time with unique run ids', () => {
    const plans = planRuns(SMALL, { seed: 3, end: END });
    const starts = plans.map((plan) => plan.startTime);
    expect(starts).toEqual([...starts].sort((a, b) => a - b));
    expect(new Set(plans.map((plan) => plan.runId)).size).toBe(plans.length);
  });

  it('orders every stage of a run in time', () => {
    for (const plan of planRuns(SMALL, { seed: 4, end: END })) expectOrdered(plan);
  });

  it('decides outcomes as classifyOutcome does', () => {
    for (const plan of planRuns(SMALL, { seed: 5, end: END })) {
      const { outcome } = plan;
      expect(classifyOutcome({ status: outcome.status, attempts: outcome.attempts, firstAttemptPassed: outcome.firstAttemptPassed, humanModified: outcome.humanModified })).toEqual({
        oneShot: outcome.oneShot,
        autonomous: outcome.autonomous,
      });
    }
  });

  it('gives experiment arms only to the experiment repository', () => {
    const plans = planRuns(SMALL, { seed: 6, end: END });
    for (const plan of plans) expect(plan.experiment !== undefined).toBe(plan.repository === 'acme/api');
    const arms = plans.filter((plan) => plan.experiment !== undefined).map((plan) => plan.experiment!.arm);
    expect(new Set(arms)).toEqual(new Set(['control', 'enriched']));
  });

  it('applies rules by arm and by week', () => {
    const plans = planRuns(SMALL, { seed: 9, end: END });
    const range = planRange(SMALL, { seed: 9, end: END });
    const firstPass = (arm: string) => share(plans.filter((plan) => plan.experiment?.arm === arm), (plan) => plan.outcome.firstAttemptPassed);
    expect(firstPass('enriched') - firstPass('control')).toBeGreaterThan(0.25);

    const weekTwo = range.start + 7 * 24 * 3600 * 1000;
    const reviewHours = (selected: RunPlan[]) => median(selected.map((plan) => (plan.review.closedAt - plan.review.openedAt) / 3_600_000));
    expect(reviewHours(plans.filter((plan) => plan.startTime < weekTwo && plan.review.track === 'standard'))).toBeLessThan(20);
    expect(reviewHours(plans.filter((plan) => plan.startTime >= weekTwo))).toBeGreaterThan(28);
  });

  it('retries after a failure until a pass or maxAttempts', () => {
    for (const plan of planRuns(SMALL, { seed: 10, end: END })) {
      const results = plan.attempts.map((attempt) => attempt.verification.result);
      expect(results.slice(0, -1).every((result) => result === 'failure')).toBe(true);
      expect(plan.attempts.length === 3 || results.at(-1) === 'success').toBe(true);
      plan.attempts.forEach((attempt, index) => expect(attempt.trigger).toBe(index === 0 ? 'initial' : 'ci_failure'));
    }
  });

  it('deploys merged runs only, failed deployments first', () => {
    const plans = planRuns(SMALL, { seed: 11, end: END });
    for (const plan of plans) {
      if (plan.outcome.status !== 'merged') {
        expect(plan.deployments).toEqual([]);
        continue;
      }
      expect(plan.deployments.at(-1)!.succeeded).toBe(true);
      expect(plan.deployments.slice(0, -1).every((deployment) => !deployment.succeeded)).toBe(true);
    }
    expect(plans.some((plan) => plan.deployments.length > 1)).toBe(true);
  });

  it('rejects a seed that is not a safe integer', () => {
    expect(() => planRuns(SMALL, { seed: 1.5, end: END })).toThrow('invalid seed 1.5: expected a safe integer');
  });
});

describe('planScenarios', () => {
  it('merges scenarios by start time', () => {
    const other = { ...SMALL, name: 'other' };
    const plans = planScenarios([SMALL, other], { seed: 1, end: END });
    expect(plans).toHaveLength(1200);
    expect(new Set(plans.map((plan) => plan.scenario))).toEqual(new Set(['small', 'other']));
    const starts = plans.map((plan) => plan.startTime);
    expect(starts).toEqual([...starts].sort((a, b) => a - b));
  });

  it('rejects two scenarios with one name', () => {
    expect(() => planScenarios([SMALL, SMALL], { seed: 1, end: END })).toThrow('scenario "small" is given twice');
  });
});

function expectOrdered(plan: RunPlan): void {
  let time = plan.startTime;
  const next = (value: number) => {
    expect(value).toBeGreaterThanOrEqual(time);
    time = value;
  };
  next(plan.context.startTime);
  next(plan.context.endTime);
  for (const attempt of plan.attempts) {
    next(attempt.startTime);
    next(attempt.endTime);
    next(attempt.verification.startTime);
    next(attempt.verification.endTime);
  }
  expect(plan.harnessEnd).toBe(time);
  next(plan.review.openedAt);
  next(plan.review.closedAt);
  expect(plan.outcome.at).toBe(plan.review.closedAt);
  for (const deployment of plan.deployments) {
    expect(deployment.commitAt).toBe(plan.review.closedAt);
    next(deployment.deployedAt);
  }
}

function share<T>(items: T[], predicate: (item: T) => boolean): number {
  return items.filter(predicate).length / items.length;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}
