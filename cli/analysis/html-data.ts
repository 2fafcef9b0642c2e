import { analyseExperiment } from '../../analysis/decisions/index.js';
import { exactQuantile, inWindow, isMergedReview, isProductionDeployment, type Run, type TimeWindow } from '../../analysis/index.js';
import { wilsonInterval } from '../../analysis/stats/index.js';
import type { HtmlReportData, Proportion, WeeklyPoint } from '../report/html.js';
import type { FileSource } from './file-source.js';
import type { ReportAnswer } from './report.js';

/**
 * Fills the HTML report from the embedded store: the report's funnel and
 * metrics, weekly points from the runs, every experiment's arms and verdict,
 * and each model within each complexity, all with 95% Wilson intervals.
 */
export async function htmlReportData(source: FileSource, report: ReportAnswer, window: TimeWindow, generatedAt: Date): Promise<HtmlReportData> {
  const factory = report.factory;
  const metrics: HtmlReportData['metrics'] = [
    { name: 'One-shot success', kind: 'ratio', value: factory.oneShot.rate ?? undefined, lower: factory.oneShot.lower, upper: factory.oneShot.upper, runs: factory.resolved },
    { name: 'Eventual autonomous success', kind: 'ratio', value: factory.autonomous.rate ?? undefined, lower: factory.autonomous.lower, upper: factory.autonomous.upper, runs: factory.resolved },
    { name: 'Cycle time p50', kind: 'duration', value: factory.cycleTime?.p50?.value, lower: factory.cycleTime?.p50?.lower, upper: factory.cycleTime?.p50?.upper, runs: factory.cycleTime?.count ?? 0 },
    { name: 'Cycle time p90', kind: 'duration', value: factory.cycleTime?.p90?.value, lower: factory.cycleTime?.p90?.lower, upper: factory.cycleTime?.p90?.upper, runs: factory.cycleTime?.count ?? 0 },
    { name: 'MLTC p50', kind: 'duration', value: factory.mltc?.p50?.value, lower: factory.mltc?.p50?.lower, upper: factory.mltc?.p50?.upper, runs: factory.mltc?.count ?? 0 },
    { name: 'MLTC p90', kind: 'duration', value: factory.mltc?.p90?.value, lower: factory.mltc?.p90?.lower, upper: factory.mltc?.p90?.upper, runs: factory.mltc?.count ?? 0 },
  ];

  const experiments: HtmlReportData['experiments'] = [];
  for (const name of await source.experimentNames()) {
    const { arms, weeks } = await source.experiment(name);
    if (arms.length < 2) continue;
    const answer = analyseExperiment({ name, arms, weeks });
    experiments.push({
      name,
      arms: arms.map((arm) => ({ arm: arm.arm, ...proportion(arm.oneShot, arm.resolved) })),
      verdict: answer.verdict.sentences.join(' '),
    });
  }

  const { counts } = await source.modelCounts('model', 'complexity');
  const models = counts.filter((entry) => entry.resolved > 0).map((entry) => ({ complexity: entry.complexity, model: entry.model, ...proportion(entry.oneShot, entry.resolved) }));

  return {
    title: 'AI coding factory report',
    source: `${source.description}, window ${source.windowDescription}`,
    generatedAt,
    funnel: report.funnel.map((stage) => ({ stage: stage.stage, runs: stage.runs })),
    metrics,
    weekly: weeklyPoints(source.runs, window),
    experiments,
    models,
  };
}

const DAY_MS = 86_400_000;

/** One point per calendar week (Monday to Sunday, UTC) of span end times in the window, with empty weeks kept as gaps. */
export function weeklyPoints(runs: readonly Run[], window: TimeWindow): WeeklyPoint[] {
  const weeks = new Map<string, { resolved: number; oneShot: number; autonomous: number; cycle: number[]; mltc: number[] }>();
  const weekOf = (unixNano: bigint) => {
    const key = mondayOf(Number(unixNano / 1_000_000n));
    let week = weeks.get(key);
    if (week === undefined) {
      week = { resolved: 0, oneShot: 0, autonomous: 0, cycle: [], mltc: [] };
      weeks.set(key, week);
    }
    return week;
  };
  for (const run of runs) {
    for (const outcome of run.outcomes) {
      if (!inWindow(window, outcome.endTimeUnixNano)) continue;
      const week = weekOf(outcome.endTimeUnixNano);
      week.resolved += 1;
      if (outcome.oneShot === true) week.oneShot += 1;
      if (outcome.autonomous === true) week.autonomous += 1;
    }
    for (const review of run.reviews) {
      if (isMergedReview(review) && inWindow(window, review.endTimeUnixNano)) weekOf(review.endTimeUnixNano).cycle.push(review.durationSeconds);
    }
    for (const deployment of run.deployments) {
      if (isProductionDeployment(deployment) && inWindow(window, deployment.endTimeUnixNano)) weekOf(deployment.endTimeUnixNano).mltc.push(deployment.durationSeconds);
    }
  }
  if (weeks.size === 0) return [];

  const keys = [...weeks.keys()].sort();
  const points: WeeklyPoint[] = [];
  for (let time = Date.parse(keys[0]!); time <= Date.parse(keys.at(-1)!); time += 7 * DAY_MS) {
    const key = new Date(time).toISOString().slice(0, 10);
    const week = weeks.get(key);
    points.push({
      week: key,
      oneShot: week === undefined || week.resolved === 0 ? undefined : proportion(week.oneShot, week.resolved),
      autonomous: week === undefined || week.resolved === 0 ? undefined : proportion(week.autonomous, week.resolved),
      cycleTimeP50Seconds: median(week?.cycle),
      mltcP50Seconds: median(week?.mltc),
    });
  }
  return points;
}

function mondayOf(epochMs: number): string {
  const day = new Date(epochMs);
  const sinceMonday = (day.getUTCDay() + 6) % 7;
  const monday = Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate()) - sinceMonday * DAY_MS;
  return new Date(monday).toISOString().slice(0, 10);
}

function median(values: number[] | undefined): number | undefined {
  if (values === undefined || values.length === 0) return undefined;
  return exactQuantile(Float64Array.from(values).sort(), 0.5);
}

function proportion(successes: number, total: number): Proportion {
  const interval = wilsonInterval({ successes, trials: total });
  return { successes, total, rate: total === 0 ? 0 : interval.estimate, lower: interval.lower, upper: interval.upper };
}
