/**
 * The analysis engine: pure functions from OTLP JSON lines to spans, runs, the
 * four factory metrics and every recording rule's value. It does no I/O of its
 * own; callers pass the lines (for example from readline over a file).
 */
export { emptyReadSummary, readOtlpJsonLines } from './otlp-json.js';
export type { AttributeValue, ReadOptions, ReadProblem, ReadSummary, SpanRecord } from './otlp-json.js';
export { attemptChain, collectRuns, finalOutcome, RunSetBuilder } from './runs.js';
export type {
  AttemptLink,
  AttemptStage,
  ContextStage,
  DeploymentStage,
  OutcomeStage,
  ReviewStage,
  RootStage,
  Run,
  RunSet,
  SpanLabels,
  StageSpan,
  VerificationStage,
} from './runs.js';
export { factoryMetrics, isMergedReview, isProductionDeployment, SLICE_DIMENSIONS } from './metrics.js';
export type { MetricOptions, MetricSlice, SliceDimension } from './metrics.js';
export { evaluateRecordingRules, formatLe } from './rules.js';
export type { RuleSample } from './rules.js';
export {
  ATTEMPT_BUCKETS,
  cumulativeBuckets,
  DURATION_BUCKETS_SECONDS,
  exactQuantile,
  histogramQuantile,
  summarizeDurations,
} from './quantiles.js';
export type { DurationSummary, HistogramBucket } from './quantiles.js';
export { inWindow, SEVEN_DAYS_NANOS, windowEndingAt } from './window.js';
export type { TimeWindow } from './window.js';
