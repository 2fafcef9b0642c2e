/**
 * Helpers shared by the dashboard generators: data source references, query and
 * panel builders, template variables and the Wilson score interval in PromQL.
 */
import type { DataSourceRef } from '@grafana/grafana-foundation-sdk/common';
import {
  BigValueColorMode,
  BigValueGraphMode,
  BigValueTextMode,
  LegendDisplayMode,
  LegendPlacement,
  VizLegendOptionsBuilder,
  ReduceDataOptionsBuilder,
} from '@grafana/grafana-foundation-sdk/common';
import {
  QueryVariableBuilder,
  ThresholdsConfigBuilder,
  ThresholdsMode,
  VariableRefresh,
  VariableSort,
  type Dashboard,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { DataqueryBuilder, PromQueryFormat } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder as StatPanelBuilder } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TimeseriesPanelBuilder } from '@grafana/grafana-foundation-sdk/timeseries';

/**
 * The Prometheus data source that grafana/provisioning/datasources/datasources.yaml
 * defines. Panels name it by UID only, so a renamed data source still resolves.
 */
export const PROMETHEUS_DATASOURCE: DataSourceRef = { type: 'prometheus', uid: 'factory-prometheus' };

/** The Tempo data source from the same provisioning file. */
export const TEMPO_DATASOURCE: DataSourceRef = { type: 'tempo', uid: 'factory-tempo' };

/** Label selectors for the `model` and `complexity` template variables. */
export const MODEL_SELECTOR = 'model=~"$model"';
export const MODEL_COMPLEXITY_SELECTOR = 'model=~"$model", complexity=~"$complexity"';

/** Builds a range query that draws one line per series, named by `legend`. */
export function promQuery(refId: string, expr: string, legend: string): DataqueryBuilder {
  return new DataqueryBuilder()
    .datasource(PROMETHEUS_DATASOURCE)
    .refId(refId)
    .expr(expr)
    .legendFormat(legend)
    .range();
}

/** Builds an instant query whose result Grafana shows as table rows. */
export function instantTableQuery(refId: string, expr: string): DataqueryBuilder {
  return new DataqueryBuilder()
    .datasource(PROMETHEUS_DATASOURCE)
    .refId(refId)
    .expr(expr)
    .format(PromQueryFormat.Table)
    .instant();
}

/** Builds an instant query for stat and bar gauge panels, one value per series. */
export function instantQuery(refId: string, expr: string, legend: string): DataqueryBuilder {
  return new DataqueryBuilder()
    .datasource(PROMETHEUS_DATASOURCE)
    .refId(refId)
    .expr(expr)
    .legendFormat(legend)
    .instant();
}

/** Thresholds with one neutral step: the project sets no targets for these numbers. */
export function neutralThresholds(): ThresholdsConfigBuilder {
  return new ThresholdsConfigBuilder()
    .mode(ThresholdsMode.Absolute)
    .steps([{ value: null, color: 'text' }]);
}

export function statPanel(title: string, description: string): StatPanelBuilder {
  return new StatPanelBuilder()
    .title(title)
    .description(description)
    .datasource(PROMETHEUS_DATASOURCE)
    .height(5)
    .graphMode(BigValueGraphMode.Area)
    .colorMode(BigValueColorMode.None)
    .reduceOptions(new ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
    .thresholds(neutralThresholds());
}

export function ratioStat(title: string, description: string, expr: string): StatPanelBuilder {
  return statPanel(title, description)
    .span(6)
    .unit('percentunit')
    .min(0)
    .max(1)
    .decimals(1)
    .withTarget(promQuery('A', expr, title));
}

export function countStat(title: string, description: string, width: number): StatPanelBuilder {
  return statPanel(title, description).span(width).unit('short').decimals(0);
}

export function percentileStat(title: string, description: string, p50Expr: string, p90Expr: string): StatPanelBuilder {
  return statPanel(title, description)
    .span(4)
    .unit('s')
    .decimals(1)
    .textMode(BigValueTextMode.ValueAndName)
    .withTarget(promQuery('A', p50Expr, 'p50'))
    .withTarget(promQuery('B', p90Expr, 'p90'));
}

export function timeseriesPanel(title: string, description: string, width: number): TimeseriesPanelBuilder {
  return new TimeseriesPanelBuilder()
    .title(title)
    .description(description)
    .datasource(PROMETHEUS_DATASOURCE)
    .span(width)
    .height(8)
    .thresholds(neutralThresholds())
    .legend(
      new VizLegendOptionsBuilder()
        .showLegend(true)
        .displayMode(LegendDisplayMode.List)
        .placement(LegendPlacement.Bottom),
    );
}

export function ratioTimeseries(title: string, description: string, width: number): TimeseriesPanelBuilder {
  return timeseriesPanel(title, description, width).unit('percentunit').min(0).max(1).decimals(1);
}

/**
 * Builds a multi-value query variable filled by `label_values(SELECTOR, LABEL)`, with an
 * "All" option that matches every value (`.*`).
 */
export function labelVariable(name: string, label: string, selector: string, description: string): QueryVariableBuilder {
  const query = `label_values(${selector}, ${label})`;
  return new QueryVariableBuilder(name)
    .label(name.charAt(0).toUpperCase() + name.slice(1))
    .description(description)
    .datasource(PROMETHEUS_DATASOURCE)
    .query(query)
    .definition(query)
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.AlphabeticalAsc)
    .multi(true)
    .includeAll(true)
    .allValue('.*')
    .current({ selected: true, text: ['All'], value: ['$__all'] });
}

export function modelVariable(): QueryVariableBuilder {
  return labelVariable(
    'model',
    'model',
    'model_complexity:factory_runs_resolved:increase_7d',
    'gen_ai.request.model of the runs, from the labels of the resolved-run recording rule.',
  );
}

export function complexityVariable(): QueryVariableBuilder {
  return labelVariable(
    'complexity',
    'complexity',
    `model_complexity:factory_runs_resolved:increase_7d{${MODEL_SELECTOR}}`,
    'factory.task.complexity of the runs, limited to the selected models.',
  );
}

/** z for a two-sided 95% interval. */
export const WILSON_Z = 1.96;

/**
 * Builds the PromQL for one bound of the 95% Wilson score interval of a proportion,
 * from the PromQL of the success count and of the trial count:
 *
 *   (p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n),  p = successes / n
 *
 * Series with n = 0 drop out, because `(n > 0)` filters them before the division.
 * Both operands must carry the same labels, since PromQL matches them one to one.
 */
export function wilsonBound(successes: string, trials: string, bound: 'lower' | 'upper'): string {
  // Rounded so that the query shows 3.8416, not the binary float 3.8415999999999997.
  const z2 = (WILSON_Z * WILSON_Z).toFixed(4);
  const halfZ2 = ((WILSON_Z * WILSON_Z) / 2).toFixed(4);
  const quarterZ2 = ((WILSON_Z * WILSON_Z) / 4).toFixed(4);
  const n = `(${trials} > 0)`;
  const p = `((${successes}) / ${n})`;
  const sign = bound === 'lower' ? '-' : '+';
  return `(${p} + ${halfZ2} / ${n} ${sign} ${WILSON_Z} * sqrt(${p} * (1 - ${p}) / ${n} + ${quarterZ2} / (${n} ^ 2))) / (1 + ${z2} / ${n})`;
}

/** Computes the same Wilson bound in JavaScript, for tests that check the PromQL. */
export function wilsonBoundValue(successes: number, trials: number, bound: 'lower' | 'upper'): number {
  const z = WILSON_Z;
  const p = successes / trials;
  const spread = z * Math.sqrt((p * (1 - p)) / trials + (z * z) / (4 * trials * trials));
  const centre = p + (z * z) / (2 * trials);
  return (bound === 'lower' ? centre - spread : centre + spread) / (1 + (z * z) / trials);
}

/**
 * Numbers the panels 1, 2, 3 ... in layout order. The builders leave `id` unset, and
 * Grafana uses panel ids in panel links (viewPanel=ID), so they must be stable.
 */
export function assignPanelIds(dashboard: Dashboard): Dashboard {
  let nextId = 1;
  for (const panel of dashboard.panels ?? []) {
    panel.id = nextId;
    nextId += 1;
  }
  return dashboard;
}

/** Renders a dashboard as the committed JSON files store it. */
export function renderDashboardJson(dashboard: Dashboard): string {
  return `${JSON.stringify(dashboard, null, 2)}\n`;
}
