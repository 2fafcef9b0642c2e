import { DURATION_BUCKETS_SECONDS, summarizeDurations, type DurationSummary } from './quantiles.js';
import type { Run, SpanLabels } from './runs.js';
import { inWindow, type TimeWindow } from './window.js';

/**
 * The four factory metrics computed exactly from runs, for the whole factory or
 * per slice, with the definitions of prometheus/rules/factory-metrics.rules.yml:
 *
 * - resolved: `factory.outcome` spans that ended in the window, any status;
 * - one-shot and autonomous: those with `factory.outcome.one_shot` or
 *   `factory.outcome.autonomous` true, divided by resolved;
 * - cycle time: durations of `factory.review` spans with `vcs.change.state` merged
 *   that ended in the window;
 * - MLTC: durations of `factory.deployment` spans in `production` without status
 *   ERROR that ended in the window.
 *
 * Each span counts in the slice of its own labels, as in the rules.
 */

/** A label a slice can be keyed by: the span-metric dimensions of docs/semantic-conventions.md. */
export type SliceDimension = keyof SpanLabels;

/** All dimensions, in the order slices are keyed. */
export const SLICE_DIMENSIONS: readonly SliceDimension[] = ['model', 'complexity', 'team', 'repository', 'provider', 'experiment', 'arm'];

/** The four metrics of one slice. */
export interface MetricSlice {
  /** The slice's value of each requested dimension; '' for spans without the attribute. */
  labels: Partial<Record<SliceDimension, string>>;
  resolved: number;
  merged: number;
  oneShot: number;
  autonomous: number;
  /** oneShot / resolved, undefined when nothing resolved (the rules write no sample). */
  oneShotSuccess: number | undefined;
  autonomousSuccess: number | undefined;
  /** Merged pull requests' open-to-merge time in seconds; undefined when none merged. */
  cycleTime: DurationSummary | undefined;
  /** Merged commit to production in seconds; undefined when nothing was deployed. */
  mltc: DurationSummary | undefined;
}

export interface MetricOptions {
  window: TimeWindow;
  /** Dimensions to slice by. Default: none, one slice for the whole factory. */
  by?: readonly SliceDimension[];
}

/**
 * Computes the four metrics per slice, sorted by label values. A slice appears
 * when a counted span of it ended in the window. Memory: one counter per slice and
 * one number per merged review and deployment in the window.
 */
export function factoryMetrics(runs: Iterable<Run>, options: MetricOptions): MetricSlice[] {
  const by = options.by ?? [];
  for (const dimension of by) {
    if (!SLICE_DIMENSIONS.includes(dimension)) throw new RangeError(`unknown slice dimension ${JSON.stringify(dimension)}; expected one of ${SLICE_DIMENSIONS.join(', ')}`);
  }
  const slices = new Map<string, { labels: MetricSlice['labels']; counts: Counts; cycle: number[]; mltc: number[] }>();
  const sliceOf = (labels: SpanLabels) => {
    const key = by.map((dimension) => labels[dimension]).join('\u0000');
    let slice = slices.get(key);
    if (slice === undefined) {
      slice = { labels: Object.fromEntries(by.map((dimension) => [dimension, labels[dimension]])), counts: { resolved: 0, merged: 0, oneShot: 0, autonomous: 0 }, cycle: [], mltc: [] };
      slices.set(key, slice);
    }
    return slice;
  };

  for (const run of runs) {
    for (const outcome of run.outcomes) {
      if (!inWindow(options.window, outcome.endTimeUnixNano)) continue;
      const { counts } = sliceOf(outcome.labels);
      counts.resolved += 1;
      if (outcome.status === 'merged') counts.merged += 1;
      if (outcome.oneShot === true) counts.oneShot += 1;
      if (outcome.autonomous === true) counts.autonomous += 1;
    }
    for (const review of run.reviews) {
      if (isMergedReview(review) && isFactoryChange(review) && inWindow(options.window, review.endTimeUnixNano)) sliceOf(review.labels).cycle.push(review.durationSeconds);
    }
    for (const deployment of run.deployments) {
      if (isProductionDeployment(deployment) && isFactoryChange(deployment) && inWindow(options.window, deployment.endTimeUnixNano)) sliceOf(deployment.labels).mltc.push(deployment.durationSeconds);
    }
  }

  return [...slices.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, { labels, counts, cycle, mltc }]) => ({
      labels,
      ...counts,
      oneShotSuccess: counts.resolved > 0 ? counts.oneShot / counts.resolved : undefined,
      autonomousSuccess: counts.resolved > 0 ? counts.autonomous / counts.resolved : undefined,
      cycleTime: summarizeDurations(cycle, DURATION_BUCKETS_SECONDS),
      mltc: summarizeDurations(mltc, DURATION_BUCKETS_SECONDS),
    }));
}

interface Counts {
  resolved: number;
  merged: number;
  oneShot: number;
  autonomous: number;
}

/** Returns whether a review span counts towards cycle time: its pull request was merged. */
export function isMergedReview(review: { state: string | undefined }): boolean {
  return review.state === 'merged';
}

/**
 * Returns whether a stage span belongs to the factory's own cycle time and MLTC:
 * every span except those of the bridge's human baseline pull requests.
 */
export function isFactoryChange(stage: { labels: SpanLabels }): boolean {
  return stage.labels.authorKind !== 'human';
}

/** Returns whether a deployment span counts towards MLTC: production, and not failed (status ERROR). */
export function isProductionDeployment(deployment: { environment: string | undefined; error: boolean }): boolean {
  return deployment.environment === 'production' && !deployment.error;
}
