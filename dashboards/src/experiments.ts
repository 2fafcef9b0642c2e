/**
 * The "Factory experiments" dashboard: one-shot and autonomous success of each arm of
 * an experiment, with 95% Wilson intervals, the difference from a baseline arm, the
 * sample size and share of each arm, and a "not enough runs yet" state.
 *
 * No recording rule keeps the experiment labels, so every query reads the raw
 * span_metrics counter of factory.outcome spans (allow-listed in
 * test/config/dashboards.test.ts).
 */
import { BarGaugeDisplayMode, BigValueColorMode, BigValueGraphMode, BigValueTextMode } from '@grafana/grafana-foundation-sdk/common';
import { PanelBuilder as BarGaugePanelBuilder } from '@grafana/grafana-foundation-sdk/bargauge';
import {
  DashboardBuilder,
  DashboardCursorSync,
  MappingType,
  RowBuilder,
  ThresholdsConfigBuilder,
  ThresholdsMode,
  type Dashboard,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as TablePanelBuilder } from '@grafana/grafana-foundation-sdk/table';

import { AUTONOMOUS_RULE, ONE_SHOT_RULE, RESOLVED_RUN } from './definitions.js';
import {
  PROMETHEUS_DATASOURCE,
  assignPanelIds,
  complexityVariable,
  instantQuery,
  instantTableQuery,
  labelVariable,
  modelVariable,
  neutralThresholds,
  ratioTimeseries,
  renderDashboardJson,
  statPanel,
  promQuery,
  wilsonBound,
} from './shared.js';

export const EXPERIMENTS_DASHBOARD_UID = 'factory-experiments';

/**
 * Resolved runs an arm needs before its numbers are shown as a result. With 100
 * runs and a success rate near 50%, the 95% Wilson interval is about ±10
 * percentage points wide, the coarsest that still separates most arms worth testing.
 */
export const MIN_RUNS_PER_ARM = 100;

const ARM_LABELS = 'factory_experiment_name, factory_experiment_arm';
const FILTERS =
  'factory_experiment_name=~"$experiment", factory_experiment_arm!="", gen_ai_request_model=~"$model", factory_task_complexity=~"$complexity"';

/** Resolved runs per arm over the trailing 7 days, counted exactly like the recording rules. */
function resolvedRuns(armMatcher = ''): string {
  return `sum by (${ARM_LABELS}) (increase(factory_span_calls_total{span_name="factory.outcome", ${FILTERS}${armMatcher}}[7d] anchored))`;
}

/** One-shot or autonomous runs per arm, 0 where the arm has none. */
function successfulRuns(kind: 'one_shot' | 'autonomous', armMatcher = ''): string {
  const counted = `sum by (${ARM_LABELS}) (increase(factory_span_calls_total{span_name="factory.outcome", factory_outcome_${kind}="true", ${FILTERS}${armMatcher}}[7d] anchored))`;
  return `(${counted} or 0 * ${resolvedRuns(armMatcher)})`;
}

function successRatio(kind: 'one_shot' | 'autonomous', armMatcher = ''): string {
  return `${successfulRuns(kind, armMatcher)} / (${resolvedRuns(armMatcher)} > 0)`;
}

const RAW_NOTE =
  'Counts are increase(factory_span_calls_total{span_name="factory.outcome"}[7d] anchored) by factory_experiment_name and factory_experiment_arm, the same exact 7-day count that the recording rules use, read from the raw counter because no rule keeps the experiment labels. The experiment, model and complexity variables filter the raw labels factory_experiment_name, gen_ai_request_model and factory_task_complexity.';
const WILSON_NOTE =
  'Each 95% Wilson score interval is (p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n) with z = 1.96, computed in PromQL from the arm counts.';

const PERCENT = [
  { id: 'unit', value: 'percentunit' },
  { id: 'decimals', value: 1 },
  { id: 'min', value: 0 },
  { id: 'max', value: 1 },
];

function armTable(): TablePanelBuilder {
  const columns: [string, string][] = [
    ['Resolved runs', resolvedRuns()],
    ['One-shot success', successRatio('one_shot')],
    ['One-shot lower bound', wilsonBound(successfulRuns('one_shot'), resolvedRuns(), 'lower')],
    ['One-shot upper bound', wilsonBound(successfulRuns('one_shot'), resolvedRuns(), 'upper')],
    ['Autonomous success', successRatio('autonomous')],
    ['Autonomous lower bound', wilsonBound(successfulRuns('autonomous'), resolvedRuns(), 'lower')],
    ['Autonomous upper bound', wilsonBound(successfulRuns('autonomous'), resolvedRuns(), 'upper')],
  ];
  const refIds = columns.map((_column, index) => String.fromCharCode(65 + index));
  let table = new TablePanelBuilder()
    .title('Arms, trailing 7 days')
    .description(
      `One row per experiment arm: resolved runs, one-shot success and eventual autonomous success, each with its 95% interval. ${RAW_NOTE} ${WILSON_NOTE} ${ONE_SHOT_RULE} ${AUTONOMOUS_RULE} ${RESOLVED_RUN}`,
    )
    .datasource(PROMETHEUS_DATASOURCE)
    .span(24)
    .height(8)
    .withTransformation({ id: 'merge', options: {} })
    .withTransformation({
      id: 'organize',
      options: {
        excludeByName: { Time: true },
        indexByName: Object.fromEntries([
          ['factory_experiment_name', 0],
          ['factory_experiment_arm', 1],
          ...refIds.map((refId, index) => [`Value #${refId}`, index + 2]),
        ]),
        renameByName: Object.fromEntries([
          ['factory_experiment_name', 'Experiment'],
          ['factory_experiment_arm', 'Arm'],
          ...columns.map(([name], index) => [`Value #${refIds[index]}`, name]),
        ]),
      },
    })
    .overrideByName('Resolved runs', [{ id: 'decimals', value: 0 }]);
  columns.forEach(([name, expr], index) => {
    table = table.withTarget(instantTableQuery(refIds[index]!, expr));
    if (name !== 'Resolved runs') table = table.overrideByName(name, PERCENT);
  });
  return table;
}

function notEnoughRunsStat() {
  return statPanel(
    'Runs per arm',
    `Resolved runs of each arm over the trailing 7 days (${RAW_NOTE}) The panel reads "Not enough runs yet" and turns orange while an arm has fewer than ${MIN_RUNS_PER_ARM} resolved runs: with 100 runs and a success rate near 50% the 95% interval is still about ±10 percentage points, so smaller differences between arms are noise.`,
  )
    .span(12)
    .height(6)
    .unit('short')
    .decimals(0)
    .graphMode(BigValueGraphMode.None)
    .colorMode(BigValueColorMode.Background)
    .textMode(BigValueTextMode.ValueAndName)
    .thresholds(
      new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps([
        { value: null, color: 'orange' },
        { value: MIN_RUNS_PER_ARM, color: 'green' },
      ]),
    )
    .mappings([
      {
        type: MappingType.RangeToText,
        options: { from: 0, to: MIN_RUNS_PER_ARM - 0.001, result: { text: 'Not enough runs yet', color: 'orange', index: 0 } },
      },
    ])
    .withTarget(instantQuery('A', resolvedRuns(), '{{factory_experiment_name}} {{factory_experiment_arm}}'));
}

function sampleRatioGauge(): BarGaugePanelBuilder {
  return new BarGaugePanelBuilder()
    .title('Sample ratio: arm share of runs')
    .description(
      `Each arm's resolved runs divided by all resolved runs of its experiment over the trailing 7 days. ${RAW_NOTE} Compare the shares with the split the experiment was designed for: a clear mismatch (sample ratio mismatch) means that the assignment or the telemetry loses runs of one arm, and the success numbers of the arms are then not comparable.`,
    )
    .datasource(PROMETHEUS_DATASOURCE)
    .span(12)
    .height(6)
    .unit('percentunit')
    .min(0)
    .max(1)
    .decimals(1)
    .displayMode(BarGaugeDisplayMode.Basic)
    .thresholds(neutralThresholds())
    .withTarget(
      instantQuery(
        'A',
        `${resolvedRuns()} / on (factory_experiment_name) group_left () sum by (factory_experiment_name) (${resolvedRuns()})`,
        '{{factory_experiment_name}} {{factory_experiment_arm}}',
      ),
    );
}

function differencePanel(kind: 'one_shot' | 'autonomous', title: string, definition: string) {
  const baseline = ', factory_experiment_arm=~"$baseline"';
  return ratioTimeseries(
    title,
    `Each arm's ${kind === 'one_shot' ? 'one-shot' : 'eventual autonomous'} success minus that of the baseline arm chosen in the baseline variable, over the 7 days before each point; the baseline itself is the 0 line. ${definition} ${RAW_NOTE} No interval is drawn for the difference: if the arms' intervals in the table overlap, the difference is not yet clear.`,
    12,
  )
    .min(-1)
    .withTarget(
      promQuery('A', `${successRatio(kind)} - on (factory_experiment_name) group_left () (${successRatio(kind, baseline)})`, '{{factory_experiment_arm}}'),
    );
}

export function buildExperimentsDashboard(): Dashboard {
  const outcomes = 'factory_span_calls_total{span_name="factory.outcome"}';
  const builder = new DashboardBuilder('Factory experiments')
    .uid(EXPERIMENTS_DASHBOARD_UID)
    .description('One-shot and autonomous success of each experiment arm with 95% Wilson intervals, sample sizes and sample ratio.')
    .tags(['factory-telemetry'])
    .readonly()
    .tooltip(DashboardCursorSync.Crosshair)
    .time({ from: 'now-14d', to: 'now' })
    .refresh('5m')
    .timezone('browser')
    .withVariable(labelVariable('experiment', 'factory_experiment_name', outcomes, 'factory.experiment.name of the runs, from the raw outcome span counter.'))
    .withVariable(
      labelVariable(
        'baseline',
        'factory_experiment_arm',
        `factory_span_calls_total{span_name="factory.outcome", factory_experiment_name=~"$experiment"}`,
        'The arm the difference panels subtract from every arm. Choose one arm of one experiment.',
      )
        .multi(false)
        .includeAll(false)
        .current({ selected: false, text: '', value: '' }),
    )
    .withVariable(modelVariable())
    .withVariable(complexityVariable());

  builder.withRow(new RowBuilder('Arms, trailing 7 days'));
  builder.withPanel(armTable());
  builder.withPanel(notEnoughRunsStat());
  builder.withPanel(sampleRatioGauge());

  builder.withRow(new RowBuilder('Difference from the baseline arm'));
  builder.withPanel(differencePanel('one_shot', 'One-shot success, difference from baseline', ONE_SHOT_RULE));
  builder.withPanel(differencePanel('autonomous', 'Autonomous success, difference from baseline', AUTONOMOUS_RULE));

  return assignPanelIds(builder.build());
}

export function renderExperimentsJson(): string {
  return renderDashboardJson(buildExperimentsDashboard());
}
