import {
  compareProportions,
  mantelHaenszel,
  minimumDetectableEffect,
  newcombeInterval,
  sampleRatioMismatch,
  weeksToDetect,
  wilsonInterval,
  type DetectableEffect,
  type DifferenceInterval,
  type MantelHaenszelResult,
  type ProportionInterval,
  type SampleRatioCheck,
  type TestResult,
  type WeeksToDetect,
} from '../stats/index.js';
import { checkRunCounts, metricName, proportionOf } from './counts.js';
import { percent, percentInterval, points, pointsInterval, pValueText } from './format.js';
import type { ArmCounts, ExperimentInput, SuccessMetric } from './types.js';

/** One arm's rates. */
export interface ArmSummary {
  arm: string;
  resolved: number;
  oneShot: ProportionInterval;
  autonomous: ProportionInterval;
}

/** One arm compared with the control arm on the experiment's metric. */
export interface ArmComparison {
  control: string;
  treatment: string;
  /** Treatment rate minus control rate, with Newcombe's interval at 1 - alpha. Null when an arm has no runs. */
  difference: DifferenceInterval | null;
  test: TestResult;
  /** Significance level of this comparison: the experiment's alpha divided by the number of comparisons. */
  alpha: number;
  significant: boolean;
  /** Smallest lift over the control rate that these arm sizes detect. Null when none is within reach. */
  minimumDetectableEffect: DetectableEffect | null;
  /** Runs and weeks that the target effect needs. Null when the control has no runs or the target passes 100 %. */
  weeksToTarget: WeeksToDetect | null;
  /** Cochran–Mantel–Haenszel by complexity, treatment against control. Null without counts per complexity. */
  stratified: MantelHaenszelResult | null;
  /** True when stratified is not null and its p-value is below alpha. */
  stratifiedSignificant: boolean;
}

/**
 * What the verdict is allowed to say. `significant` is the only kind that
 * reports a difference. `too_little_data` means no significant difference and
 * a volume too low to detect the target effect.
 */
export type ExperimentVerdictKind =
  | 'sample_ratio_mismatch'
  | 'empty_arm'
  | 'significant'
  | 'not_significant'
  | 'too_little_data';

/** Result of the experiment analysis. */
export interface ExperimentAnswer {
  experiment: string;
  metric: SuccessMetric;
  control: string;
  arms: ArmSummary[];
  comparisons: ArmComparison[];
  sampleRatio: SampleRatioCheck;
  /** Resolved runs per week over all arms. */
  weeklyRuns: number;
  targetEffect: number;
  verdict: { kind: ExperimentVerdictKind; sentences: string[] };
  /** True only for the verdict kind `significant`, for a CLI's exit code. */
  significant: boolean;
}

/**
 * Analyses an experiment: the rates of each arm with Wilson intervals, each arm
 * against the control (Newcombe interval of the difference, z-test or Fisher's
 * exact test, minimum detectable effect, weeks to the target effect, CMH by
 * complexity), the sample-ratio check against the planned split, and a verdict
 * in plain language. With more than two arms, each comparison uses the
 * Bonferroni level alpha / (arms - 1).
 */
export function analyseExperiment(input: ExperimentInput): ExperimentAnswer {
  const metric = input.metric ?? 'one_shot';
  const alpha = input.alpha ?? 0.05;
  const power = input.power ?? 0.8;
  const targetEffect = input.targetEffect ?? 0.1;
  checkExperimentInput(input, targetEffect);

  const control = findControl(input);
  const treatments = input.arms.filter((arm) => arm !== control);
  const comparisonAlpha = alpha / treatments.length;
  const totalResolved = input.arms.reduce((sum, arm) => sum + arm.resolved, 0);
  const weeklyRuns = totalResolved / input.weeks;

  const arms = input.arms.map((arm) => ({
    arm: arm.arm,
    resolved: arm.resolved,
    oneShot: wilsonInterval(proportionOf(arm, 'one_shot')),
    autonomous: wilsonInterval(proportionOf(arm, 'autonomous')),
  }));
  const sampleRatio = sampleRatioMismatch(
    input.arms.map((arm) => arm.resolved),
    input.arms.map((arm) => arm.plannedWeight ?? 1),
  );
  const comparisons = treatments.map((treatment) =>
    compareArms(control, treatment, { metric, alpha: comparisonAlpha, power, targetEffect, weeks: input.weeks }),
  );

  const verdict = experimentVerdict(input, { metric, control, sampleRatio, comparisons, targetEffect, power });
  return {
    experiment: input.name,
    metric,
    control: control.arm,
    arms,
    comparisons,
    sampleRatio,
    weeklyRuns,
    targetEffect,
    verdict,
    significant: verdict.kind === 'significant',
  };
}

function checkExperimentInput(input: ExperimentInput, targetEffect: number): void {
  if (input.arms.length < 2) {
    throw new RangeError(`experiment ${input.name} needs at least 2 arms, got ${input.arms.length}`);
  }
  const names = input.arms.map((arm) => arm.arm);
  if (new Set(names).size !== names.length) {
    throw new RangeError(`experiment ${input.name} has duplicate arm names: ${names.join(', ')}`);
  }
  input.arms.forEach((arm) => {
    checkRunCounts(arm, `arm ${arm.arm}`);
    for (const [complexity, counts] of Object.entries(arm.byComplexity ?? {})) {
      checkRunCounts(counts, `arm ${arm.arm}, complexity ${complexity}`);
    }
  });
  const weighted = input.arms.filter((arm) => arm.plannedWeight !== undefined).length;
  if (weighted !== 0 && weighted !== input.arms.length) {
    throw new RangeError(
      `experiment ${input.name} gives plannedWeight for ${weighted} of ${input.arms.length} arms; give it for every arm or for none`,
    );
  }
  if (!(input.weeks > 0)) {
    throw new RangeError(`weeks must be the window length in weeks, above 0, got ${input.weeks}`);
  }
  if (!(targetEffect > 0 && targetEffect < 1)) {
    throw new RangeError(`targetEffect must be between 0 and 1 (0.1 = 10 points), got ${targetEffect}`);
  }
}

function findControl(input: ExperimentInput): ArmCounts {
  const name = input.control ?? input.arms[0]?.arm;
  const control = input.arms.find((arm) => arm.arm === name);
  if (control === undefined) {
    throw new RangeError(
      `control arm ${name} is not an arm of experiment ${input.name}; arms: ${input.arms.map((arm) => arm.arm).join(', ')}`,
    );
  }
  return control;
}

interface ComparisonSettings {
  metric: SuccessMetric;
  alpha: number;
  power: number;
  targetEffect: number;
  weeks: number;
}

function compareArms(control: ArmCounts, treatment: ArmCounts, settings: ComparisonSettings): ArmComparison {
  const { metric, alpha, power, targetEffect, weeks } = settings;
  const controlRate = proportionOf(control, metric);
  const treatmentRate = proportionOf(treatment, metric);
  const bothHaveRuns = control.resolved > 0 && treatment.resolved > 0;

  const test = compareProportions(treatmentRate, controlRate);
  const baseline = control.resolved > 0 ? controlRate.successes / controlRate.trials : Number.NaN;
  const stratified = stratify(control, treatment, metric);
  const pairRuns = control.resolved + treatment.resolved;

  let weeksToTarget: WeeksToDetect | null = null;
  if (control.resolved > 0 && baseline + targetEffect <= 1) {
    const shares = [control.plannedWeight ?? 1, treatment.plannedWeight ?? 1] as const;
    weeksToTarget = weeksToDetect(baseline, targetEffect, pairRuns, pairRuns / weeks, { alpha, power, shares });
  }

  return {
    control: control.arm,
    treatment: treatment.arm,
    difference: bothHaveRuns ? newcombeInterval(treatmentRate, controlRate, 1 - alpha) : null,
    test,
    alpha,
    significant: bothHaveRuns && test.pValue < alpha,
    minimumDetectableEffect:
      control.resolved > 0 ? minimumDetectableEffect(baseline, control.resolved, treatment.resolved, { alpha, power }) : null,
    weeksToTarget,
    stratified,
    stratifiedSignificant: stratified !== null && stratified.pValue < alpha,
  };
}

/** Runs CMH over the complexities that either arm has counts for, or returns null without such counts. */
function stratify(control: ArmCounts, treatment: ArmCounts, metric: SuccessMetric): MantelHaenszelResult | null {
  if (control.byComplexity === undefined || treatment.byComplexity === undefined) return null;

  const empty = { resolved: 0, oneShot: 0, autonomous: 0 };
  const complexities = [...new Set([...Object.keys(control.byComplexity), ...Object.keys(treatment.byComplexity)])].sort();
  const strata = complexities.map((complexity) => ({
    name: complexity,
    first: proportionOf(treatment.byComplexity?.[complexity] ?? empty, metric),
    second: proportionOf(control.byComplexity?.[complexity] ?? empty, metric),
  }));
  return mantelHaenszel(strata);
}

interface VerdictContext {
  metric: SuccessMetric;
  control: ArmCounts;
  sampleRatio: SampleRatioCheck;
  comparisons: ArmComparison[];
  targetEffect: number;
  power: number;
}

function experimentVerdict(
  input: ExperimentInput,
  context: VerdictContext,
): { kind: ExperimentVerdictKind; sentences: string[] } {
  const { sampleRatio, comparisons } = context;

  if (sampleRatio.mismatch) {
    const split = input.arms.map((arm) => `${arm.arm} ${arm.resolved}`).join(', ');
    return {
      kind: 'sample_ratio_mismatch',
      sentences: [
        `The runs per arm (${split}) do not match the planned split (chi-square ${sampleRatio.chiSquare.toFixed(2)}, ` +
          `${pValueText(sampleRatio.pValue)}).`,
        'Assignment to arms or the recording of runs is broken, so no difference between the arms can be trusted until the cause is found.',
      ],
    };
  }

  const empty = input.arms.filter((arm) => arm.resolved === 0).map((arm) => arm.arm);
  if (empty.length > 0) {
    return {
      kind: 'empty_arm',
      sentences: [`No resolved runs yet in ${empty.join(' and ')}, so there is nothing to compare.`],
    };
  }

  const sentences = [armRates(input, context.metric)];
  if (comparisons.length > 1) {
    sentences.push(
      `Each of the ${comparisons.length} arms is compared with ${context.control.arm} at the level ` +
        `${Number((comparisons[0]?.alpha ?? 0).toPrecision(3))} (Bonferroni), so the family of comparisons keeps its level.`,
    );
  }
  const kinds = comparisons.map((comparison) => describeComparison(comparison, context, sentences));

  let kind: ExperimentVerdictKind = 'not_significant';
  if (kinds.includes('significant')) kind = 'significant';
  else if (kinds.includes('too_little_data')) kind = 'too_little_data';
  return { kind, sentences };
}

function describeComparison(
  comparison: ArmComparison,
  context: VerdictContext,
  sentences: string[],
): 'significant' | 'not_significant' | 'too_little_data' {
  const name = metricName(context.metric);
  const difference = comparison.difference as DifferenceInterval;
  const level = `${Math.round((1 - comparison.alpha) * 1000) / 10}%`;
  const testName = comparison.test.test === 'z-test' ? 'two-proportion z-test' : "Fisher's exact test";
  const direction = difference.estimate > 0 ? 'higher' : 'lower';

  if (comparison.significant) {
    sentences.push(
      `${comparison.treatment} has a ${direction} ${name} than ${comparison.control}: a difference of ` +
        `${points(difference.estimate)} (${level} interval ${pointsInterval(difference)}), ` +
        `${pValueText(comparison.test.pValue)} (${testName}).`,
      'The difference is an estimate. The true difference is plausibly anywhere in that interval.',
    );
    if (comparison.stratified !== null && !comparison.stratifiedSignificant) {
      sentences.push(
        `Within each complexity the difference is not significant (Cochran–Mantel–Haenszel ` +
          `${pValueText(comparison.stratified.pValue)}), so part of it may come from a different task mix in the arms.`,
      );
    }
    return 'significant';
  }

  sentences.push(
    `No significant difference in ${name} between ${comparison.treatment} and ${comparison.control} ` +
      `(${points(difference.estimate)}, ${level} interval ${pointsInterval(difference)}, ` +
      `${pValueText(comparison.test.pValue)}, ${testName}). This does not show that the arms are equal.`,
  );
  if (comparison.stratified !== null && comparison.stratifiedSignificant) {
    sentences.push(
      `Within complexities the difference is significant (Cochran–Mantel–Haenszel ${pValueText(comparison.stratified.pValue)}): ` +
        'the task mix of the arms may hide it. Read the per-complexity rates before deciding.',
    );
  }

  const detectable = comparison.minimumDetectableEffect;
  const underpowered = detectable === null || detectable.effect > context.targetEffect;
  const powerText = `${Math.round(context.power * 100)}%`;
  const baselineText = percent(proportionRate(context.control, context.metric));
  sentences.push(
    detectable === null
      ? `Not enough data yet: at these arm sizes no lift from ${baselineText} would be detected with ${powerText} power.`
      : `At these arm sizes a lift from ${baselineText} is detected with ${powerText} power only if it is ` +
          `${points(detectable.effect)} or more${underpowered ? ', so there is not enough data yet for the target' : ''}.`,
  );

  const weeks = comparison.weeksToTarget;
  if (underpowered && weeks !== null) {
    const runs = Math.ceil(weeks.requiredTrials);
    const more = Number.isFinite(weeks.weeks) ? `about ${Math.ceil(weeks.weeks * 10) / 10} more weeks` : 'an unknown time, since no runs arrive';
    sentences.push(`A lift of ${points(context.targetEffect)} needs about ${runs} runs in these two arms: ${more} at the current rate.`);
  }
  return underpowered ? 'too_little_data' : 'not_significant';
}

/** Lists each arm's rate with its 95% Wilson interval and run count. */
function armRates(input: ExperimentInput, metric: SuccessMetric): string {
  const rates = input.arms.map((arm) => {
    const interval = wilsonInterval(proportionOf(arm, metric));
    return `${arm.arm} ${percent(interval.estimate)} (95% interval ${percentInterval(interval)}, ${arm.resolved} runs)`;
  });
  return `${metricName(metric)[0]?.toUpperCase()}${metricName(metric).slice(1)}: ${rates.join('; ')}.`;
}

function proportionRate(counts: ArmCounts, metric: SuccessMetric): number {
  const proportion = proportionOf(counts, metric);
  return proportion.successes / proportion.trials;
}

