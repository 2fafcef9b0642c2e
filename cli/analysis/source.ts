import type { ArmCounts, LoopSliceCounts, ModelComplexityCounts } from '../../analysis/decisions/index.js';

/**
 * What the analysis commands read, whether from the embedded store
 * (file-source.ts, exact counts from the spans) or from Prometheus
 * (prometheus-source.ts, the recording rules).
 */

/** A dimension that `report --by` slices by. */
export type ReportDimension = 'team' | 'repository' | 'model' | 'complexity';
export const REPORT_DIMENSIONS: readonly ReportDimension[] = ['team', 'repository', 'model', 'complexity'];

/** One funnel stage: the runs that reached it, having reached every stage before it. */
export interface FunnelStage {
  stage: string;
  runs: number;
}

/** A median or 90th percentile, with its 95% interval where the source allows one. */
export interface QuantileEstimate {
  value: number;
  /** Distribution-free 95% interval from order statistics; absent for a histogram estimate. */
  lower?: number;
  upper?: number;
}

/** Cycle time or MLTC of one slice, in seconds. */
export interface DurationStat {
  /** Merged reviews or production deployments counted. */
  count: number;
  p50: QuantileEstimate | undefined;
  p90: QuantileEstimate | undefined;
  /** True when the quantiles are histogram_quantile() estimates, which can be off by a bucket's width. */
  estimated: boolean;
}

/** Counts of one report slice. */
export interface SliceCounts {
  labels: Partial<Record<ReportDimension, string>>;
  resolved: number;
  /** Undefined where no rule counts merged runs for this slice. */
  merged: number | undefined;
  oneShot: number;
  autonomous: number;
  /** Undefined where the source has no durations for this slice. */
  cycleTime: DurationStat | undefined;
  mltc: DurationStat | undefined;
}

export interface CountSource {
  /** For example "embedded store .demo/factory.jsonl" or "Prometheus at http://127.0.0.1:9090". */
  readonly description: string;
  /** One sentence on how the window was chosen. */
  readonly windowDescription: string;
  /** Recording rules read so far (Prometheus), in the order first read. */
  readonly rulesRead: string[];
  funnel(): Promise<FunnelStage[]>;
  /** The whole factory for `by` undefined, else one entry per value of the dimension. */
  slices(by: ReportDimension | undefined): Promise<SliceCounts[]>;
  /** Arms of an experiment and the weeks their counts cover. Empty arms when the experiment has no resolved runs. */
  experiment(name: string): Promise<{ arms: ArmCounts[]; weeks: number; windowDescription: string }>;
  /** Every experiment name with resolved runs in the window, for the error when a name is unknown. */
  experimentNames(): Promise<string[]>;
  /** Counts per `by` value within each `within` value, and the mean AI cost of a run per `by` value where known. */
  modelCounts(by: string, within: string): Promise<{ counts: ModelComplexityCounts[]; costPerRun: Record<string, number> | undefined }>;
  loopCounts(): Promise<LoopSliceCounts[]>;
}
