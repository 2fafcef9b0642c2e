// Input counts of the decision functions. The CLI fills them from the
// Prometheus recording rules or from the embedded store; both count resolved
// runs (one factory.outcome span each) in a window.

/** Resolved runs of one slice, with the one-shot and autonomous runs among them. */
export interface RunCounts {
  /** Runs resolved in the window, whatever their outcome status. */
  resolved: number;
  /** Runs merged after one AI attempt that passed verification, with no human code change. */
  oneShot: number;
  /** Runs merged with no human code change after any number of attempts. Includes the one-shot runs. */
  autonomous: number;
}

/** The success metric that a comparison tests. */
export type SuccessMetric = 'one_shot' | 'autonomous';

/** Counts of one experiment arm. */
export interface ArmCounts extends RunCounts {
  /** The arm's name, the value of `factory.experiment.arm`. */
  arm: string;
  /** Relative planned share of runs, for example 50 or 1. Default: an equal split over the arms. */
  plannedWeight?: number;
  /** The same counts per task complexity (`factory.task.complexity`), for the stratified analysis. */
  byComplexity?: Record<string, RunCounts>;
}

/** An experiment's counts and the question asked of them. */
export interface ExperimentInput {
  /** The experiment's name, the value of `factory.experiment.name`. */
  name: string;
  /** At least two arms. */
  arms: ArmCounts[];
  /** Name of the control arm, which every other arm is compared with. Default: the first arm. */
  control?: string;
  /** Length of the window the counts cover, in weeks, to turn counts into a weekly rate. */
  weeks: number;
  /** Lift to plan for, in proportion units (0.1 = 10 percentage points). Default 0.1. */
  targetEffect?: number;
  /** Metric that the verdict is about. Default `one_shot`. */
  metric?: SuccessMetric;
  /** Two-sided significance level over all comparisons. Default 0.05. */
  alpha?: number;
  /** Power for the minimum detectable effect and the weeks needed. Default 0.8. */
  power?: number;
}

/** Resolved runs of one model on one task complexity. */
export interface ModelComplexityCounts extends RunCounts {
  /** `gen_ai.request.model`. */
  model: string;
  /** `factory.task.complexity`: trivial, standard, complex or architectural. */
  complexity: string;
}

/** A model comparison request. */
export interface ModelComparisonInput {
  counts: ModelComplexityCounts[];
  /** Metric to compare. Default `one_shot`. */
  metric?: SuccessMetric;
  /** Two-sided significance level per complexity. Default 0.05. */
  alpha?: number;
  /**
   * Cost of a run per model in any one unit, for example US dollars. When given,
   * a cheaper model can be suggested for a complexity where it is shown to be
   * no worse than the best model by more than `nonInferiorityMargin`.
   */
  costPerRun?: Record<string, number>;
  /** Largest loss of success rate accepted for a cheaper model, proportion units. Default 0.05. */
  nonInferiorityMargin?: number;
}

/** Runs and verified retries of one team or repository. */
export interface LoopSliceCounts extends RunCounts {
  /** `team` or `repository`. */
  kind: 'team' | 'repository';
  /** The team (`factory.team`) or repository (`vcs.repository.name`). */
  name: string;
  /** Verification runs of attempt 2 or later whose previous attempt's verification is known. */
  retriesVerified: number;
  /** Those that failed with the same failure signature as the previous attempt. */
  retriesRepeated: number;
}

/** Thresholds of the loops answer. */
export interface LoopsInput {
  slices: LoopSliceCounts[];
  /** Confidence of every interval. Default 0.95. */
  confidence?: number;
  /** Repeated-failure share above which retries do not learn. Default 0.5. */
  repeatedShareLimit?: number;
  /** Share of first-attempt misses rescued by retries below which retries do not learn. Default 0.15. */
  rescueShareLimit?: number;
}
