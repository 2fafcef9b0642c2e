import { isFactoryChange, isMergedReview, isProductionDeployment } from './metrics.js';
import { ATTEMPT_BUCKETS, cumulativeBuckets, DURATION_BUCKETS_SECONDS, histogramQuantile, type HistogramBucket } from './quantiles.js';
import type { OutcomeStage, Run, SpanLabels } from './runs.js';
import { inWindow, SEVEN_DAYS_NANOS, windowEndingAt, type TimeWindow } from './window.js';

/**
 * Every recording rule of prometheus/rules/factory-metrics.rules.yml and
 * factory-experiments.rules.yml, and the helper rules of factory-alerts.rules.yml,
 * evaluated exactly from runs: the
 * samples Prometheus would hold for the same spans, with the same names, labels,
 * 0-filling and absences. Comparing them with Prometheus checks the whole
 * pipeline (SDK, collector connectors, recording rules).
 *
 * Windows count spans by end time (see window.ts), where Prometheus counts by
 * arrival. A count is absent, not 0, where no span of its kind ended in the
 * window, although Prometheus writes 0 while the input series still get samples.
 */

/** One sample of a recording rule. */
export interface RuleSample {
  /** The rule name, for example `model:factory_one_shot_success:ratio_7d`. */
  rule: string;
  /** Labels without empty values, as Prometheus stores them; `le` formatted like `60` or `+Inf`. */
  labels: Record<string, string>;
  value: number;
}

/** Evaluates every recording rule over the spans of `runs` that ended in `window`. */
export function evaluateRecordingRules(runIterable: Iterable<Run>, window: TimeWindow): RuleSample[] {
  // Read twice (7-day and 14-day windows), and an iterator can be read only once.
  const runs = Array.isArray(runIterable) ? (runIterable as Run[]) : [...runIterable];
  const spans = spansInWindow(runs, window);
  const samples: RuleSample[] = [];
  const emit = (rule: string, counter: Counter) => {
    for (const { labels, value } of counter.entries()) samples.push({ rule, labels, value });
  };

  // Run counts and success ratios per model and complexity, model, and factory.
  const byModelComplexity = (o: OutcomeStage) => ({ model: o.labels.model, complexity: o.labels.complexity });
  const levels: Array<[string, (o: OutcomeStage) => Record<string, string>]> = [
    ['model_complexity:factory_', byModelComplexity],
    ['model:factory_', (o) => ({ model: o.labels.model })],
    ['factory:', () => ({})],
  ];
  for (const [prefix, keyOf] of levels) {
    const resolved = Counter.of(spans.outcomes, keyOf);
    const oneShot = Counter.of(spans.outcomes.filter((o) => o.oneShot === true), keyOf).filledFrom(resolved);
    const autonomous = Counter.of(spans.outcomes.filter((o) => o.autonomous === true), keyOf).filledFrom(resolved);
    const merged = Counter.of(spans.outcomes.filter((o) => o.status === 'merged'), keyOf).filledFrom(resolved);
    emit(`${prefix}runs_resolved:increase_7d`, resolved);
    emit(`${prefix}runs_one_shot:increase_7d`, oneShot);
    emit(`${prefix}runs_autonomous:increase_7d`, autonomous);
    emit(`${prefix}runs_merged:increase_7d`, merged);
    emit(`${prefix}one_shot_success:ratio_7d`, oneShot.dividedBy(resolved));
    emit(`${prefix}autonomous_success:ratio_7d`, autonomous.dividedBy(resolved));
  }

  // Helper rules of the alerts: one-shot per team, started and resolved per repository.
  const byTeam = (o: { labels: SpanLabels }) => ({ team: o.labels.team });
  const byRepository = (o: { labels: SpanLabels }) => ({ repository: o.labels.repository });
  const teamResolved = Counter.of(spans.outcomes, byTeam);
  const teamOneShot = Counter.of(spans.outcomes.filter((o) => o.oneShot === true), byTeam).filledFrom(teamResolved);
  emit('team:factory_runs_resolved:increase_7d', teamResolved);
  emit('team:factory_runs_one_shot:increase_7d', teamOneShot);
  emit('team:factory_one_shot_success:ratio_7d', teamOneShot.dividedBy(teamResolved));
  const repositoryStarted = Counter.of(spans.roots, byRepository);
  emit('repository:factory_runs_started:increase_7d', repositoryStarted);
  emit('repository:factory_runs_resolved:increase_7d', Counter.of(spans.outcomes, byRepository).filledFrom(repositoryStarted));

  // Cycle time and MLTC: cumulative buckets, counts and histogram_quantile
  // estimates, factory-wide and per team.
  const durationRules: Array<[string, string, Array<{ labels: SpanLabels; durationSeconds: number }>]> = [
    ['cycle_time', 'reviews_merged', spans.mergedFactoryReviews],
    ['mltc', 'deployments_succeeded', spans.productionDeployments],
  ];
  for (const [metric, countName, stages] of durationRules) {
    if (stages.length === 0) continue;
    const buckets = cumulativeBuckets(stages.map((stage) => stage.durationSeconds), DURATION_BUCKETS_SECONDS);
    pushBuckets(samples, `le:factory_${metric}_seconds_bucket:increase_7d`, buckets);
    samples.push({ rule: `factory:${countName}:increase_7d`, labels: {}, value: stages.length });
    samples.push({ rule: `factory:${metric}_seconds:p50_7d`, labels: {}, value: histogramQuantile(0.5, buckets) });
    samples.push({ rule: `factory:${metric}_seconds:p90_7d`, labels: {}, value: histogramQuantile(0.9, buckets) });

    for (const { labels, seconds } of groupDurations(stages, (stage) => ({ team: stage.labels.team }))) {
      const teamBuckets = cumulativeBuckets(seconds, DURATION_BUCKETS_SECONDS);
      for (const bucket of teamBuckets) samples.push({ rule: `team_le:factory_${metric}_seconds_bucket:increase_7d`, labels: { ...labels, le: formatLe(bucket.le) }, value: bucket.count });
      samples.push({ rule: `team:factory_${countName}:increase_7d`, labels, value: seconds.length });
      samples.push({ rule: `team:factory_${metric}_seconds:p50_7d`, labels, value: histogramQuantile(0.5, teamBuckets) });
    }
  }

  // Cycle time by author kind and complexity, human baseline pull requests included.
  const byAuthorComplexity = groupDurations(spans.mergedReviews, (review) => ({ author_kind: review.labels.authorKind, complexity: review.labels.complexity }));
  for (const { labels, seconds } of byAuthorComplexity) {
    const buckets = cumulativeBuckets(seconds, DURATION_BUCKETS_SECONDS);
    for (const bucket of buckets) samples.push({ rule: 'author_kind_complexity_le:factory_cycle_time_seconds_bucket:increase_7d', labels: { ...labels, le: formatLe(bucket.le) }, value: bucket.count });
    samples.push({ rule: 'author_kind_complexity:factory_cycle_time_seconds:p50_7d', labels, value: histogramQuantile(0.5, buckets) });
  }

  // Retries that repeat the previous failure, per team and repository and summed.
  const verifiedRetries = spans.verifications.filter((v) => v.repeated !== undefined);
  const repeatedRetries = verifiedRetries.filter((v) => v.repeated === true);
  const retryLevels: Array<[string, (v: { labels: SpanLabels }) => Record<string, string>]> = [
    ['team_repository:factory_', (v) => ({ team: v.labels.team, repository: v.labels.repository })],
    ['team:factory_', byTeam],
    ['repository:factory_', byRepository],
    ['factory:', () => ({})],
  ];
  for (const [prefix, keyOf] of retryLevels) {
    const verified = Counter.of(verifiedRetries, keyOf);
    const repeated = Counter.of(repeatedRetries, keyOf).filledFrom(verified);
    emit(`${prefix}retries_verified:increase_7d`, verified);
    emit(`${prefix}retries_repeated:increase_7d`, repeated);
    if (prefix !== 'team_repository:factory_') emit(`${prefix}retry_repeated_failure:ratio_7d`, repeated.dividedBy(verified));
  }

  // Feedback specificity of failed verification runs.
  const withFeedback = Counter.of(spans.verifications.filter((v) => v.feedbackSpecific !== undefined), () => ({}));
  const specific = Counter.of(spans.verifications.filter((v) => v.feedbackSpecific === true), () => ({})).filledFrom(withFeedback);
  emit('factory:verification_failures_with_feedback:increase_7d', withFeedback);
  emit('factory:verification_failures_specific:increase_7d', specific);
  emit('factory:verification_failures_specific:ratio_7d', specific.dividedBy(withFeedback));

  // Cost per merged run, from the outcome spans that carry a cost.
  const withCost = spans.outcomes.filter((o) => o.costUsd !== undefined);
  const mergedByModel = Counter.of(spans.outcomes.filter((o) => o.status === 'merged'), (o) => ({ model: o.labels.model })).filledFrom(Counter.of(spans.outcomes, (o) => ({ model: o.labels.model })));
  const mergedTotal = Counter.of(spans.outcomes.filter((o) => o.status === 'merged'), () => ({})).filledFrom(Counter.of(spans.outcomes, () => ({})));
  const costByModel = Counter.of(withCost, (o) => ({ model: o.labels.model }), (o) => o.costUsd!);
  const costTotal = Counter.of(withCost, () => ({}), (o) => o.costUsd!);
  emit('model:factory_run_cost_usd:sum_7d', costByModel);
  emit('factory:run_cost_usd:sum_7d', costTotal);
  emit('model:factory_cost_per_merged_run_usd:ratio_7d', costByModel.dividedBy(mergedByModel));
  emit('factory:cost_per_merged_run_usd:ratio_7d', costTotal.dividedBy(mergedTotal));

  // Attempts per resolved run, from the outcome spans that carry their attempts.
  const attempts = spans.outcomes.filter((o) => o.attempts !== undefined).map((o) => o.attempts!);
  if (attempts.length > 0) {
    const buckets = cumulativeBuckets(attempts, ATTEMPT_BUCKETS);
    const sum = attempts.reduce((total, value) => total + value, 0);
    pushBuckets(samples, 'le:factory_run_attempts_bucket:sum_7d', buckets);
    samples.push({ rule: 'factory:run_attempts_count:sum_7d', labels: {}, value: attempts.length });
    samples.push({ rule: 'factory:run_attempts_sum:sum_7d', labels: {}, value: sum });
    samples.push({ rule: 'factory:run_attempts:p50_7d', labels: {}, value: Math.ceil(histogramQuantile(0.5, buckets)) });
    samples.push({ rule: 'factory:run_attempts:p90_7d', labels: {}, value: Math.ceil(histogramQuantile(0.9, buckets)) });
    samples.push({ rule: 'factory:run_attempts:mean_7d', labels: {}, value: sum / attempts.length });
  }

  // One-shot success by context completeness, from outcome spans with the flag.
  const withContextFlag = spans.outcomes.filter((o) => o.contextComplete !== undefined);
  const byContext = (o: OutcomeStage) => ({ context_complete: String(o.contextComplete) });
  const contextResolved = Counter.of(withContextFlag, byContext);
  const contextOneShot = Counter.of(withContextFlag.filter((o) => o.oneShot === true), byContext).filledFrom(contextResolved);
  emit('context_complete:factory_runs_resolved:increase_7d', contextResolved);
  emit('context_complete:factory_runs_one_shot:increase_7d', contextOneShot);
  emit('context_complete:factory_one_shot_success:ratio_7d', contextOneShot.dividedBy(contextResolved));

  evaluateExperimentRules(runs, window, emit);
  evaluateTeamRepositoryRules(spans.outcomes, emit);
  return samples;
}

// z for a two-sided 95% interval, as prometheus/rules/factory-experiments.rules.yml writes it.
const Z95 = 1.9599639845400536;

// chi-square critical values at p = 0.001 for 1 to 5 degrees of freedom (2 to 6
// arms), the thresholds of experiment:factory_arm_split_mismatch:flag_14d.
const SPLIT_THRESHOLDS: Readonly<Record<number, number>> = {
  2: 10.827566170662729,
  3: 13.815510557964272,
  4: 16.266236196238129,
  5: 18.466826952903169,
  6: 20.515005652432876,
};

/**
 * Evaluates the experiment group of factory-experiments.rules.yml: per
 * experiment, arm and complexity over the 14 days that end where `window` ends.
 */
function evaluateExperimentRules(runs: Iterable<Run>, window: TimeWindow, emit: (rule: string, counter: Counter) => void): void {
  const window14 = windowEndingAt(window.endUnixNano, 2n * SEVEN_DAYS_NANOS);
  const outcomes: OutcomeStage[] = [];
  for (const run of runs) {
    for (const outcome of run.outcomes) {
      if (outcome.labels.experiment !== '' && outcome.labels.arm !== '' && inWindow(window14, outcome.endTimeUnixNano)) outcomes.push(outcome);
    }
  }

  const byArmComplexity = (o: OutcomeStage) => ({ experiment: o.labels.experiment, arm: o.labels.arm, complexity: o.labels.complexity });
  const byArm = (o: OutcomeStage) => ({ experiment: o.labels.experiment, arm: o.labels.arm });
  for (const [prefix, keyOf] of [['experiment_arm_complexity:factory_', byArmComplexity], ['experiment_arm:factory_', byArm]] as const) {
    const resolved = Counter.of(outcomes, keyOf);
    const oneShot = Counter.of(outcomes.filter((o) => o.oneShot === true), keyOf).filledFrom(resolved);
    const autonomous = Counter.of(outcomes.filter((o) => o.autonomous === true), keyOf).filledFrom(resolved);
    emit(`${prefix}runs_resolved:increase_14d`, resolved);
    emit(`${prefix}runs_one_shot:increase_14d`, oneShot);
    emit(`${prefix}runs_autonomous:increase_14d`, autonomous);
    if (prefix === 'experiment_arm_complexity:factory_') continue;

    emit('experiment_arm:factory_one_shot_success:ratio_14d', oneShot.dividedBy(resolved));
    emit('experiment_arm:factory_autonomous_success:ratio_14d', autonomous.dividedBy(resolved));
    for (const [kind, successes] of [['one_shot', oneShot], ['autonomous', autonomous]] as const) {
      emit(`experiment_arm:factory_${kind}_success:wilson_lower95_14d`, successes.combinedWith(resolved, (x, n) => wilsonBound(x, n, -1)));
      emit(`experiment_arm:factory_${kind}_success:wilson_upper95_14d`, successes.combinedWith(resolved, (x, n) => wilsonBound(x, n, 1)));
    }

    // Sample-ratio check against an equal split of the arms present.
    const byExperiment = (entry: { labels: Record<string, string> }) => ({ experiment: entry.labels.experiment ?? '' });
    const arms = resolved.entries();
    const total = Counter.of(arms, byExperiment, (entry) => entry.value);
    const armCount = Counter.of(arms, byExperiment);
    emit('experiment:factory_runs_resolved:increase_14d', total);
    emit('experiment:factory_experiment_arms:count_14d', armCount);
    const chiSquare = new Counter();
    for (const { labels, value } of arms) {
      const experiment = byExperiment({ labels });
      const k = armCount.get(experiment)!;
      const expected = total.get(experiment)! / k;
      if (k >= 2 && expected > 0) chiSquare.add(experiment, (value - expected) ** 2 / expected);
    }
    emit('experiment:factory_arm_split:chi_square_14d', chiSquare);
    const flag = new Counter();
    for (const { labels, value } of chiSquare.entries()) {
      const threshold = SPLIT_THRESHOLDS[armCount.get({ experiment: labels.experiment ?? '' })!];
      if (threshold !== undefined) flag.add({ experiment: labels.experiment ?? '' }, value > threshold ? 1 : 0);
    }
    emit('experiment:factory_arm_split_mismatch:flag_14d', flag);
  }
}

// The Wilson score bound as the rules compute it: (x + z²/2 ± z·sqrt(x(n−x)/n + z²/4)) / (n + z²), clamped to [0, 1].
function wilsonBound(successes: number, trials: number, sign: -1 | 1): number | undefined {
  if (!(trials > 0)) return undefined;
  const z2 = Z95 * Z95;
  const bound = (successes + z2 / 2 + sign * Z95 * Math.sqrt((successes * (trials - successes)) / trials + z2 / 4)) / (trials + z2);
  return sign < 0 ? Math.max(bound, 0) : Math.min(bound, 1);
}

/** Evaluates the team and repository group of factory-experiments.rules.yml over the 7-day window. */
function evaluateTeamRepositoryRules(outcomes: readonly OutcomeStage[], emit: (rule: string, counter: Counter) => void): void {
  const byTeamRepository = (o: OutcomeStage) => ({ team: o.labels.team, repository: o.labels.repository });
  const byTeam = (o: OutcomeStage) => ({ team: o.labels.team });
  const byRepository = (o: OutcomeStage) => ({ repository: o.labels.repository });
  const oneShots = outcomes.filter((o) => o.oneShot === true);
  const autonomous = outcomes.filter((o) => o.autonomous === true);

  const pairResolved = Counter.of(outcomes, byTeamRepository);
  emit('team_repository:factory_runs_resolved:increase_7d', pairResolved);
  emit('team_repository:factory_runs_one_shot:increase_7d', Counter.of(oneShots, byTeamRepository).filledFrom(pairResolved));
  emit('team_repository:factory_runs_autonomous:increase_7d', Counter.of(autonomous, byTeamRepository).filledFrom(pairResolved));

  const teamResolved = Counter.of(outcomes, byTeam);
  const teamAutonomous = Counter.of(autonomous, byTeam).filledFrom(teamResolved);
  emit('team:factory_runs_autonomous:increase_7d', teamAutonomous);
  emit('team:factory_autonomous_success:ratio_7d', teamAutonomous.dividedBy(teamResolved));

  const repositoryResolved = Counter.of(outcomes, byRepository);
  const repositoryOneShot = Counter.of(oneShots, byRepository).filledFrom(repositoryResolved);
  const repositoryAutonomous = Counter.of(autonomous, byRepository).filledFrom(repositoryResolved);
  emit('repository:factory_runs_one_shot:increase_7d', repositoryOneShot);
  emit('repository:factory_runs_autonomous:increase_7d', repositoryAutonomous);
  emit('repository:factory_one_shot_success:ratio_7d', repositoryOneShot.dividedBy(repositoryResolved));
  emit('repository:factory_autonomous_success:ratio_7d', repositoryAutonomous.dividedBy(repositoryResolved));
}

/** Formats a bucket bound as the `le` label: `+Inf`, or the shortest decimal such as `60` or `0.5`. */
export function formatLe(le: number): string {
  return le === Number.POSITIVE_INFINITY ? '+Inf' : String(le);
}

/** A stage span reduced to what the duration rules read. */
interface TimedStage {
  labels: SpanLabels;
  durationSeconds: number;
}

/** The spans that the rules read, already filtered to the window. */
interface WindowSpans {
  outcomes: OutcomeStage[];
  roots: Array<{ labels: SpanLabels }>;
  verifications: Run['verifications'];
  /** Merged reviews of factory changes: the cycle time rules' input. */
  mergedFactoryReviews: TimedStage[];
  /** Successful production deployments of factory changes: the MLTC rules' input. */
  productionDeployments: TimedStage[];
  /** Merged reviews of every author kind, human baseline included. */
  mergedReviews: TimedStage[];
}

function spansInWindow(runs: Iterable<Run>, window: TimeWindow): WindowSpans {
  const result: WindowSpans = { outcomes: [], roots: [], verifications: [], mergedFactoryReviews: [], productionDeployments: [], mergedReviews: [] };
  for (const run of runs) {
    for (const outcome of run.outcomes) if (inWindow(window, outcome.endTimeUnixNano)) result.outcomes.push(outcome);
    for (const root of run.roots) if (inWindow(window, root.endTimeUnixNano)) result.roots.push(root);
    for (const verification of run.verifications) if (inWindow(window, verification.endTimeUnixNano)) result.verifications.push(verification);
    for (const review of run.reviews) {
      if (!isMergedReview(review) || !inWindow(window, review.endTimeUnixNano)) continue;
      result.mergedReviews.push(review);
      if (isFactoryChange(review)) result.mergedFactoryReviews.push(review);
    }
    for (const deployment of run.deployments) {
      if (isProductionDeployment(deployment) && isFactoryChange(deployment) && inWindow(window, deployment.endTimeUnixNano)) result.productionDeployments.push(deployment);
    }
  }
  return result;
}

/** Groups durations by a label set, in first-seen order; labels with an empty value are left out, as Prometheus stores them. */
function groupDurations(stages: readonly TimedStage[], labelsOf: (stage: TimedStage) => Record<string, string>): Array<{ labels: Record<string, string>; seconds: number[] }> {
  const groups = new Map<string, { labels: Record<string, string>; seconds: number[] }>();
  for (const stage of stages) {
    const labels = Object.fromEntries(Object.entries(labelsOf(stage)).filter(([, value]) => value !== ''));
    const key = JSON.stringify(labels);
    const group = groups.get(key);
    if (group === undefined) groups.set(key, { labels, seconds: [stage.durationSeconds] });
    else group.seconds.push(stage.durationSeconds);
  }
  return [...groups.values()];
}

function pushBuckets(samples: RuleSample[], rule: string, buckets: readonly HistogramBucket[]): void {
  for (const bucket of buckets) samples.push({ rule, labels: { le: formatLe(bucket.le) }, value: bucket.count });
}

/**
 * Sums per label set, like `sum by (...)` over label_replace'd series: an empty
 * label value is no label.
 */
class Counter {
  private readonly values = new Map<string, { labels: Record<string, string>; value: number }>();

  static of<T>(items: readonly T[], keyOf: (item: T) => Record<string, string>, amountOf: (item: T) => number = () => 1): Counter {
    const counter = new Counter();
    for (const item of items) counter.add(keyOf(item), amountOf(item));
    return counter;
  }

  add(rawLabels: Record<string, string>, amount: number): void {
    // The key functions above return their labels in a fixed order, so the values
    // alone identify the label set; the label object is built once per set.
    let key = '';
    for (const name in rawLabels) key += `${name}\u0000${rawLabels[name]}\u0001`;
    const entry = this.values.get(key);
    if (entry !== undefined) {
      entry.value += amount;
      return;
    }
    const labels: Record<string, string> = {};
    for (const name in rawLabels) if (rawLabels[name] !== '') labels[name] = rawLabels[name]!;
    this.values.set(key, { labels, value: amount });
  }

  /** `this or 0 * other`: adds every label set of `other` that this lacks, with 0. */
  filledFrom(other: Counter): Counter {
    for (const [key, { labels }] of other.values) {
      if (!this.values.has(key)) this.values.set(key, { labels, value: 0 });
    }
    return this;
  }

  /** `this / (divisor > 0)`: label sets in both, where the divisor is above 0. */
  dividedBy(divisor: Counter): Counter {
    const result = new Counter();
    for (const [key, { labels, value }] of this.values) {
      const denominator = divisor.values.get(key)?.value;
      if (denominator !== undefined && denominator > 0) result.values.set(key, { labels, value: value / denominator });
    }
    return result;
  }

  /** Returns the value of one label set, or undefined. */
  get(rawLabels: Record<string, string>): number | undefined {
    let key = '';
    for (const name in rawLabels) key += `${name}\u0000${rawLabels[name]}\u0001`;
    return this.values.get(key)?.value;
  }

  /** Label sets in both, with `combine(this, other)`; undefined results are left out. */
  combinedWith(other: Counter, combine: (value: number, otherValue: number) => number | undefined): Counter {
    const result = new Counter();
    for (const [key, { labels, value }] of this.values) {
      const otherValue = other.values.get(key)?.value;
      const combined = otherValue === undefined ? undefined : combine(value, otherValue);
      if (combined !== undefined) result.values.set(key, { labels, value: combined });
    }
    return result;
  }

  entries(): Array<{ labels: Record<string, string>; value: number }> {
    return [...this.values.values()];
  }
}
