import { wilsonInterval } from '../../analysis/stats/index.js';
import { duration, formatTable, labelText, percent, percentRange } from './format.js';
import type { CountSource, DurationStat, QuantileEstimate, ReportDimension, SliceCounts } from './source.js';

/** The `report` answer, as `--json` prints it. */
export interface ReportAnswer {
  command: 'report';
  source: string;
  window: string;
  /** Recording rules read; empty for the embedded store. */
  rules: string[];
  funnel: Array<{ stage: string; runs: number; dropped: number }>;
  factory: ReportSlice;
  by: ReportDimension | null;
  slices: ReportSlice[];
  notes: string[];
}

/** A success rate with its 95% Wilson interval. */
export interface RateWithInterval {
  successes: number;
  runs: number;
  /** Null when no run resolved. */
  rate: number | null;
  lower: number;
  upper: number;
}

export interface ReportSlice {
  labels: Partial<Record<ReportDimension, string>>;
  resolved: number;
  merged: number | null;
  oneShot: RateWithInterval;
  autonomous: RateWithInterval;
  cycleTime: DurationStat | null;
  mltc: DurationStat | null;
}

/** Reads the funnel and the four metrics, for the whole factory and per value of `by`. */
export async function buildReport(source: CountSource, by: ReportDimension | undefined): Promise<ReportAnswer> {
  const stages = await source.funnel();
  const funnel = stages.map((stage, index) => ({ ...stage, dropped: index === 0 ? 0 : stages[index - 1]!.runs - stage.runs }));
  const [factory] = await source.slices(undefined);
  const slices = by === undefined ? [] : await source.slices(by);

  const notes = [
    'One-shot and autonomous success are shares of resolved runs, with 95% Wilson intervals. They assume independent runs.',
  ];
  const empty: SliceCounts = { labels: {}, resolved: 0, merged: 0, oneShot: 0, autonomous: 0, cycleTime: undefined, mltc: undefined };
  const factorySlice = reportSlice(factory ?? empty);
  if (factorySlice.cycleTime?.estimated === true) {
    notes.push('Cycle time and MLTC quantiles are histogram_quantile() estimates of the recording rules: no interval, and they can be off by a bucket width.');
  } else {
    notes.push('Cycle time and MLTC quantiles are exact, with distribution-free 95% intervals from order statistics.');
  }
  if (by !== undefined && by !== 'team' && factorySlice.cycleTime?.estimated === true) {
    notes.push(`The recording rules keep no cycle time or MLTC per ${by}; use --file for them.`);
  }
  if (by === 'team' && factorySlice.cycleTime?.estimated === true) {
    notes.push('The recording rules keep only the median cycle time and MLTC per team (no p90); use --file for more.');
  }
  return {
    command: 'report',
    source: source.description,
    window: source.windowDescription,
    rules: source.rulesRead,
    funnel,
    factory: factorySlice,
    by: by ?? null,
    slices: slices.map(reportSlice),
    notes,
  };
}

export function rateWithInterval(successes: number, runs: number): RateWithInterval {
  const interval = wilsonInterval({ successes, trials: runs });
  return { successes, runs, rate: runs === 0 ? null : interval.estimate, lower: interval.lower, upper: interval.upper };
}

function reportSlice(slice: SliceCounts): ReportSlice {
  return {
    labels: slice.labels,
    resolved: slice.resolved,
    merged: slice.merged ?? null,
    oneShot: rateWithInterval(slice.oneShot, slice.resolved),
    autonomous: rateWithInterval(slice.autonomous, slice.resolved),
    cycleTime: slice.cycleTime ?? null,
    mltc: slice.mltc ?? null,
  };
}

/** Formats the report as terminal text. */
export function formatReport(answer: ReportAnswer): string {
  const parts: string[] = [`Source: ${answer.source}`, `Window: ${answer.window}`];
  if (answer.rules.length > 0) parts.push(`Rules read: ${answer.rules.join(', ')}`);

  const funnelRows = answer.funnel.map((stage, index) => {
    const previous = index === 0 ? undefined : answer.funnel[index - 1]!.runs;
    const share = previous === undefined || previous === 0 ? '' : percent(stage.dropped / previous);
    return [stage.stage, String(stage.runs), index === 0 ? '' : String(stage.dropped), share];
  });
  parts.push('', 'Funnel (resolved runs, each stage a subset of the one before)', formatTable([['stage', 'runs', 'dropped', 'dropped %'], ...funnelRows]));

  parts.push('', 'The four metrics', formatTable([['metric', 'value', '95% interval', 'from'], ...metricRows(answer.factory)]));

  if (answer.by !== null) {
    const rows = answer.slices.map((slice) => [
      labelText(slice.labels[answer.by!]),
      String(slice.resolved),
      rateText(slice.oneShot),
      rateText(slice.autonomous),
      quantileText(slice.cycleTime?.p50),
      quantileText(slice.mltc?.p50),
    ]);
    parts.push('', `By ${answer.by}`, formatTable([[answer.by, 'resolved', 'one-shot (95% interval)', 'autonomous (95% interval)', 'cycle time p50', 'MLTC p50'], ...rows]));
  }
  parts.push('', ...answer.notes);
  return `${parts.join('\n')}\n`;
}

function metricRows(slice: ReportSlice): string[][] {
  const rate = (name: string, value: RateWithInterval) => [name, percent(value.rate ?? undefined), value.runs === 0 ? '' : percentRange(value.lower, value.upper), `${value.runs} resolved runs`];
  const quantiles = (name: string, stat: DurationStat | null, unit: string) => [
    [`${name} p50`, duration(stat?.p50?.value), intervalText(stat?.p50), `${stat?.count ?? 0} ${unit}`],
    [`${name} p90`, duration(stat?.p90?.value), intervalText(stat?.p90), `${stat?.count ?? 0} ${unit}`],
  ];
  return [
    rate('one-shot success', slice.oneShot),
    rate('eventual autonomous success', slice.autonomous),
    ...quantiles('cycle time', slice.cycleTime, 'merged pull requests'),
    ...quantiles('MLTC', slice.mltc, 'production deployments'),
  ];
}

function rateText(value: RateWithInterval): string {
  return value.runs === 0 ? 'n/a' : `${percent(value.rate ?? undefined)} (${percentRange(value.lower, value.upper)})`;
}

function quantileText(estimate: QuantileEstimate | undefined): string {
  if (estimate === undefined) return 'n/a';
  const interval = intervalText(estimate);
  return interval === '' ? duration(estimate.value) : `${duration(estimate.value)} (${interval})`;
}

function intervalText(estimate: QuantileEstimate | undefined): string {
  return estimate?.lower === undefined || estimate.upper === undefined ? '' : `${duration(estimate.lower)} to ${duration(estimate.upper)}`;
}
