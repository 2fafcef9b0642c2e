import {
  analyseExperiment,
  analyseLoops,
  compareModels,
  type ArmCounts,
  type ExperimentAnswer,
  type LoopsAnswer,
  type ModelComparisonAnswer,
  type SuccessMetric,
} from '../../analysis/decisions/index.js';
import { formatTable, labelText, percent, percentRange } from './format.js';
import { UsageError } from './options.js';
import type { CountSource } from './source.js';

/**
 * The commands that return a decision: `experiment`, `compare` and `loops`.
 * Each reads counts from a CountSource, passes them to analysis/decisions and
 * keeps the answer whole for `--json`.
 */

interface Envelope {
  source: string;
  window: string;
  rules: string[];
}

export interface ExperimentOptions {
  name: string;
  /** Planned relative weight per arm, from `--split`. */
  split: Record<string, number> | undefined;
  control: string | undefined;
  targetEffect: number | undefined;
  metric: SuccessMetric;
}

export type ExperimentReport = Envelope & { command: 'experiment'; arms: ArmCounts[]; weeks: number; answer: ExperimentAnswer };

export async function runExperiment(source: CountSource, options: ExperimentOptions): Promise<ExperimentReport> {
  const { arms: found, weeks, windowDescription } = await source.experiment(options.name);
  if (found.every((arm) => arm.resolved === 0)) {
    const names = await source.experimentNames();
    throw new UsageError(
      `experiment ${JSON.stringify(options.name)} has no resolved runs in the window; experiments with runs: ${names.length === 0 ? 'none' : names.join(', ')}. ` +
        'For an experiment that ended before the window, give --end DATE within 14 days after its last run',
    );
  }

  let arms = found.map((arm) => ({
    ...consistent(arm),
    byComplexity: Object.fromEntries(Object.entries(arm.byComplexity ?? {}).map(([complexity, counts]) => [complexity, consistent(counts)])),
  }));
  if (options.split !== undefined) {
    const split = options.split;
    const unplanned = arms.filter((arm) => split[arm.arm] === undefined).map((arm) => arm.arm);
    if (unplanned.length > 0) {
      const example = arms.map((arm) => `${arm.arm}=1`).join(',');
      throw new UsageError(`invalid --split: it has no weight for arm ${unplanned.join(', ')}; give every arm of ${options.name}, e.g. --split ${example}`);
    }
    // A planned arm without runs stays in the analysis: an empty arm is a finding.
    const missing = Object.keys(split).filter((name) => !arms.some((arm) => arm.arm === name));
    arms = [...arms, ...missing.map((arm) => ({ arm, resolved: 0, oneShot: 0, autonomous: 0, byComplexity: {} }))];
    arms = arms.map((arm) => ({ ...arm, plannedWeight: split[arm.arm] }));
  }
  if (options.control !== undefined && !arms.some((arm) => arm.arm === options.control)) {
    throw new UsageError(`invalid --control ${JSON.stringify(options.control)}: not an arm of ${options.name}; arms: ${arms.map((arm) => arm.arm).join(', ')}`);
  }
  if (arms.length < 2) {
    throw new UsageError(`experiment ${options.name} has runs in one arm only (${arms[0]!.arm}); name the planned arms with --split, e.g. --split ${arms[0]!.arm}=1,treatment=1`);
  }

  const answer = analyseExperiment({
    name: options.name,
    arms,
    control: options.control,
    weeks,
    targetEffect: options.targetEffect,
    metric: options.metric,
  });
  return { command: 'experiment', source: source.description, window: windowDescription, rules: source.rulesRead, arms, weeks, answer };
}

export function formatExperiment(report: ExperimentReport): string {
  const { answer } = report;
  const armRows = answer.arms.map((arm) => [
    arm.arm + (arm.arm === answer.control ? ' (control)' : ''),
    String(arm.resolved),
    intervalText(arm.oneShot),
    intervalText(arm.autonomous),
  ]);
  const comparisonRows = answer.comparisons.map((comparison) => [
    `${comparison.treatment} - ${comparison.control}`,
    comparison.difference === null ? 'n/a' : `${points(comparison.difference.estimate)} (${points(comparison.difference.lower)} to ${points(comparison.difference.upper)})`,
    `${comparison.test.pValue.toPrecision(2)} (${comparison.test.test})`,
    comparison.significant ? 'yes' : 'no',
    comparison.minimumDetectableEffect === null ? 'out of reach' : points(comparison.minimumDetectableEffect.effect),
    comparison.weeksToTarget === null ? 'n/a' : weeksText(comparison.weeksToTarget.weeks),
    comparison.stratified === null ? 'n/a' : comparison.stratified.pValue.toPrecision(2),
  ]);
  const srm = answer.sampleRatio;
  return [
    ...header(report),
    `Experiment ${answer.experiment}, metric ${answer.metric === 'one_shot' ? 'one-shot success' : 'autonomous success'}, ${answer.weeklyRuns.toFixed(1)} resolved runs per week over ${report.weeks.toFixed(1)} weeks`,
    '',
    formatTable([['arm', 'runs', 'one-shot (95% interval)', 'autonomous (95% interval)'], ...armRows]),
    '',
    formatTable([['comparison', 'difference (interval)', 'p-value (test)', 'significant', 'detectable lift', `weeks to +${(answer.targetEffect * 100).toFixed(0)} points`, 'CMH p by complexity'], ...comparisonRows]),
    '',
    `Sample ratio: chi-square ${srm.chiSquare.toFixed(2)}, p = ${srm.pValue.toPrecision(2)}, ${srm.mismatch ? 'MISMATCH with the planned split' : 'consistent with the planned split'}.`,
    '',
    ...answer.verdict.sentences,
    '',
  ].join('\n');
}

export interface CompareOptions {
  by: string;
  within: string;
  metric: SuccessMetric;
  margin: number | undefined;
}

export type CompareReport = Envelope & { command: 'compare'; by: string; within: string; costPerRun: Record<string, number> | null; answer: ModelComparisonAnswer };

export async function runCompare(source: CountSource, options: CompareOptions): Promise<CompareReport> {
  const { counts, costPerRun } = await source.modelCounts(options.by, options.within);
  const answer = compareModels({ counts: counts.map(consistent), metric: options.metric, costPerRun, nonInferiorityMargin: options.margin });
  return { command: 'compare', source: source.description, window: source.windowDescription, rules: source.rulesRead, by: options.by, within: options.within, costPerRun: costPerRun ?? null, answer };
}

export function formatCompare(report: CompareReport): string {
  const lines = [...header(report)];
  if (report.answer.complexities.length === 0) lines.push(`No resolved runs in the window, so there is nothing to compare.`);
  for (const group of report.answer.complexities) {
    const rows = group.models.map((model) => [
      labelText(model.model),
      String(model.resolved),
      intervalText(model.rate),
      report.costPerRun?.[model.model] === undefined ? 'n/a' : `$${report.costPerRun[model.model]!.toFixed(3)}`,
    ]);
    lines.push(`${report.within} ${labelText(group.complexity)}`, formatTable([[report.by, 'runs', `${report.answer.metric === 'one_shot' ? 'one-shot' : 'autonomous'} (95% interval)`, 'AI cost per run'], ...rows]), group.routing.sentence, '');
  }
  lines.push(report.answer.suggestion ?? 'Suggested routing: none. No complexity has a difference or a cheaper model that the data support.', '');
  return lines.join('\n');
}

export interface LoopsOptions {
  repeatedShareLimit: number | undefined;
  rescueShareLimit: number | undefined;
}

export type LoopsReport = Envelope & { command: 'loops'; answer: LoopsAnswer };

export async function runLoops(source: CountSource, options: LoopsOptions): Promise<LoopsReport> {
  const slices = (await source.loopCounts()).map((slice) => ({ ...slice, ...consistent(slice), retriesRepeated: Math.min(slice.retriesRepeated, slice.retriesVerified) }));
  const answer = analyseLoops({ slices, repeatedShareLimit: options.repeatedShareLimit, rescueShareLimit: options.rescueShareLimit });
  return { command: 'loops', source: source.description, window: source.windowDescription, rules: source.rulesRead, answer };
}

export function formatLoops(report: LoopsReport): string {
  const rows = report.answer.slices.map((slice) => [
    `${slice.kind} ${labelText(slice.name)}`,
    String(slice.resolved),
    intervalText(slice.gap),
    intervalText(slice.rescued),
    intervalText(slice.repeated),
    slice.status.replace('_', ' '),
  ]);
  const lines = [
    ...header(report),
    formatTable([['slice', 'runs', 'autonomous - one-shot', 'misses rescued', 'retries repeating', 'retries'], ...rows]),
    '',
    ...report.answer.slices.filter((slice) => slice.status !== 'unclear').map((slice) => slice.sentence),
  ];
  lines.push(
    report.answer.notLearning.length === 0
      ? 'No team or repository is shown to have retries that do not learn.'
      : `Retries do not learn in: ${report.answer.notLearning.join(', ')}. Read their attempt chains with \`factory-telemetry cases\`.`,
    '',
  );
  return lines.join('\n');
}

function header(report: Envelope): string[] {
  const lines = [`Source: ${report.source}`, `Window: ${report.window}`];
  if (report.rules.length > 0) lines.push(`Rules read: ${report.rules.join(', ')}`);
  lines.push('');
  return lines;
}

/**
 * Keeps oneShot <= autonomous <= resolved. Counts from the rules come from
 * separate series, and a span that arrived between two rule evaluations can
 * break the order by one.
 */
function consistent<T extends { resolved: number; oneShot: number; autonomous: number }>(counts: T): T {
  const autonomous = Math.min(counts.autonomous, counts.resolved);
  return { ...counts, autonomous, oneShot: Math.min(counts.oneShot, autonomous) };
}

function intervalText(interval: { estimate: number; lower: number; upper: number }): string {
  return Number.isNaN(interval.estimate) ? 'n/a' : `${percent(interval.estimate)} (${percentRange(interval.lower, interval.upper)})`;
}

function points(difference: number): string {
  return `${difference >= 0 ? '+' : ''}${(difference * 100).toFixed(1)}`;
}

function weeksText(weeks: number): string {
  if (!Number.isFinite(weeks)) return 'never at 0 runs/week';
  return weeks === 0 ? 'enough now' : `${weeks.toFixed(1)} more`;
}

