/**
 * The "Factory overview" Grafana dashboard, built with the Grafana Foundation SDK.
 *
 * `npm run dashboards` writes it to dashboards/factory-overview.json, which Grafana
 * loads through grafana/provisioning/dashboards/dashboards.yaml. Every query reads a
 * recording rule from prometheus/rules/, except the funnel panel, which counts spans
 * from the raw span_metrics counter because no rule counts spans by stage.
 */
import { DashboardBuilder, DashboardCursorSync, RowBuilder, type Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as TablePanelBuilder } from '@grafana/grafana-foundation-sdk/table';

import {
  AUTONOMOUS_RULE,
  CYCLE_TIME_DEFINITION,
  HISTOGRAM_NOTE,
  MLTC_DEFINITION,
  NO_RUNS_NOTE,
  ONE_SHOT_RULE,
  RESOLVED_RUN,
  WINDOW_NOTE,
} from './definitions.js';
import {
  MODEL_COMPLEXITY_SELECTOR,
  MODEL_SELECTOR,
  PROMETHEUS_DATASOURCE,
  assignPanelIds,
  complexityVariable,
  countStat,
  instantQuery,
  instantTableQuery,
  modelVariable,
  neutralThresholds,
  percentileStat,
  promQuery,
  ratioStat,
  ratioTimeseries,
  renderDashboardJson,
  statPanel,
  timeseriesPanel,
} from './shared.js';
import { addFunnelRow, addPreviousPeriodRow } from './overview-rows.js';

/** Dashboard UID, fixed so that links to the dashboard survive re-provisioning. */
export const OVERVIEW_DASHBOARD_UID = 'factory-overview';

// ---------------------------------------------------------------------------
// Rows

function addFactoryRow(builder: DashboardBuilder): void {
  builder.withRow(new RowBuilder('Whole factory, trailing 7 days'));

  builder.withPanel(
    ratioStat(
      'One-shot success',
      `Recording rule factory:one_shot_success:ratio_7d: one-shot runs divided by resolved runs over the trailing 7 days, across all models and complexities. ${ONE_SHOT_RULE} ${RESOLVED_RUN} ${NO_RUNS_NOTE} The model and complexity variables do not apply.`,
      'factory:one_shot_success:ratio_7d',
    ),
  );
  builder.withPanel(
    ratioStat(
      'Eventual autonomous success',
      `Recording rule factory:autonomous_success:ratio_7d: autonomous runs divided by resolved runs over the trailing 7 days, across all models and complexities. ${AUTONOMOUS_RULE} Every one-shot run is also autonomous. ${RESOLVED_RUN} ${NO_RUNS_NOTE} The model and complexity variables do not apply.`,
      'factory:autonomous_success:ratio_7d',
    ),
  );
  builder.withPanel(
    statPanel(
      'Resolved runs',
      `Recording rule factory:runs_resolved:increase_7d: the number of runs resolved in the trailing 7 days, the denominator of both success ratios. ${RESOLVED_RUN} The rule counts with anchored increase(), which does not extrapolate, so the value is a whole number of runs. The model and complexity variables do not apply.`,
    )
      .span(4)
      .unit('short')
      .decimals(0)
      .withTarget(promQuery('A', 'factory:runs_resolved:increase_7d', 'Resolved runs')),
  );
  builder.withPanel(
    percentileStat(
      'Cycle time',
      `Recording rules factory:cycle_time_seconds:p50_7d and factory:cycle_time_seconds:p90_7d: the median and 90th percentile of cycle time. ${CYCLE_TIME_DEFINITION} ${HISTOGRAM_NOTE} No value when no pull request was merged in the window. The model and complexity variables do not apply.`,
      'factory:cycle_time_seconds:p50_7d',
      'factory:cycle_time_seconds:p90_7d',
    ),
  );
  builder.withPanel(
    percentileStat(
      'MLTC',
      `Recording rules factory:mltc_seconds:p50_7d and factory:mltc_seconds:p90_7d: the median and 90th percentile of MLTC. ${MLTC_DEFINITION} ${HISTOGRAM_NOTE} No value when no such deployment ended in the window. The model and complexity variables do not apply.`,
      'factory:mltc_seconds:p50_7d',
      'factory:mltc_seconds:p90_7d',
    ),
  );
}

function addTrendRow(builder: DashboardBuilder): void {
  builder.withRow(new RowBuilder('Whole factory over time'));

  builder.withPanel(
    ratioTimeseries(
      'Success ratios',
      `Recording rules factory:one_shot_success:ratio_7d and factory:autonomous_success:ratio_7d over the dashboard time range: successful runs divided by resolved runs in the 7 days before each point. ${WINDOW_NOTE} The autonomous line is never below the one-shot line, because every one-shot run is also autonomous.`,
      12,
    )
      .withTarget(promQuery('A', 'factory:one_shot_success:ratio_7d', 'One-shot success'))
      .withTarget(promQuery('B', 'factory:autonomous_success:ratio_7d', 'Eventual autonomous success')),
  );
  builder.withPanel(
    timeseriesPanel(
      'Resolved runs',
      `Recording rule factory:runs_resolved:increase_7d over the dashboard time range: how many runs the two ratios beside it are computed from. ${RESOLVED_RUN} ${WINDOW_NOTE}`,
      12,
    )
      .unit('short')
      .decimals(0)
      .withTarget(promQuery('A', 'factory:runs_resolved:increase_7d', 'Resolved runs')),
  );
  builder.withPanel(
    timeseriesPanel(
      'Cycle time',
      `Recording rules factory:cycle_time_seconds:p50_7d and factory:cycle_time_seconds:p90_7d over the dashboard time range. ${CYCLE_TIME_DEFINITION} ${HISTOGRAM_NOTE} ${WINDOW_NOTE}`,
      12,
    )
      .unit('s')
      .withTarget(promQuery('A', 'factory:cycle_time_seconds:p50_7d', 'p50'))
      .withTarget(promQuery('B', 'factory:cycle_time_seconds:p90_7d', 'p90')),
  );
  builder.withPanel(
    timeseriesPanel(
      'MLTC',
      `Recording rules factory:mltc_seconds:p50_7d and factory:mltc_seconds:p90_7d over the dashboard time range. ${MLTC_DEFINITION} ${HISTOGRAM_NOTE} ${WINDOW_NOTE}`,
      12,
    )
      .unit('s')
      .withTarget(promQuery('A', 'factory:mltc_seconds:p50_7d', 'p50'))
      .withTarget(promQuery('B', 'factory:mltc_seconds:p90_7d', 'p90')),
  );
}

function addModelRow(builder: DashboardBuilder): void {
  builder.withRow(new RowBuilder('By model and complexity'));

  builder.withPanel(
    ratioTimeseries(
      'One-shot success by model',
      `Recording rule model:factory_one_shot_success:ratio_7d: one-shot runs divided by resolved runs over the trailing 7 days, for each model selected in the model variable, across all complexities. ${ONE_SHOT_RULE} The complexity variable does not apply.`,
      8,
    ).withTarget(promQuery('A', `model:factory_one_shot_success:ratio_7d{${MODEL_SELECTOR}}`, '{{model}}')),
  );
  builder.withPanel(
    ratioTimeseries(
      'Eventual autonomous success by model',
      `Recording rule model:factory_autonomous_success:ratio_7d: autonomous runs divided by resolved runs over the trailing 7 days, for each model selected in the model variable, across all complexities. ${AUTONOMOUS_RULE} The complexity variable does not apply.`,
      8,
    ).withTarget(promQuery('A', `model:factory_autonomous_success:ratio_7d{${MODEL_SELECTOR}}`, '{{model}}')),
  );
  builder.withPanel(
    timeseriesPanel(
      'Resolved runs by model',
      'sum by (model) of recording rule model_complexity:factory_runs_resolved:increase_7d: runs resolved in the trailing 7 days for each selected model, summed over all complexities so that it counts the same runs as the two ratio panels beside it. The complexity variable does not apply.',
      8,
    )
      .unit('short')
      .decimals(0)
      .withTarget(
        promQuery(
          'A',
          `sum by (model) (model_complexity:factory_runs_resolved:increase_7d{${MODEL_SELECTOR}})`,
          '{{model}}',
        ),
      ),
  );
  builder.withPanel(modelComplexityTable());
}

/**
 * Builds a table with one row per (model, complexity) pair: both ratios and the
 * resolved-run count they are computed from, joined on the two labels by Grafana's
 * merge transformation.
 */
function modelComplexityTable(): TablePanelBuilder {
  return new TablePanelBuilder()
    .title('Model and complexity, trailing 7 days')
    .description(
      `Latest values of recording rules model_complexity:factory_one_shot_success:ratio_7d, model_complexity:factory_autonomous_success:ratio_7d and model_complexity:factory_runs_resolved:increase_7d for the selected models and complexities, one row per pair. Each ratio is successful runs divided by resolved runs over the trailing 7 days, and the resolved-run column is that denominator. A ratio from a handful of runs says little, so read it with its run count. ${ONE_SHOT_RULE} ${AUTONOMOUS_RULE}`,
    )
    .datasource(PROMETHEUS_DATASOURCE)
    .span(24)
    .height(10)
    .thresholds(neutralThresholds())
    .withTarget(
      instantTableQuery('A', `model_complexity:factory_one_shot_success:ratio_7d{${MODEL_COMPLEXITY_SELECTOR}}`),
    )
    .withTarget(
      instantTableQuery('B', `model_complexity:factory_autonomous_success:ratio_7d{${MODEL_COMPLEXITY_SELECTOR}}`),
    )
    .withTarget(
      instantTableQuery('C', `model_complexity:factory_runs_resolved:increase_7d{${MODEL_COMPLEXITY_SELECTOR}}`),
    )
    .withTransformation({ id: 'merge', options: {} })
    .withTransformation({
      id: 'organize',
      options: {
        excludeByName: { Time: true, __name__: true },
        indexByName: { model: 0, complexity: 1, 'Value #A': 2, 'Value #B': 3, 'Value #C': 4 },
        renameByName: {
          model: 'Model',
          complexity: 'Complexity',
          'Value #A': 'One-shot success',
          'Value #B': 'Eventual autonomous success',
          'Value #C': 'Resolved runs',
        },
      },
    })
    .overrideByName('One-shot success', [
      { id: 'unit', value: 'percentunit' },
      { id: 'decimals', value: 1 },
    ])
    .overrideByName('Eventual autonomous success', [
      { id: 'unit', value: 'percentunit' },
      { id: 'decimals', value: 1 },
    ])
    .overrideByName('Resolved runs', [{ id: 'decimals', value: 0 }]);
}

// ---------------------------------------------------------------------------
// Dashboard

/**
 * Builds the overview dashboard model (Grafana dashboard JSON, schema v1).
 *
 * NOTE: the SDK marks DashboardBuilder deprecated in favour of dashboardv2. This keeps
 * v1, the JSON model that file provisioning has long loaded. A move to v2 needs a check
 * in a running Grafana, which CI does not have.
 */
export function buildOverviewDashboard(): Dashboard {
  const builder = new DashboardBuilder('Factory overview')
    .uid(OVERVIEW_DASHBOARD_UID)
    .description(
      'One-shot success, eventual autonomous success, cycle time and MLTC of AI coding runs, from the factory-telemetry Prometheus recording rules.',
    )
    .tags(['factory-telemetry'])
    .readonly()
    .tooltip(DashboardCursorSync.Crosshair)
    .time({ from: 'now-14d', to: 'now' })
    .refresh('5m')
    .timezone('browser')
    .withVariable(modelVariable())
    .withVariable(complexityVariable());

  addFactoryRow(builder);
  addPreviousPeriodRow(builder);
  addTrendRow(builder);
  addFunnelRow(builder);
  addModelRow(builder);

  return assignPanelIds(builder.build());
}

/** Renders the dashboard exactly as dashboards/factory-overview.json stores it. */
export function renderOverviewJson(): string {
  return renderDashboardJson(buildOverviewDashboard());
}
