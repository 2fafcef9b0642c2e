import {
  compareProportions,
  minimumDetectableEffect,
  newcombeInterval,
  wilsonInterval,
  type DetectableEffect,
  type DifferenceInterval,
  type ProportionInterval,
  type TestResult,
} from '../stats/index.js';
import { checkRunCounts, metricName, proportionOf } from './counts.js';
import { percent, points, pointsInterval, pValueText } from './format.js';
import type { ModelComparisonInput, ModelComplexityCounts, SuccessMetric } from './types.js';

/** One model's rate on one complexity. */
export interface ModelRate {
  model: string;
  resolved: number;
  rate: ProportionInterval;
}

/** The leading model of a complexity against one other model. */
export interface ModelPair {
  leader: string;
  other: string;
  /** Leader rate minus other rate, with Newcombe's interval at 1 - alpha. */
  difference: DifferenceInterval;
  test: TestResult;
  significant: boolean;
}

/**
 * Routing support for one complexity. `prefer`: the leader is significantly
 * better than every other model. `cheaper_not_worse`: a cheaper model is shown
 * to be at most the margin worse than the leader. The other kinds suggest no
 * model.
 */
export type RoutingKind = 'prefer' | 'cheaper_not_worse' | 'no_difference_shown' | 'too_little_data' | 'single_model';

/** The models compared within one complexity. */
export interface ComplexityComparison {
  complexity: string;
  /** Models with resolved runs, highest point estimate first. */
  models: ModelRate[];
  comparisons: ModelPair[];
  /** Level of each comparison: alpha / (models - 1). */
  alpha: number;
  routing: { kind: RoutingKind; model: string | null; sentence: string };
}

/** Result of the model comparison. */
export interface ModelComparisonAnswer {
  metric: SuccessMetric;
  complexities: ComplexityComparison[];
  /** A routing rule over the complexities where the data support one, or null. */
  suggestion: string | null;
  /** True when at least one complexity has a routing suggestion, for a CLI's exit code. */
  significant: boolean;
}

/**
 * Compares models within each complexity: each model's rate with a Wilson
 * interval, the leading model against each other one (Bonferroni level
 * alpha / (models - 1)), and a routing suggestion only where a test supports
 * it. Models without resolved runs in a complexity are left out of it.
 */
export function compareModels(input: ModelComparisonInput): ModelComparisonAnswer {
  const metric = input.metric ?? 'one_shot';
  const alpha = input.alpha ?? 0.05;
  const margin = input.nonInferiorityMargin ?? 0.05;
  input.counts.forEach((counts) => checkRunCounts(counts, `model ${counts.model}, complexity ${counts.complexity}`));
  if (!(margin > 0 && margin < 1)) {
    throw new RangeError(`nonInferiorityMargin must be between 0 and 1 (0.05 = 5 points), got ${margin}`);
  }

  const byComplexity = new Map<string, ModelComplexityCounts[]>();
  for (const counts of input.counts) {
    if (counts.resolved === 0) continue;
    byComplexity.set(counts.complexity, [...(byComplexity.get(counts.complexity) ?? []), counts]);
  }

  const complexities = [...byComplexity.keys()]
    .sort(compareComplexity)
    .map((complexity) =>
      compareWithin(complexity, byComplexity.get(complexity) ?? [], { metric, alpha, margin, cost: input.costPerRun }),
    );
  const routed = complexities.filter(
    (comparison) => comparison.routing.kind === 'prefer' || comparison.routing.kind === 'cheaper_not_worse',
  );
  const suggestion =
    routed.length === 0
      ? null
      : `Route by complexity: ${routed.map((comparison) => `${comparison.complexity} to ${comparison.routing.model}`).join(', ')}` +
        `${routed.length < complexities.length ? '; the data support no rule for the other complexities yet' : ''}.`;

  return { metric, complexities, suggestion, significant: routed.length > 0 };
}

/** The complexities in their natural order, unknown values after them alphabetically. */
const COMPLEXITY_ORDER = ['trivial', 'standard', 'complex', 'architectural'];

function compareComplexity(a: string, b: string): number {
  const rank = (value: string): number => {
    const index = COMPLEXITY_ORDER.indexOf(value);
    return index === -1 ? COMPLEXITY_ORDER.length : index;
  };
  return rank(a) - rank(b) || a.localeCompare(b);
}

interface Settings {
  metric: SuccessMetric;
  alpha: number;
  margin: number;
  cost: Record<string, number> | undefined;
}

function compareWithin(complexity: string, counts: ModelComplexityCounts[], settings: Settings): ComplexityComparison {
  const { metric, alpha: familyAlpha, margin, cost } = settings;
  const models = counts
    .map((entry) => ({ model: entry.model, resolved: entry.resolved, rate: wilsonInterval(proportionOf(entry, metric)) }))
    .sort((a, b) => b.rate.estimate - a.rate.estimate || b.resolved - a.resolved);
  const alpha = models.length > 1 ? familyAlpha / (models.length - 1) : familyAlpha;
  const countsOf = (model: string): ModelComplexityCounts => counts.find((entry) => entry.model === model) as ModelComplexityCounts;

  const leader = models[0] as ModelRate;
  const comparisons = models.slice(1).map((other) => {
    const leaderRate = proportionOf(countsOf(leader.model), metric);
    const otherRate = proportionOf(countsOf(other.model), metric);
    const test = compareProportions(leaderRate, otherRate);
    return {
      leader: leader.model,
      other: other.model,
      difference: newcombeInterval(leaderRate, otherRate, 1 - alpha),
      test,
      significant: test.pValue < alpha,
    };
  });

  const base = { complexity, models, comparisons, alpha };
  const name = metricName(metric);
  if (comparisons.length === 0) {
    return { ...base, routing: { kind: 'single_model', model: null, sentence: `${complexity}: only ${leader.model} has runs, so there is nothing to compare.` } };
  }

  if (comparisons.every((pair) => pair.significant)) {
    const gaps = comparisons.map((pair) => `${points(pair.difference.estimate)} over ${pair.other} (${pointsInterval(pair.difference)}, ${pValueText(pair.test.pValue)})`);
    return {
      ...base,
      routing: {
        kind: 'prefer',
        model: leader.model,
        sentence: `${complexity}: ${leader.model} has the highest ${name}, ${percent(leader.rate.estimate)}, significantly above every other model: ${gaps.join('; ')}.`,
      },
    };
  }

  const cheaper = cheaperNotWorse(leader, models, cost, { metric, alpha, margin, countsOf });
  if (cheaper !== null) {
    return {
      ...base,
      routing: {
        kind: 'cheaper_not_worse',
        model: cheaper.model,
        sentence:
          `${complexity}: ${cheaper.model} costs less than ${leader.model} and its ${name} is at most ${points(margin).replace('+', '')} lower ` +
          `(difference ${points(cheaper.difference.estimate)}, one-sided ${Math.round((1 - alpha) * 1000) / 10}% bound ${points(cheaper.difference.lower)}).`,
      },
    };
  }

  const runnerUp = comparisons[0] as ModelPair;
  const runnerUpCounts = countsOf(runnerUp.other);
  const detectable = minimumDetectableEffect(
    proportionOf(runnerUpCounts, metric).successes / runnerUpCounts.resolved,
    runnerUpCounts.resolved,
    countsOf(leader.model).resolved,
    { alpha },
  );
  const tooLittle = detectable === null || detectable.effect > 0.1;
  const gapText =
    `${leader.model} leads ${runnerUp.other} by ${points(runnerUp.difference.estimate)} ` +
    `(${pointsInterval(runnerUp.difference)}, ${pValueText(runnerUp.test.pValue)}), which is not significant`;
  return {
    ...base,
    routing: {
      kind: tooLittle ? 'too_little_data' : 'no_difference_shown',
      model: null,
      sentence: tooLittle
        ? `${complexity}: ${gapText}, and ${detectableText(detectable)}, so there is not enough data to route yet.`
        : `${complexity}: ${gapText}. The data show no model to prefer.`,
    },
  };
}

function detectableText(detectable: DetectableEffect | null): string {
  return detectable === null
    ? 'these runs could not detect any gap with 80% power'
    : `these runs could detect only gaps of ${points(detectable.effect)} or more with 80% power`;
}

interface NonInferiority {
  model: string;
  difference: DifferenceInterval;
}

/**
 * Finds the cheapest model that costs less than the leader and whose rate is
 * shown to be at most `margin` below it. The test is one-sided at alpha: the
 * lower bound of the two-sided 1 - 2·alpha Newcombe interval of
 * (model - leader) must lie above -margin.
 */
function cheaperNotWorse(
  leader: ModelRate,
  models: ModelRate[],
  cost: Record<string, number> | undefined,
  settings: { metric: SuccessMetric; alpha: number; margin: number; countsOf: (model: string) => ModelComplexityCounts },
): NonInferiority | null {
  const leaderCost = cost?.[leader.model];
  if (cost === undefined || leaderCost === undefined) return null;

  const candidates = models
    .filter((entry) => entry.model !== leader.model && (cost[entry.model] ?? Number.POSITIVE_INFINITY) < leaderCost)
    .sort((a, b) => (cost[a.model] as number) - (cost[b.model] as number));
  for (const candidate of candidates) {
    const difference = newcombeInterval(
      proportionOf(settings.countsOf(candidate.model), settings.metric),
      proportionOf(settings.countsOf(leader.model), settings.metric),
      1 - 2 * settings.alpha,
    );
    if (difference.lower > -settings.margin) return { model: candidate.model, difference };
  }
  return null;
}
