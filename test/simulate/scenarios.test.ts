import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { measureExpectations, type Measurement } from '../../cli/simulate/measure.js';
import { planRange, planRuns, type RunPlan } from '../../cli/simulate/plan.js';
import { loadScenario } from '../../cli/simulate/scenario.js';

// Each scenario's `expect` entries are its known answers. Ratios must lie
// within four binomial standard errors at the scenario's volume (measure.ts),
// medians within a distribution-free band of the same width. Noise misses
// that about once in 16,000 checks, but a parameter off by a few points fails.
const DIR = join(import.meta.dirname, '..', '..', 'scenarios');
const END = new Date('2026-11-30T00:00:00Z');
// Seeds the scenario files were not tuned on (they were tuned on 1, 2 and 3).
const SEEDS = [101, 20261204];

const FILES = ['context-experiment.yaml', 'broken-feedback-loop.yaml', 'model-swap.yaml', 'hidden-bottleneck.yaml'];

function measured(file: string, seed: number): Measurement[] {
  const scenario = loadScenario(join(DIR, file));
  const options = { seed, end: END };
  return measureExpectations(scenario, planRuns(scenario, options), planRange(scenario, options).start);
}

describe('scenario library', () => {
  it('contains the four scenarios and loads every file', () => {
    const files = readdirSync(DIR).filter((file) => file.endsWith('.yaml'));
    for (const file of FILES) expect(files).toContain(file);
    for (const file of files) expect(() => loadScenario(join(DIR, file))).not.toThrow();
  });

  for (const file of FILES) {
    for (const seed of SEEDS) {
      it(`${file} meets its known answers, seed ${seed}`, () => {
        const results = measured(file, seed);
        expect(results.length).toBeGreaterThan(2);
        for (const result of results) {
          const { finding, value } = result.expectation;
          expect(Math.abs(result.measured - value), `${finding}: measured ${result.measured.toFixed(3)} on ${result.sampleSize}, expected ${value} +- ${result.tolerance.toFixed(3)}`).toBeLessThanOrEqual(result.tolerance);
        }
      });
    }
  }

  it('context experiment arms have non-overlapping 95% Wilson intervals', () => {
    const scenario = loadScenario(join(DIR, 'context-experiment.yaml'));
    const plans = planRuns(scenario, { seed: SEEDS[0]!, end: END });
    const interval = (arm: string) => {
      const runs = plans.filter((plan) => plan.experiment?.arm === arm);
      return wilson(runs.filter((plan) => plan.outcome.oneShot).length, runs.length);
    };
    const control = interval('control');
    const enriched = interval('enriched');
    expect(control.high, `control ${JSON.stringify(control)} vs enriched ${JSON.stringify(enriched)}`).toBeLessThan(enriched.low);
  });

  it('context experiment keeps its planned 50/50 split', () => {
    const scenario = loadScenario(join(DIR, 'context-experiment.yaml'));
    const plans = planRuns(scenario, { seed: SEEDS[1]!, end: END });
    const control = plans.filter((plan) => plan.experiment?.arm === 'control').length;
    // Four standard errors of a fair coin over all runs.
    expect(Math.abs(control / plans.length - 0.5)).toBeLessThan(4 * Math.sqrt(0.25 / plans.length));
  });

  it('model swap gap is larger off standard work', () => {
    const results = measured('model-swap.yaml', SEEDS[0]!);
    const value = (finding: string) => results.find((result) => result.expectation.finding.startsWith(finding))!.measured;
    const standardGap = value('on standard work the frontier') - value('on standard work the open-weight');
    const complexGap = value('on complex work the frontier') - value('on complex work the open-weight');
    expect(complexGap - standardGap).toBeGreaterThan(0.25);
  });

  it('hidden bottleneck meets the alert conditions until the policy', () => {
    // FactoryHiddenBottleneck on 7-day windows by resolution time, compared
    // with 28 days earlier, as Prometheus would evaluate it on this history.
    const scenario = loadScenario(join(DIR, 'hidden-bottleneck.yaml'));
    const options = { seed: SEEDS[0]!, end: END };
    const plans = planRuns(scenario, options);
    const start = planRange(scenario, options).start;
    const fires = (week: number) => {
      const now = bottleneckWindow(plans, start + week * WEEK);
      const before = bottleneckWindow(plans, start + (week - 4) * WEEK);
      return now.oneShot - before.oneShot >= 0.1 && now.mltc > 0.8 * before.mltc && now.cycle >= 1.5 * before.cycle;
    };
    for (const week of [6, 7, 8]) expect(fires(week), `end of week ${week}`).toBe(true);
    for (const week of [4, 11, 12]) expect(fires(week), `end of week ${week}`).toBe(false);
  });

  it('broken feedback loop meets the retry alert conditions before the change only', () => {
    // FactoryRetryLoopsAddNothing and FactoryRetriesRepeatFailures on 7-day windows.
    const scenario = loadScenario(join(DIR, 'broken-feedback-loop.yaml'));
    const options = { seed: SEEDS[1]!, end: END };
    const plans = planRuns(scenario, options);
    const start = planRange(scenario, options).start;
    const window = (week: number) => {
      const end = start + week * WEEK;
      const resolved = plans.filter((plan) => plan.outcome.at > end - WEEK && plan.outcome.at <= end);
      const share = (pick: (plan: RunPlan) => boolean) => resolved.filter(pick).length / resolved.length;
      const flags = resolved.flatMap((plan) => plan.attempts.map((attempt) => attempt.verification.repeated).filter((flag) => flag !== undefined));
      return { gap: share((plan) => plan.outcome.autonomous) - share((plan) => plan.outcome.oneShot), repeated: flags.filter((flag) => flag).length / flags.length };
    };
    for (const week of [2, 3, 4]) {
      expect(window(week).gap, `gap at the end of week ${week}`).toBeLessThan(0.05);
      expect(window(week).repeated, `repeated share at the end of week ${week}`).toBeGreaterThan(0.5);
    }
    for (const week of [6, 7, 8]) {
      expect(window(week).gap, `gap at the end of week ${week}`).toBeGreaterThan(0.05);
      expect(window(week).repeated, `repeated share at the end of week ${week}`).toBeLessThan(0.5);
    }
  });

  it('a shifted parameter misses a known answer', () => {
    // The tolerance must be tight enough to catch a real miss: lower the
    // enriched arm's pass rate and the 52% answer must fail.
    const scenario = loadScenario(join(DIR, 'context-experiment.yaml'));
    const shifted = { ...scenario, rules: scenario.rules.map((rule) => ({ ...rule, set: { ...rule.set, reviewFailure: 0.45 } })) };
    const options = { seed: SEEDS[0]!, end: END };
    const results = measureExpectations(shifted, planRuns(shifted, options), planRange(shifted, options).start);
    expect(results.find((result) => result.expectation.finding.startsWith('enriched'))!.withinTolerance).toBe(false);
  });
});

const WEEK = 7 * 24 * 3600 * 1000;

function bottleneckWindow(plans: RunPlan[], end: number): { oneShot: number; cycle: number; mltc: number } {
  const inWindow = (time: number) => time > end - WEEK && time <= end;
  const resolved = plans.filter((plan) => inWindow(plan.outcome.at));
  const cycle = resolved.filter((plan) => plan.review.state === 'merged').map((plan) => plan.review.closedAt - plan.review.openedAt);
  const mltc = plans.flatMap((plan) => plan.deployments.filter((deployment) => deployment.succeeded && inWindow(deployment.deployedAt)).map((deployment) => deployment.deployedAt - deployment.commitAt));
  return { oneShot: resolved.filter((plan) => plan.outcome.oneShot).length / resolved.length, cycle: middle(cycle), mltc: middle(mltc) };
}

function middle(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function wilson(successes: number, n: number): { low: number; high: number } {
  const z = 1.96;
  const p = successes / n;
  const centre = (p + (z * z) / (2 * n)) / (1 + (z * z) / n);
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / (1 + (z * z) / n);
  return { low: centre - half, high: centre + half };
}
