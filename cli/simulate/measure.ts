import type { RunPlan } from './plan.js';
import { matches } from './rules.js';
import type { Expectation, Scenario } from './scenario.js';

/**
 * Plan-level figures of a scenario's known answers: what the runs of a plan
 * show for each `expect` entry, with the tolerance its sample size allows.
 * Pure, so that tests and the CLI compare the same numbers.
 */

export interface Measurement {
  expectation: Expectation;
  /** The figure the plans show; NaN when no run matched. */
  measured: number;
  /** Runs behind the figure: for repeatedRetries the runs with a verified retry, for medians the values. */
  sampleSize: number;
  /** Allowed distance from the expected value. */
  tolerance: number;
  withinTolerance: boolean;
}

/** How many binomial standard errors a ratio may miss by: rare enough for noise (p < 0.0001), tight enough for a real miss. */
export const STANDARD_ERRORS = 4;

/** Measures every expectation of `scenario` on its plans. `rangeStart` is the range's start in epoch ms. */
export function measureExpectations(scenario: Scenario, plans: readonly RunPlan[], rangeStart: number): Measurement[] {
  const own = plans.filter((plan) => plan.scenario === scenario.name);
  return scenario.expect.map((expectation) => measure(expectation, own, rangeStart));
}

export function measure(expectation: Expectation, plans: readonly RunPlan[], rangeStart: number): Measurement {
  const selected = plans.filter((plan) =>
    matches({ where: expectation.where }, { team: plan.team, repository: plan.repository, model: plan.model, complexity: plan.complexity, arm: plan.experiment?.arm, time: plan.startTime }, rangeStart),
  );
  const { measured, sampleSize, values } = figure(expectation, selected);
  const tolerance = expectation.tolerance ?? (values === undefined ? binomialTolerance(expectation.value, sampleSize) : medianTolerance(values));
  return { expectation, measured, sampleSize, tolerance, withinTolerance: Math.abs(measured - expectation.value) <= tolerance };
}

/** Four standard errors of a proportion p over n trials (infinite for n = 0). */
export function binomialTolerance(p: number, n: number): number {
  if (n === 0) return Number.POSITIVE_INFINITY;
  const clamped = Math.min(Math.max(p, 0), 1);
  return STANDARD_ERRORS * Math.sqrt((clamped * (1 - clamped)) / n);
}

/**
 * Returns a distribution-free tolerance for a sample median, from the order statistics
 * 2·√n ranks either side of the middle, which is four standard errors of the
 * count of values below the median (a binomial with p = 0.5).
 */
export function medianTolerance(values: readonly number[]): number {
  if (values.length === 0) return Number.POSITIVE_INFINITY;
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  const middle = median(sorted);
  const spread = 2 * Math.sqrt(n);
  const low = sorted[Math.max(0, Math.floor((n - 1) / 2 - spread))]!;
  const high = sorted[Math.min(n - 1, Math.ceil((n - 1) / 2 + spread))]!;
  return Math.max(middle - low, high - middle);
}

function figure(expectation: Expectation, runs: readonly RunPlan[]): { measured: number; sampleSize: number; values?: number[] } {
  switch (expectation.metric) {
    case 'oneShot':
      return ratio(runs.filter((run) => run.outcome.oneShot).length, runs.length);
    case 'autonomous':
      return ratio(runs.filter((run) => run.outcome.autonomous).length, runs.length);
    case 'missClassShare': {
      const misses = runs.filter((run) => !run.outcome.oneShot);
      return ratio(misses.filter((run) => run.outcome.missClass === expectation.failureClass).length, misses.length);
    }
    case 'repeatedRetries': {
      // As the rules count them: verification runs of retries whose repeated flag is set.
      // The retries of one run are not independent, so the sample size is the
      // number of runs with such a retry, which widens the tolerance.
      const flagsByRun = runs.map((run) => run.attempts.map((attempt) => attempt.verification.repeated).filter((flag) => flag !== undefined));
      const flags = flagsByRun.flat();
      const measured = flags.length === 0 ? Number.NaN : flags.filter((flag) => flag).length / flags.length;
      return { measured, sampleSize: flagsByRun.filter((list) => list.length > 0).length };
    }
    case 'cycleTimeP50Hours': {
      const hours = runs.filter((run) => run.review.state === 'merged').map((run) => (run.review.closedAt - run.review.openedAt) / 3_600_000);
      return { measured: median(hours), sampleSize: hours.length, values: hours };
    }
    case 'mltcP50Hours': {
      const hours = runs.flatMap((run) => run.deployments.filter((d) => d.succeeded).map((d) => (d.deployedAt - d.commitAt) / 3_600_000));
      return { measured: median(hours), sampleSize: hours.length, values: hours };
    }
  }
}

function ratio(count: number, total: number): { measured: number; sampleSize: number } {
  return { measured: total === 0 ? Number.NaN : count / total, sampleSize: total };
}

function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = (sorted.length - 1) / 2;
  return (sorted[Math.floor(middle)]! + sorted[Math.ceil(middle)]!) / 2;
}
