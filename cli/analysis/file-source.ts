import type { ArmCounts, LoopSliceCounts, ModelComplexityCounts, RunCounts } from '../../analysis/decisions/index.js';
import {
  attemptChain,
  evaluateRecordingRules,
  factoryMetrics,
  finalOutcome,
  inWindow,
  isMergedReview,
  isProductionDeployment,
  type Run,
  type SliceDimension,
  type TimeWindow,
} from '../../analysis/index.js';
import { isoOf, type FileRuns, type ResolvedWindow } from './file-runs.js';
import { quantileWithInterval } from './quantile-interval.js';
import type { CountSource, DurationStat, FunnelStage, ReportDimension, SliceCounts } from './source.js';

/**
 * Counts from the embedded store, exact from the spans, with the definitions
 * of the recording rules: each count uses the labels of the span it counts.
 */
export class FileSource implements CountSource {
  readonly description: string;
  readonly windowDescription: string;
  readonly rulesRead: string[] = [];
  readonly window: TimeWindow;

  constructor(
    private readonly file: FileRuns,
    private readonly resolved: ResolvedWindow,
  ) {
    this.description = `embedded store ${file.path} (${file.runs.length} runs, ${file.spans} spans)`;
    this.windowDescription = resolved.description;
    this.window = resolved.window;
  }

  get runs(): readonly Run[] {
    return this.file.runs;
  }

  /**
   * Runs whose final outcome ended in the window, stage by stage. A run reaches
   * a stage only if it reached every stage before it, so a pull request that a
   * human fixed and merged after CI failed leaves at "CI passed".
   */
  async funnel(): Promise<FunnelStage[]> {
    const stages: Array<[string, (run: Run) => boolean]> = [
      ['resolved', () => true],
      ['AI attempt recorded', (run) => run.attempts.length > 0],
      ['CI passed', (run) => attemptChain(run).some((link) => link.result === 'success')],
      ['merged', (run) => finalOutcome(run)?.status === 'merged'],
      ['no human code change', (run) => finalOutcome(run)?.autonomous === true],
      ['first attempt (one-shot)', (run) => finalOutcome(run)?.oneShot === true],
    ];
    let remaining = this.file.runs.filter((run) => {
      const outcome = finalOutcome(run);
      return outcome !== undefined && inWindow(this.window, outcome.endTimeUnixNano);
    });
    return stages.map(([stage, reached]) => {
      remaining = remaining.filter(reached);
      return { stage, runs: remaining.length };
    });
  }

  async slices(by: ReportDimension | undefined): Promise<SliceCounts[]> {
    const dimensions: SliceDimension[] = by === undefined ? [] : [by];
    const durations = this.durationsBy(by);
    return factoryMetrics(this.file.runs, { window: this.window, by: dimensions }).map((slice) => {
      const key = by === undefined ? '' : (slice.labels[by] ?? '');
      const values = durations.get(key);
      return {
        labels: slice.labels,
        resolved: slice.resolved,
        merged: slice.merged,
        oneShot: slice.oneShot,
        autonomous: slice.autonomous,
        cycleTime: durationStat(values?.cycle ?? []),
        mltc: durationStat(values?.mltc ?? []),
      };
    });
  }

  async experiment(name: string): Promise<{ arms: ArmCounts[]; weeks: number; windowDescription: string }> {
    const slices = factoryMetrics(this.file.runs, { window: this.window, by: ['experiment', 'arm', 'complexity'] }).filter((slice) => slice.labels.experiment === name);
    const arms = new Map<string, ArmCounts>();
    for (const slice of slices) {
      const armName = slice.labels.arm ?? '';
      let arm = arms.get(armName);
      if (arm === undefined) {
        arm = { arm: armName, resolved: 0, oneShot: 0, autonomous: 0, byComplexity: {} };
        arms.set(armName, arm);
      }
      arm.resolved += slice.resolved;
      arm.oneShot += slice.oneShot;
      arm.autonomous += slice.autonomous;
      arm.byComplexity![slice.labels.complexity ?? ''] = { resolved: slice.resolved, oneShot: slice.oneShot, autonomous: slice.autonomous };
    }
    return { arms: [...arms.values()].sort((a, b) => a.arm.localeCompare(b.arm)), ...this.experimentWeeks(name) };
  }

  /**
   * The weeks that turn an experiment's counts into a weekly rate: the time from
   * its first to its last run resolved in the window, because an experiment of
   * two weeks in a window of twelve would otherwise look slow.
   */
  private experimentWeeks(name: string): { weeks: number; windowDescription: string } {
    let first: bigint | undefined;
    let last: bigint | undefined;
    for (const run of this.file.runs) {
      for (const outcome of run.outcomes) {
        if (outcome.labels.experiment !== name || !inWindow(this.window, outcome.endTimeUnixNano)) continue;
        if (first === undefined || outcome.endTimeUnixNano < first) first = outcome.endTimeUnixNano;
        if (last === undefined || outcome.endTimeUnixNano > last) last = outcome.endTimeUnixNano;
      }
    }
    if (first === undefined || last === undefined) return { weeks: this.resolved.weeks, windowDescription: this.windowDescription };
    const weeks = Math.min(Math.max(Number(last - first) / NANOS_PER_WEEK, 1 / 7), this.resolved.weeks);
    return {
      weeks,
      windowDescription: `${this.windowDescription}; the experiment's runs resolved from ${isoOf(first)} to ${isoOf(last)}, ${weeks.toFixed(1)} weeks`,
    };
  }

  async experimentNames(): Promise<string[]> {
    const names = factoryMetrics(this.file.runs, { window: this.window, by: ['experiment'] }).map((slice) => slice.labels.experiment ?? '');
    return names.filter((name) => name !== '');
  }

  async modelCounts(by: string, within: string): Promise<{ counts: ModelComplexityCounts[]; costPerRun: Record<string, number> | undefined }> {
    const byDimension = by as SliceDimension;
    const withinDimension = within as SliceDimension;
    const counts = factoryMetrics(this.file.runs, { window: this.window, by: [byDimension, withinDimension] }).map((slice) => ({
      model: slice.labels[byDimension] ?? '',
      complexity: slice.labels[withinDimension] ?? '',
      resolved: slice.resolved,
      oneShot: slice.oneShot,
      autonomous: slice.autonomous,
    }));

    // Mean AI cost of a resolved run per value of `by`, from the outcome spans that carry a cost.
    const cost = new Map<string, { sum: number; runs: number }>();
    for (const run of this.file.runs) {
      for (const outcome of run.outcomes) {
        if (outcome.costUsd === undefined || !inWindow(this.window, outcome.endTimeUnixNano)) continue;
        const key = outcome.labels[byDimension];
        const entry = cost.get(key) ?? { sum: 0, runs: 0 };
        entry.sum += outcome.costUsd;
        entry.runs += 1;
        cost.set(key, entry);
      }
    }
    const costPerRun = cost.size === 0 ? undefined : Object.fromEntries([...cost].map(([key, { sum, runs }]) => [key, sum / runs]));
    return { counts, costPerRun };
  }

  async loopCounts(): Promise<LoopSliceCounts[]> {
    const rules = evaluateRecordingRules(this.file.runs, this.window);
    const retries = (rule: string, label: string, name: string) =>
      rules.find((sample) => sample.rule === rule && (sample.labels[label] ?? '') === name)?.value ?? 0;

    const result: LoopSliceCounts[] = [];
    for (const kind of ['team', 'repository'] as const) {
      for (const slice of factoryMetrics(this.file.runs, { window: this.window, by: [kind] })) {
        const name = slice.labels[kind] ?? '';
        result.push({
          kind,
          name,
          ...runCounts(slice),
          retriesVerified: retries(`${kind}:factory_retries_verified:increase_7d`, kind, name),
          retriesRepeated: retries(`${kind}:factory_retries_repeated:increase_7d`, kind, name),
        });
      }
    }
    return result;
  }

  /** Merged-review and production-deployment durations per value of `by`, keyed '' for the whole factory. */
  private durationsBy(by: ReportDimension | undefined): Map<string, { cycle: number[]; mltc: number[] }> {
    const result = new Map<string, { cycle: number[]; mltc: number[] }>();
    const entry = (labels: Run['labels']) => {
      const key = by === undefined ? '' : labels[by];
      let values = result.get(key);
      if (values === undefined) {
        values = { cycle: [], mltc: [] };
        result.set(key, values);
      }
      return values;
    };
    for (const run of this.file.runs) {
      for (const review of run.reviews) {
        if (isMergedReview(review) && inWindow(this.window, review.endTimeUnixNano)) entry(review.labels).cycle.push(review.durationSeconds);
      }
      for (const deployment of run.deployments) {
        if (isProductionDeployment(deployment) && inWindow(this.window, deployment.endTimeUnixNano)) entry(deployment.labels).mltc.push(deployment.durationSeconds);
      }
    }
    return result;
  }
}

const NANOS_PER_WEEK = 7 * 24 * 3600 * 1e9;

function runCounts(counts: RunCounts): RunCounts {
  return { resolved: counts.resolved, oneShot: counts.oneShot, autonomous: counts.autonomous };
}

function durationStat(values: number[]): DurationStat | undefined {
  if (values.length === 0) return undefined;
  return { count: values.length, p50: quantileWithInterval(values, 0.5), p90: quantileWithInterval(values, 0.9), estimated: false };
}
