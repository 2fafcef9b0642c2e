/**
 * The "Factory delivery" dashboard: cycle time and MLTC percentiles over time, and
 * one-shot success drawn against each of them on a second axis, so that a falling
 * success rate that shows up only as longer reviews or slower deploys is visible.
 */
import { AxisPlacement } from '@grafana/grafana-foundation-sdk/common';
import { DashboardBuilder, DashboardCursorSync, RowBuilder, type Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import type { PanelBuilder as TimeseriesPanelBuilder } from '@grafana/grafana-foundation-sdk/timeseries';

import { CYCLE_TIME_DEFINITION, HISTOGRAM_NOTE, MLTC_DEFINITION, ONE_SHOT_RULE, WINDOW_NOTE } from './definitions.js';
import { assignPanelIds, promQuery, renderDashboardJson, timeseriesPanel } from './shared.js';

export const DELIVERY_DASHBOARD_UID = 'factory-delivery';

const NO_LABELS_NOTE =
  'The cycle time and MLTC rules aggregate over all models, complexities, repositories and teams (they keep only the le label), so this dashboard has no model, complexity, repository or team variables.';

function percentilePanel(title: string, p50: string, p90: string, sample: string, definition: string): TimeseriesPanelBuilder {
  return timeseriesPanel(
    title,
    `Recording rules ${p50} and ${p90} on the left axis, and the sample size ${sample} on the right axis. ${definition} ${HISTOGRAM_NOTE} ${WINDOW_NOTE} ${NO_LABELS_NOTE}`,
    12,
  )
    .unit('s')
    .withTarget(promQuery('A', p50, 'p50'))
    .withTarget(promQuery('B', p90, 'p90'))
    .withTarget(promQuery('C', sample, 'sample size'))
    .overrideByName('sample size', [
      { id: 'unit', value: 'short' },
      { id: 'decimals', value: 0 },
      { id: 'custom.axisPlacement', value: AxisPlacement.Right },
      { id: 'custom.axisLabel', value: 'runs' },
    ]);
}

/**
 * One-shot success on the left axis (0 to 1) against a duration percentile on the
 * right axis. If success falls while the duration rises, the slower stage is where
 * the failed runs now wait.
 */
function successAgainstPanel(title: string, rule: string, label: string, definition: string): TimeseriesPanelBuilder {
  return timeseriesPanel(
    title,
    `Recording rule factory:one_shot_success:ratio_7d (left axis, 0 to 1) against recording rule ${rule} (right axis, seconds). ${ONE_SHOT_RULE} ${definition} A drop in one-shot success that comes with a longer ${label} points to runs that pass only after rework in that stage. ${WINDOW_NOTE} ${NO_LABELS_NOTE}`,
    12,
  )
    .unit('percentunit')
    .min(0)
    .max(1)
    .decimals(1)
    .withTarget(promQuery('A', 'factory:one_shot_success:ratio_7d', 'One-shot success'))
    .withTarget(promQuery('B', rule, `${label} p50`))
    .overrideByName(`${label} p50`, [
      { id: 'unit', value: 's' },
      { id: 'min', value: 0 },
      { id: 'max', value: null },
      { id: 'custom.axisPlacement', value: AxisPlacement.Right },
    ]);
}

/**
 * Builds a panel of one stage's p90 span duration from the raw histogram, with
 * exemplars, so that a point links to the trace of a slow run.
 */
function exemplarPanel(title: string, selector: string, definition: string): TimeseriesPanelBuilder {
  const expr = `histogram_quantile(0.9, sum by (le) (increase(factory_span_duration_seconds_bucket{${selector}}[1d])))`;
  return timeseriesPanel(
    title,
    `histogram_quantile(0.9) over increase(factory_span_duration_seconds_bucket{${selector}}[1d]): the 90th percentile of the spans that ended in the day before each point, read from the raw span_metrics histogram so that Grafana can draw its exemplars. Each exemplar carries the trace_id of one span and opens that run in Tempo. ${definition} ${HISTOGRAM_NOTE} Over 1 day instead of 7 it reacts faster than the recording rules above and is noisier. The raw histogram does carry the model, complexity, repository and team labels, but this board has no variables for them because its other panels read rules that keep only le; use Explore to filter exemplars by those labels.`,
    12,
  )
    .unit('s')
    .withTarget(promQuery('A', expr, 'p90, trailing day').exemplar(true));
}

export function buildDeliveryDashboard(): Dashboard {
  const builder = new DashboardBuilder('Factory delivery')
    .uid(DELIVERY_DASHBOARD_UID)
    .description('Cycle time and MLTC of AI coding runs over time, and one-shot success beside them.')
    .tags(['factory-telemetry'])
    .readonly()
    .tooltip(DashboardCursorSync.Crosshair)
    .time({ from: 'now-30d', to: 'now' })
    .refresh('5m')
    .timezone('browser');

  builder.withRow(new RowBuilder('Delivery times, trailing 7 days at each point'));
  builder.withPanel(
    percentilePanel(
      'Cycle time p50 and p90',
      'factory:cycle_time_seconds:p50_7d',
      'factory:cycle_time_seconds:p90_7d',
      'factory:reviews_merged:increase_7d',
      CYCLE_TIME_DEFINITION,
    ),
  );
  builder.withPanel(
    percentilePanel(
      'MLTC p50 and p90',
      'factory:mltc_seconds:p50_7d',
      'factory:mltc_seconds:p90_7d',
      'factory:deployments_succeeded:increase_7d',
      MLTC_DEFINITION,
    ),
  );

  builder.withRow(new RowBuilder('One-shot success against delivery times'));
  builder.withPanel(
    successAgainstPanel('One-shot success and cycle time', 'factory:cycle_time_seconds:p50_7d', 'Cycle time', CYCLE_TIME_DEFINITION),
  );
  builder.withPanel(successAgainstPanel('One-shot success and MLTC', 'factory:mltc_seconds:p50_7d', 'MLTC', MLTC_DEFINITION));

  builder.withRow(new RowBuilder('Slow runs, with traces'));
  builder.withPanel(exemplarPanel('Cycle time p90 with exemplars', 'span_name="factory.review", vcs_change_state="merged"', CYCLE_TIME_DEFINITION));
  builder.withPanel(
    exemplarPanel(
      'MLTC p90 with exemplars',
      'span_name="factory.deployment", deployment_environment_name="production", status_code!="STATUS_CODE_ERROR"',
      MLTC_DEFINITION,
    ),
  );

  return assignPanelIds(builder.build());
}

export function renderDeliveryJson(): string {
  return renderDashboardJson(buildDeliveryDashboard());
}
