import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { createHistoryRecorder } from '../history/recorder.js';
import { evaluateAlertOverHistory } from '../history/alerts.js';
import { localStackHistoryOptions } from '../history/command.js';
import { readRuleFiles } from '../history/rule-levels.js';
import { describeHistoryResult, recordHistory } from '../simulate/history.js';
import { planRuns, type RunPlan } from '../simulate/plan.js';
import { loadScenario, type Scenario } from '../simulate/scenario.js';
import type { StackInfo } from '../stack/index.js';
import { findRepoRoot } from '../stack/options.js';

/**
 * The demo's history: the four scenarios of scenarios/ at their own volumes and
 * lengths, written into the local stack as past weeks, and a detection summary
 * that prints what Prometheus computes for each finding beside the scenario's
 * known answer.
 *
 * Layout, within Prometheus's 13-week out-of-order window: the hidden bottleneck
 * runs over the 12 weeks before now. The model swap, the context experiment and
 * the broken feedback loop follow one another with gaps, so that their model,
 * experiment and team slices hold one scenario each. The summary reads only
 * those slices, because factory-wide figures mix the hidden bottleneck with
 * whichever scenario runs beside it.
 */

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;
const LAYOUT_FILE = 'demo-history.json';
// A 2-hour history step halves the push, which takes most of the demo's time,
// against the default 1 hour. The boards read windows of 7 days and more, so they look the same.
const DEMO_STEP_MS = 2 * HOUR;

/** Times of the demo history, epoch ms, stored in the stack's state directory. */
export interface DemoHistoryLayout {
  seed: number;
  end: number;
  hiddenStart: number;
  modelEnd: number;
  contextEnd: number;
  brokenStart: number;
}

/**
 * Gives the running local stack the demo history, unless it already has it, and
 * prints the detection summary. Returns false when a step failed.
 */
export async function giveDemoHistory(info: StackInfo, seed: number, log: (message: string) => void): Promise<boolean> {
  const layoutPath = join(info.stateDir, LAYOUT_FILE);
  let layout: DemoHistoryLayout;
  if (existsSync(layoutPath) && (await holdsSimulatorSeries(info.prometheusUrl))) {
    layout = JSON.parse(readFileSync(layoutPath, 'utf8')) as DemoHistoryLayout;
    log(`the stack already holds the demo history written at ${new Date(layout.end).toISOString()}; not writing it again`);
  } else {
    const started = performance.now();
    const scenarios = loadDemoScenarios();
    const planned = planDemoHistory(scenarios, seed, Math.floor(Date.now() / HOUR) * HOUR);
    layout = planned.layout;
    log(`writing ${planned.plans.length} runs of the four scenarios as ${Math.round((layout.end - layout.hiddenStart) / WEEK)} weeks of history (seed ${seed}); this takes a few minutes`);
    const recorder = createHistoryRecorder({ ...localStackHistoryOptions(info), end: new Date(layout.end), stepMs: DEMO_STEP_MS, log });
    const result = await recordHistory(planned.plans, recorder);
    for (const line of describeHistoryResult(result)) log(line);
    log(`history written in ${((performance.now() - started) / 1000).toFixed(0)} s`);
    writeFileSync(layoutPath, `${JSON.stringify(layout)}\n`);
    if (result.rules === undefined) return false;
  }

  process.stdout.write(`\n${await detectionSummary(info.prometheusUrl, layout)}\n`);
  return true;
}

/** The four scenarios of the demo, by short name. */
export type DemoScenarios = Record<'hidden' | 'broken' | 'context' | 'model', Scenario>;

export function loadDemoScenarios(): DemoScenarios {
  const dir = join(findRepoRoot(), 'scenarios');
  return {
    hidden: loadScenario(join(dir, 'hidden-bottleneck.yaml')),
    broken: loadScenario(join(dir, 'broken-feedback-loop.yaml')),
    context: loadScenario(join(dir, 'context-experiment.yaml')),
    model: loadScenario(join(dir, 'model-swap.yaml')),
  };
}

/**
 * Plans the four scenarios in the demo layout that ends at `end` (epoch ms, on
 * the hour). Each scenario gets `seed`, or its own seed from `seeds`, so that a
 * test can check the layout on seeds the scenarios were not tuned on.
 */
export function planDemoHistory(
  scenarios: DemoScenarios,
  seed: number,
  end: number,
  seeds: Partial<Record<keyof DemoScenarios, number>> = {},
): { plans: RunPlan[]; layout: DemoHistoryLayout } {
  const brokenStart = end - scenarios.broken.weeks * WEEK;
  // A day between the context experiment and the broken loop and three between
  // the model swap and the context experiment, so that outcomes resolved after a
  // scenario's last run stay out of the next scenario's windows.
  const contextEnd = brokenStart - DAY;
  const modelEnd = contextEnd - scenarios.context.weeks * WEEK - 3 * DAY;
  const layout = { seed, end, hiddenStart: end - scenarios.hidden.weeks * WEEK, modelEnd, contextEnd, brokenStart };
  // Each scenario names its own model and team, so the model and team slices
  // show one scenario each while the hidden bottleneck runs beside the others.
  const plans = [
    ...planRuns(scenarios.model, { seed: seeds.model ?? seed, end: new Date(modelEnd) }),
    ...planRuns(scenarios.context, { seed: seeds.context ?? seed, end: new Date(contextEnd) }),
    ...planRuns(scenarios.broken, { seed: seeds.broken ?? seed, end: new Date(end) }),
    ...planRuns(scenarios.hidden, { seed: seeds.hidden ?? seed, end: new Date(end) }),
  ];
  return { plans, layout };
}

/** Formats, per finding, the figures Prometheus holds beside the scenario's known answer. */
export async function detectionSummary(prometheusUrl: string, layout: DemoHistoryLayout): Promise<string> {
  const at = (query: string, timeMs: number) => valueAt(prometheusUrl, query, timeMs);
  const rows: string[][] = [['finding', 'Prometheus', 'known answer']];
  const change = layout.brokenStart + 4 * WEEK;
  const now = layout.end - HOUR;

  const arm = (name: string, rule: string) => at(`experiment_arm:${rule}{experiment="initiative-spec-context", arm="${name}"}`, layout.contextEnd + DAY);
  rows.push(['1. context experiment: control one-shot (14d)', percent(await arm('control', 'factory_one_shot_success:ratio_14d')), '31%']);
  rows.push(['   enriched one-shot (14d)', percent(await arm('enriched', 'factory_one_shot_success:ratio_14d')), '52%']);
  rows.push([
    '   95% Wilson intervals',
    `${percent(await arm('control', 'factory_one_shot_success:wilson_lower95_14d'))}-${percent(await arm('control', 'factory_one_shot_success:wilson_upper95_14d'))} and ` +
      `${percent(await arm('enriched', 'factory_one_shot_success:wilson_lower95_14d'))}-${percent(await arm('enriched', 'factory_one_shot_success:wilson_upper95_14d'))}`,
    'do not overlap',
  ]);
  rows.push(['   sample-ratio mismatch flag', String(await at('experiment:factory_arm_split_mismatch:flag_14d{experiment="initiative-spec-context"}', layout.contextEnd + DAY)), '0']);

  const team = (rule: string, timeMs: number) => at(`team:${rule}{team="platform"}`, timeMs);
  rows.push(['2. broken feedback loop: autonomous before / after', `${percent(await team('factory_autonomous_success:ratio_7d', change))} / ${percent(await team('factory_autonomous_success:ratio_7d', now))}`, '37% / 64%']);
  rows.push(['   repeated-failure share before / after', `${percent(await team('factory_retry_repeated_failure:ratio_7d', change))} / ${percent(await team('factory_retry_repeated_failure:ratio_7d', now))}`, '94% / 21%']);
  rows.push(['   FactoryRetriesRepeatFailures fired', await firing(prometheusUrl, 'FactoryRetriesRepeatFailures', layout.brokenStart + WEEK, now, layout.brokenStart), 'team platform, weeks 2-5 (change at week 5)']);
  rows.push(['   FactoryRetryLoopsAddNothing fired', await firing(prometheusUrl, 'FactoryRetryLoopsAddNothing', layout.brokenStart + WEEK, now, layout.brokenStart), 'team platform, weeks 2-5']);

  const modelAt = layout.modelEnd + 2 * DAY;
  const model = async (selector: string) => ratioOverTwoWeeks(prometheusUrl, selector, modelAt);
  rows.push(['3. model swap: one-shot frontier / open-weight', `${percent(await model('model:%s{model="frontier-model"}'))} / ${percent(await model('model:%s{model="open-weight-model"}'))}`, '65% / 48%']);
  rows.push([
    '   standard work frontier / open-weight',
    `${percent(await model('model_complexity:%s{model="frontier-model", complexity="standard"}'))} / ${percent(await model('model_complexity:%s{model="open-weight-model", complexity="standard"}'))}`,
    '63% / 59%',
  ]);

  const week = (number: number) => layout.hiddenStart + (number - 1) * WEEK;
  const hiddenTeam = loadDemoScenarios().hidden.teams[0]!.name;
  const teamAt = (rule: string, times: number[]) => Promise.all(times.map((time) => at(`team:${rule}{team="${hiddenTeam}"}`, time)));
  const oneShot = await teamAt('factory_one_shot_success:ratio_7d', [week(2), week(9)]);
  const cycle = await teamAt('factory_cycle_time_seconds:p50_7d', [week(2), week(9), now]);
  const mltc = await teamAt('factory_mltc_seconds:p50_7d', [week(2), week(9)]);
  rows.push([`4. hidden bottleneck: team ${hiddenTeam} one-shot week 1 / 8`, oneShot.map(percent).join(' / '), '30% / 55%']);
  rows.push(['   cycle time p50 week 1 / 8 / 12', cycle.map(hours).join(' / '), '8 h / 16 h / 9.6 h']);
  rows.push(['   MLTC p50 week 1 / 8', mltc.map(hours).join(' / '), '12.2 h / 12.2 h']);
  rows.push(['   FactoryHiddenBottleneck fired', await firing(prometheusUrl, 'FactoryHiddenBottleneck', layout.hiddenStart + DAY, now, layout.hiddenStart), `team ${hiddenTeam}, weeks 6-8`]);

  return (
    `${formatTable(rows)}\n\n` +
    'Each row reads the slice of one scenario (its experiment, team or models); the detection tests check the\n' +
    'same figures on seeds of their own. docs/simulator.md has the details.'
  );
}

async function valueAt(prometheusUrl: string, query: string, timeMs: number): Promise<number | undefined> {
  const url = new URL('/api/v1/query', prometheusUrl);
  url.searchParams.set('query', query);
  url.searchParams.set('time', String(timeMs / 1000));
  const body = (await (await fetch(url, { signal: AbortSignal.timeout(60_000) })).json()) as { data?: { result: { value: [number, string] }[] } };
  const value = body.data?.result[0]?.value[1];
  return value === undefined ? undefined : Number(value);
}

// One-shot share over the two 7-day windows that end at `timeMs` and a week before;
// `selector` has %s where the rule's metric name goes.
async function ratioOverTwoWeeks(prometheusUrl: string, selector: string, timeMs: number): Promise<number | undefined> {
  let oneShot = 0;
  let resolved = 0;
  for (const time of [timeMs, timeMs - WEEK]) {
    oneShot += (await valueAt(prometheusUrl, selector.replace('%s', 'factory_runs_one_shot:increase_7d'), time)) ?? 0;
    resolved += (await valueAt(prometheusUrl, selector.replace('%s', 'factory_runs_resolved:increase_7d'), time)) ?? 0;
  }
  return resolved === 0 ? undefined : oneShot / resolved;
}

// The weeks (counted from `weekOneStart`) in which the alert would have fired.
async function firing(prometheusUrl: string, alert: string, startMs: number, endMs: number, weekOneStart: number): Promise<string> {
  const rule = readRuleFiles(join(findRepoRoot(), 'prometheus', 'rules')).find((item) => item.name === alert);
  if (rule === undefined) return `no rule ${alert}`;
  const history = await evaluateAlertOverHistory({ prometheusUrl, rule, startMs, endMs, stepMs: HOUR });
  const weekOf = (time: number) => ((time - weekOneStart) / WEEK + 1).toFixed(1);
  const parts = history.series
    .filter((series) => series.firing.length > 0)
    .map((series) => {
      const weeks = `weeks ${series.firing.map((interval) => `${weekOf(interval.startMs)}-${weekOf(interval.endMs)}`).join(', ')}`;
      return series.labels.team === undefined ? weeks : `team ${series.labels.team}, ${weeks}`;
    });
  return parts.length === 0 ? 'never' : parts.join('; ');
}

async function holdsSimulatorSeries(prometheusUrl: string): Promise<boolean> {
  const url = new URL('/api/v1/series', prometheusUrl);
  url.searchParams.set('match[]', 'factory_span_calls_total{job="factory-simulator-harness"}');
  url.searchParams.set('start', String((Date.now() - 13 * WEEK) / 1000));
  const body = (await (await fetch(url, { signal: AbortSignal.timeout(60_000) })).json()) as { data?: unknown[] };
  return (body.data?.length ?? 0) > 0;
}

function percent(value: number | undefined): string {
  return value === undefined ? 'no data' : `${(value * 100).toFixed(1)}%`;
}

function hours(seconds: number | undefined): string {
  return seconds === undefined ? 'no data' : `${(seconds / 3600).toFixed(1)} h`;
}

function formatTable(rows: string[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd()).join('\n');
}
