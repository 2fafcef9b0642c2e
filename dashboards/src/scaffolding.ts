/**
 * The "Factory scaffolding and attempt chains" dashboard: how much the retry loop
 * adds over the first attempt, how many attempts runs take, how often a retry fails
 * the same way as the attempt before it, which failure classes CI reports, and one-shot
 * and autonomous success by team and repository.
 */
import { AxisPlacement, BarGaugeDisplayMode, BigValueTextMode, StackingMode, StackingConfigBuilder } from '@grafana/grafana-foundation-sdk/common';
import { PanelBuilder as BarGaugePanelBuilder } from '@grafana/grafana-foundation-sdk/bargauge';
import { DashboardBuilder, DashboardCursorSync, RowBuilder, type Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as TablePanelBuilder } from '@grafana/grafana-foundation-sdk/table';
import { DataqueryBuilder as TempoQueryBuilder } from '@grafana/grafana-foundation-sdk/tempo';

import { AUTONOMOUS_RULE, ONE_SHOT_RULE, WINDOW_NOTE } from './definitions.js';
import {
  MODEL_SELECTOR,
  PROMETHEUS_DATASOURCE,
  TEMPO_DATASOURCE,
  assignPanelIds,
  countStat,
  instantQuery,
  labelVariable,
  modelVariable,
  neutralThresholds,
  promQuery,
  ratioTimeseries,
  renderDashboardJson,
  statPanel,
  timeseriesPanel,
} from './shared.js';

export const SCAFFOLDING_DASHBOARD_UID = 'factory-scaffolding';

/** TraceQL for runs in which a retry failed with the same signature as the attempt before it. */
export const REPEATED_FAILURE_TRACEQL = '{ span.factory.failure.repeated = true }';

const TEAM_REPOSITORY_SELECTOR = 'team=~"$team", repository=~"$repository"';
const REPEATED_RULE =
  'A verified retry is the verification of attempt 2 or later whose previous attempt is known. It repeats the failure when both failed with the same failure signature.';
const GAP_NOTE =
  'The gap is eventual autonomous success minus one-shot success: the share of resolved runs that merged without a human code change only because the factory retried.';

function sampleSizeOverride(title: string) {
  return [
    { id: 'unit', value: 'short' },
    { id: 'decimals', value: 0 },
    { id: 'min', value: 0 },
    { id: 'max', value: null },
    { id: 'custom.axisPlacement', value: AxisPlacement.Right },
    { id: 'custom.axisLabel', value: title },
  ];
}

function addGapRow(builder: DashboardBuilder): void {
  builder.withRow(new RowBuilder('What retries add over the first attempt'));
  builder.withPanel(
    ratioTimeseries(
      'Retry gap, whole factory',
      `factory:autonomous_success:ratio_7d - factory:one_shot_success:ratio_7d on the left axis, and the resolved runs they are computed from, factory:runs_resolved:increase_7d, on the right axis. ${GAP_NOTE} ${ONE_SHOT_RULE} ${AUTONOMOUS_RULE} ${WINDOW_NOTE} The model, team and repository variables do not apply.`,
      12,
    )
      .withTarget(promQuery('A', 'factory:autonomous_success:ratio_7d - factory:one_shot_success:ratio_7d', 'Retry gap'))
      .withTarget(promQuery('B', 'factory:runs_resolved:increase_7d', 'Resolved runs'))
      .overrideByName('Resolved runs', sampleSizeOverride('runs')),
  );
  builder.withPanel(
    ratioTimeseries(
      'Retry gap by model',
      `model:factory_autonomous_success:ratio_7d - model:factory_one_shot_success:ratio_7d for each model selected in the model variable, with the resolved runs of each model, model:factory_runs_resolved:increase_7d, on the right axis. ${GAP_NOTE} The team and repository variables do not apply, because these rules have no team or repository label.`,
      12,
    )
      .withTarget(
        promQuery('A', `model:factory_autonomous_success:ratio_7d{${MODEL_SELECTOR}} - model:factory_one_shot_success:ratio_7d{${MODEL_SELECTOR}}`, '{{model}} gap'),
      )
      .withTarget(promQuery('B', `model:factory_runs_resolved:increase_7d{${MODEL_SELECTOR}}`, '{{model}} runs'))
      .withOverride({ matcher: { id: 'byRegexp', options: '.* runs$' }, properties: sampleSizeOverride('runs') }),
  );
}

function addAttemptsRow(builder: DashboardBuilder): void {
  builder.withRow(new RowBuilder('Attempts per run, trailing 7 days'));
  builder.withPanel(
    new BarGaugePanelBuilder()
      .title('Runs by attempts')
      .description(
        'Recording rule le:factory_run_attempts_bucket:sum_7d: for each bucket bound le, the number of runs resolved in the trailing 7 days that took at most le AI attempts. The buckets are cumulative, so the le="+Inf" bar is every run that recorded its attempts, and the runs that took exactly n attempts are the bar for n minus the bar for n - 1. The model, team and repository variables do not apply, because the rule keeps only the le label.',
      )
      .datasource(PROMETHEUS_DATASOURCE)
      .span(12)
      .height(8)
      .unit('short')
      .decimals(0)
      .displayMode(BarGaugeDisplayMode.Basic)
      .thresholds(neutralThresholds())
      .withTarget(instantQuery('A', 'le:factory_run_attempts_bucket:sum_7d', 'at most {{le}}')),
  );
  builder.withPanel(
    statPanel(
      'Attempts per run',
      'Recording rules factory:run_attempts:p50_7d and factory:run_attempts:p90_7d (histogram_quantile over le:factory_run_attempts_bucket:sum_7d, rounded up to whole attempts), factory:run_attempts:mean_7d (attempts added up, divided by runs), and the number of runs behind them, factory:run_attempts_count:sum_7d. No value when no run recorded its attempts in the window. The model, team and repository variables do not apply.',
    )
      .span(12)
      .height(8)
      .decimals(1)
      .textMode(BigValueTextMode.ValueAndName)
      .withTarget(promQuery('A', 'factory:run_attempts:p50_7d', 'p50'))
      .withTarget(promQuery('B', 'factory:run_attempts:p90_7d', 'p90'))
      .withTarget(promQuery('C', 'factory:run_attempts:mean_7d', 'mean'))
      .withTarget(promQuery('D', 'factory:run_attempts_count:sum_7d', 'runs'))
      .overrideByName('runs', [{ id: 'decimals', value: 0 }]),
  );
}

function addRepeatedRow(builder: DashboardBuilder): void {
  builder.withRow(new RowBuilder('Retries that repeat the previous failure'));
  builder.withPanel(
    ratioTimeseries(
      'Repeated failures, whole factory',
      `Recording rule factory:retry_repeated_failure:ratio_7d: verified retries that repeated the previous failure divided by all verified retries over the trailing 7 days, with that denominator, factory:retries_verified:increase_7d, on the right axis. ${REPEATED_RULE} A high share means retries get the same feedback and change too little. The team and repository variables do not apply.`,
      8,
    )
      .withTarget(promQuery('A', 'factory:retry_repeated_failure:ratio_7d', 'Repeated'))
      .withTarget(promQuery('B', 'factory:retries_verified:increase_7d', 'Verified retries'))
      .overrideByName('Verified retries', sampleSizeOverride('retries')),
  );
  builder.withPanel(
    ratioTimeseries(
      'Repeated failures by team',
      `Recording rule team:factory_retry_repeated_failure:ratio_7d for each team selected in the team variable, with the verified retries of each team, team:factory_retries_verified:increase_7d, on the right axis. ${REPEATED_RULE} The repository variable does not apply.`,
      8,
    )
      .withTarget(promQuery('A', 'team:factory_retry_repeated_failure:ratio_7d{team=~"$team"}', '{{team}}'))
      .withTarget(promQuery('B', 'team:factory_retries_verified:increase_7d{team=~"$team"}', '{{team}} retries'))
      .withOverride({ matcher: { id: 'byRegexp', options: '.* retries$' }, properties: sampleSizeOverride('retries') }),
  );
  builder.withPanel(
    ratioTimeseries(
      'Repeated failures by repository',
      `Recording rule repository:factory_retry_repeated_failure:ratio_7d for each repository selected in the repository variable, with the verified retries of each repository, repository:factory_retries_verified:increase_7d, on the right axis. ${REPEATED_RULE} The team variable does not apply.`,
      8,
    )
      .withTarget(promQuery('A', 'repository:factory_retry_repeated_failure:ratio_7d{repository=~"$repository"}', '{{repository}}'))
      .withTarget(promQuery('B', 'repository:factory_retries_verified:increase_7d{repository=~"$repository"}', '{{repository}} retries'))
      .withOverride({ matcher: { id: 'byRegexp', options: '.* retries$' }, properties: sampleSizeOverride('retries') }),
  );
  builder.withPanel(
    timeseriesPanel(
      'Verified and repeated retries by team and repository',
      `Recording rules team_repository:factory_retries_verified:increase_7d and team_repository:factory_retries_repeated:increase_7d for the selected teams and repositories: the counts behind the three ratios beside this panel. ${REPEATED_RULE} ${WINDOW_NOTE}`,
      24,
    )
      .unit('short')
      .decimals(0)
      .withTarget(promQuery('A', `team_repository:factory_retries_verified:increase_7d{${TEAM_REPOSITORY_SELECTOR}}`, '{{team}} {{repository}} verified'))
      .withTarget(promQuery('B', `team_repository:factory_retries_repeated:increase_7d{${TEAM_REPOSITORY_SELECTOR}}`, '{{team}} {{repository}} repeated')),
  );
}

/**
 * One-shot and autonomous success by team or repository on the left axis, with the
 * resolved runs behind them on the right axis.
 */
function addTeamRepositoryRow(builder: DashboardBuilder): void {
  builder.withRow(new RowBuilder('Success by team and repository'));
  for (const [level, variable, attribute] of [
    ['team', 'team', 'factory.team'],
    ['repository', 'repository', 'vcs.repository.name'],
  ] as const) {
    const selector = `{${variable}=~"$${variable}"}`;
    const other = level === 'team' ? 'repository' : 'team';
    builder.withPanel(
      ratioTimeseries(
        `One-shot and autonomous success by ${level}`,
        `Recording rules ${level}:factory_one_shot_success:ratio_7d and ${level}:factory_autonomous_success:ratio_7d for each ${level} (${attribute}) selected in the ${variable} variable, with the resolved runs of each ${level}, ${level}:factory_runs_resolved:increase_7d, on the right axis. ${ONE_SHOT_RULE} ${AUTONOMOUS_RULE} The distance between the two lines of a ${level} is its retry gap. A ${level} without resolved runs in the window has no value. ${WINDOW_NOTE} The model and ${other} variables do not apply, because these rules have no model or ${other} label.`,
        12,
      )
        .withTarget(promQuery('A', `${level}:factory_one_shot_success:ratio_7d${selector}`, `{{${level}}} one-shot`))
        .withTarget(promQuery('B', `${level}:factory_autonomous_success:ratio_7d${selector}`, `{{${level}}} autonomous`))
        .withTarget(promQuery('C', `${level}:factory_runs_resolved:increase_7d${selector}`, `{{${level}}} runs`))
        .withOverride({ matcher: { id: 'byRegexp', options: '.* runs$' }, properties: sampleSizeOverride('runs') }),
    );
  }
}

function addFailureClassRow(builder: DashboardBuilder): void {
  builder.withRow(new RowBuilder('Failure classes'));
  const selector =
    'span_name="factory.verification", factory_failure_class=~".+", gen_ai_request_model=~"$model", factory_team=~"$team", vcs_repository_name=~"$repository"';
  builder.withPanel(
    timeseriesPanel(
      'Failed verifications by failure class',
      `sum by (factory_failure_class) of increase(factory_span_calls_total{span_name="factory.verification", factory_failure_class=~".+"}[1d]): failed verification (CI) runs in the day before each point, by the failure class that the harness gave or the SDK classifier derived from the CI output. This reads the raw span_metrics counter, because no recording rule keeps the failure class. increase() extrapolates to the window edges, so a count may not be a whole number. The model, team and repository variables filter the raw labels gen_ai_request_model, factory_team and vcs_repository_name.`,
      12,
    )
      .unit('short')
      .stacking(new StackingConfigBuilder().mode(StackingMode.Normal))
      .withTarget(promQuery('A', `sum by (factory_failure_class) (increase(factory_span_calls_total{${selector}}[1d]))`, '{{factory_failure_class}}')),
  );
  builder.withPanel(
    new TablePanelBuilder()
      .title('Traces with a repeated failure')
      .description(
        `Tempo search with the TraceQL query ${REPEATED_FAILURE_TRACEQL}: the runs in the dashboard time range in which at least one retry failed with the same signature as the attempt before it, newest first, up to 20. Open a trace to read the attempt chain. The model, team and repository variables do not apply.`,
      )
      .datasource(TEMPO_DATASOURCE)
      .span(12)
      .height(8)
      .withTarget(new TempoQueryBuilder().datasource(TEMPO_DATASOURCE).refId('A').queryType('traceql').query(REPEATED_FAILURE_TRACEQL).limit(20)),
  );
}

export function buildScaffoldingDashboard(): Dashboard {
  const builder = new DashboardBuilder('Factory scaffolding and attempt chains')
    .uid(SCAFFOLDING_DASHBOARD_UID)
    .description('What the retry loop adds over the first attempt, attempts per run, success by team and repository, repeated failures and failure classes of AI coding runs.')
    .tags(['factory-telemetry'])
    .readonly()
    .tooltip(DashboardCursorSync.Crosshair)
    .time({ from: 'now-14d', to: 'now' })
    .refresh('5m')
    .timezone('browser')
    .withVariable(modelVariable())
    .withVariable(
      labelVariable('team', 'team', 'team_repository:factory_runs_resolved:increase_7d', 'factory.team of the runs, from the labels of the resolved-run recording rule.'),
    )
    .withVariable(
      labelVariable(
        'repository',
        'repository',
        'team_repository:factory_runs_resolved:increase_7d{team=~"$team"}',
        'vcs.repository.name of the runs, limited to the selected teams.',
      ),
    );

  addGapRow(builder);
  addAttemptsRow(builder);
  addTeamRepositoryRow(builder);
  addRepeatedRow(builder);
  addFailureClassRow(builder);

  return assignPanelIds(builder.build());
}

export function renderScaffoldingJson(): string {
  return renderDashboardJson(buildScaffoldingDashboard());
}
