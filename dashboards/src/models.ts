/**
 * The "Factory models and complexity" dashboard: one-shot success per model and
 * complexity with 95% Wilson score intervals computed in PromQL from the run counts,
 * and AI cost per merged run by model.
 */
import { VisibilityMode } from '@grafana/grafana-foundation-sdk/common';
import { DashboardBuilder, DashboardCursorSync, RowBuilder, type Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as HeatmapPanelBuilder } from '@grafana/grafana-foundation-sdk/heatmap';
import { PanelBuilder as TablePanelBuilder } from '@grafana/grafana-foundation-sdk/table';

import { ONE_SHOT_RULE, RESOLVED_RUN, WINDOW_NOTE } from './definitions.js';
import {
  MODEL_COMPLEXITY_SELECTOR,
  MODEL_SELECTOR,
  PROMETHEUS_DATASOURCE,
  assignPanelIds,
  complexityVariable,
  instantTableQuery,
  modelVariable,
  promQuery,
  ratioTimeseries,
  renderDashboardJson,
  timeseriesPanel,
  wilsonBound,
} from './shared.js';

export const MODELS_DASHBOARD_UID = 'factory-models';

const ONE_SHOT_COUNT = `model_complexity:factory_runs_one_shot:increase_7d{${MODEL_COMPLEXITY_SELECTOR}}`;
const RESOLVED_COUNT = `model_complexity:factory_runs_resolved:increase_7d{${MODEL_COMPLEXITY_SELECTOR}}`;

const WILSON_NOTE =
  'The 95% Wilson score interval is computed in PromQL from the two counts: (p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n) with p = one-shot / resolved, n = resolved and z = 1.96. Unlike p ± z·sqrt(p(1-p)/n) it stays inside 0 to 1 and stays wide when n is small or p is 0 or 1. Pairs without resolved runs have no value.';

const PERCENT = [
  { id: 'unit', value: 'percentunit' },
  { id: 'decimals', value: 1 },
  { id: 'min', value: 0 },
  { id: 'max', value: 1 },
];

function wilsonTable(): TablePanelBuilder {
  return new TablePanelBuilder()
    .title('One-shot success with 95% interval, by model and complexity')
    .description(
      `One row per model and complexity from recording rules model_complexity:factory_runs_one_shot:increase_7d and model_complexity:factory_runs_resolved:increase_7d over the trailing 7 days: the one-shot runs, the resolved runs, their ratio, and the lower and upper bounds of its interval. ${WILSON_NOTE} ${ONE_SHOT_RULE} ${RESOLVED_RUN}`,
    )
    .datasource(PROMETHEUS_DATASOURCE)
    .span(24)
    .height(10)
    .withTarget(instantTableQuery('A', ONE_SHOT_COUNT))
    .withTarget(instantTableQuery('B', RESOLVED_COUNT))
    .withTarget(instantTableQuery('C', `(${ONE_SHOT_COUNT}) / (${RESOLVED_COUNT} > 0)`))
    .withTarget(instantTableQuery('D', wilsonBound(ONE_SHOT_COUNT, RESOLVED_COUNT, 'lower')))
    .withTarget(instantTableQuery('E', wilsonBound(ONE_SHOT_COUNT, RESOLVED_COUNT, 'upper')))
    .withTransformation({ id: 'merge', options: {} })
    .withTransformation({
      id: 'organize',
      options: {
        excludeByName: { Time: true, __name__: true },
        indexByName: { model: 0, complexity: 1, 'Value #A': 2, 'Value #B': 3, 'Value #C': 4, 'Value #D': 5, 'Value #E': 6 },
        renameByName: {
          model: 'Model',
          complexity: 'Complexity',
          'Value #A': 'One-shot runs',
          'Value #B': 'Resolved runs',
          'Value #C': 'One-shot success',
          'Value #D': '95% lower bound',
          'Value #E': '95% upper bound',
        },
      },
    })
    .overrideByName('One-shot runs', [{ id: 'decimals', value: 0 }])
    .overrideByName('Resolved runs', [{ id: 'decimals', value: 0 }])
    .overrideByName('One-shot success', PERCENT)
    .overrideByName('95% lower bound', PERCENT)
    .overrideByName('95% upper bound', PERCENT);
}

function successHeatmap(): HeatmapPanelBuilder {
  return new HeatmapPanelBuilder()
    .title('One-shot success heatmap, model by complexity')
    .description(
      `One row per model and complexity, one cell per time step, coloured by model_complexity:factory_runs_one_shot:increase_7d divided by model_complexity:factory_runs_resolved:increase_7d: the one-shot success of the pair over the 7 days before the cell. ${ONE_SHOT_RULE} A pair with few runs can look very good or very bad by chance, so read its interval in the table above. ${WINDOW_NOTE}`,
    )
    .datasource(PROMETHEUS_DATASOURCE)
    .span(24)
    .height(10)
    .unit('percentunit')
    .min(0)
    .max(1)
    .calculate(false)
    .showValue(VisibilityMode.Auto)
    .withTarget(promQuery('A', `(${ONE_SHOT_COUNT}) / (${RESOLVED_COUNT} > 0)`, '{{model}} / {{complexity}}'));
}

function addModelRow(builder: DashboardBuilder): void {
  builder.withRow(new RowBuilder('By model'));

  const oneShot = `model:factory_runs_one_shot:increase_7d{${MODEL_SELECTOR}}`;
  const resolved = `model:factory_runs_resolved:increase_7d{${MODEL_SELECTOR}}`;
  builder.withPanel(
    ratioTimeseries(
      'One-shot success by model, with 95% interval',
      `Recording rule model:factory_one_shot_success:ratio_7d for each selected model, with the bounds of its interval computed from model:factory_runs_one_shot:increase_7d and model:factory_runs_resolved:increase_7d. ${WILSON_NOTE} The complexity variable does not apply.`,
      12,
    )
      .withTarget(promQuery('A', `model:factory_one_shot_success:ratio_7d{${MODEL_SELECTOR}}`, '{{model}}'))
      .withTarget(promQuery('B', wilsonBound(oneShot, resolved, 'lower'), '{{model}} lower bound'))
      .withTarget(promQuery('C', wilsonBound(oneShot, resolved, 'upper'), '{{model}} upper bound'))
      .withOverride({
        matcher: { id: 'byRegexp', options: '.* bound$' },
        properties: [
          { id: 'custom.lineStyle', value: { fill: 'dash', dash: [4, 4] } },
          { id: 'custom.lineWidth', value: 1 },
        ],
      }),
  );
  builder.withPanel(
    timeseriesPanel(
      'AI cost per merged run by model',
      'Recording rule model:factory_cost_per_merged_run_usd:ratio_7d: the AI cost (factory.run.cost_usd, in US dollars) of all runs of the model resolved in the trailing 7 days, merged or not, divided by the merged runs of the model, model:factory_runs_merged:increase_7d, which is drawn on the right axis as the sample size. Failed runs therefore raise the cost per merged run. No value for a model with no merged run. The complexity variable does not apply, because the cost rules have no complexity label.',
      12,
    )
      .unit('currencyUSD')
      .decimals(2)
      .withTarget(promQuery('A', `model:factory_cost_per_merged_run_usd:ratio_7d{${MODEL_SELECTOR}}`, '{{model}}'))
      .withTarget(promQuery('B', `model:factory_runs_merged:increase_7d{${MODEL_SELECTOR}}`, '{{model}} merged runs'))
      .withOverride({
        matcher: { id: 'byRegexp', options: '.* merged runs$' },
        properties: [
          { id: 'unit', value: 'short' },
          { id: 'decimals', value: 0 },
          { id: 'custom.axisPlacement', value: 'right' },
        ],
      }),
  );
}

export function buildModelsDashboard(): Dashboard {
  const builder = new DashboardBuilder('Factory models and complexity')
    .uid(MODELS_DASHBOARD_UID)
    .description('One-shot success of AI coding runs by model and complexity with 95% Wilson intervals, and AI cost per merged run by model.')
    .tags(['factory-telemetry'])
    .readonly()
    .tooltip(DashboardCursorSync.Crosshair)
    .time({ from: 'now-14d', to: 'now' })
    .refresh('5m')
    .timezone('browser')
    .withVariable(modelVariable())
    .withVariable(complexityVariable());

  builder.withRow(new RowBuilder('By model and complexity, trailing 7 days'));
  builder.withPanel(wilsonTable());
  builder.withPanel(successHeatmap());
  addModelRow(builder);

  return assignPanelIds(builder.build());
}

export function renderModelsJson(): string {
  return renderDashboardJson(buildModelsDashboard());
}
