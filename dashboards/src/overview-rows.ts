/**
 * Rows of the "Factory overview" dashboard that compare the last 7 days with the 7
 * days before, and the stage funnel. overview.ts assembles the dashboard.
 */
import { BarGaugeDisplayMode, BigValueTextMode } from '@grafana/grafana-foundation-sdk/common';
import { PanelBuilder as BarGaugePanelBuilder } from '@grafana/grafana-foundation-sdk/bargauge';
import { RowBuilder, type DashboardBuilder } from '@grafana/grafana-foundation-sdk/dashboard';

import { AUTONOMOUS_RULE, CYCLE_TIME_DEFINITION, HISTOGRAM_NOTE, MLTC_DEFINITION, ONE_SHOT_RULE } from './definitions.js';
import { PROMETHEUS_DATASOURCE, countStat, instantQuery, neutralThresholds, promQuery, statPanel } from './shared.js';

/** The seven funnel stages in run order, as span names (sdk/semconv.ts). */
export const FUNNEL_SPANS = [
  'factory.run',
  'factory.context',
  'factory.execution',
  'factory.verification',
  'factory.review',
  'factory.deployment',
  'factory.outcome',
];

const PREVIOUS_NOTE =
  'The second value is the same rule with `offset 7d`: the 7 days before the current window. It is empty until Prometheus holds 14 days of samples.';


export function addPreviousPeriodRow(builder: DashboardBuilder): void {
  builder.withRow(new RowBuilder('This 7 days against the previous 7 days'));

  const ratioPair = (title: string, rule: string, definition: string) =>
    statPanel(title, `Recording rule ${rule} now and 7 days ago. ${definition} ${PREVIOUS_NOTE} Read the change beside the resolved-run counts of both windows.`)
      .span(6)
      .unit('percentunit')
      .min(0)
      .max(1)
      .decimals(1)
      .textMode(BigValueTextMode.ValueAndName)
      .withTarget(promQuery('A', rule, 'Last 7 days'))
      .withTarget(promQuery('B', `${rule} offset 7d`, 'Previous 7 days'));
  const durationPair = (title: string, rule: string, definition: string) =>
    statPanel(title, `Recording rule ${rule} now and 7 days ago. ${definition} ${HISTOGRAM_NOTE} ${PREVIOUS_NOTE}`)
      .span(6)
      .unit('s')
      .decimals(1)
      .textMode(BigValueTextMode.ValueAndName)
      .withTarget(promQuery('A', rule, 'Last 7 days'))
      .withTarget(promQuery('B', `${rule} offset 7d`, 'Previous 7 days'));
  const countPair = (title: string, rule: string, definition: string) =>
    countStat(title, `Recording rule ${rule} now and 7 days ago: ${definition} ${PREVIOUS_NOTE}`, 6)
      .textMode(BigValueTextMode.ValueAndName)
      .withTarget(promQuery('A', rule, 'Last 7 days'))
      .withTarget(promQuery('B', `${rule} offset 7d`, 'Previous 7 days'));

  builder.withPanel(ratioPair('One-shot success, change', 'factory:one_shot_success:ratio_7d', ONE_SHOT_RULE));
  builder.withPanel(ratioPair('Eventual autonomous success, change', 'factory:autonomous_success:ratio_7d', AUTONOMOUS_RULE));
  builder.withPanel(durationPair('Cycle time p50, change', 'factory:cycle_time_seconds:p50_7d', CYCLE_TIME_DEFINITION));
  builder.withPanel(durationPair('MLTC p50, change', 'factory:mltc_seconds:p50_7d', MLTC_DEFINITION));
  builder.withPanel(
    countPair('Resolved runs, change', 'factory:runs_resolved:increase_7d', 'the runs resolved in each window, the sample size of both success ratios.'),
  );
  builder.withPanel(
    countPair('Merged pull requests, change', 'factory:reviews_merged:increase_7d', 'merged factory.review spans in each window, the sample size of the cycle time percentiles.'),
  );
  builder.withPanel(
    countPair(
      'Production deployments, change',
      'factory:deployments_succeeded:increase_7d',
      'factory.deployment spans to production without error status in each window, the sample size of the MLTC percentiles.',
    ),
  );
  builder.withPanel(
    countPair('Merged runs, change', 'factory:runs_merged:increase_7d', 'runs whose outcome was merged in each window, by a human edit or not.'),
  );
}

/**
 * Adds the funnel: how many spans of each stage ended in the dashboard time range, and
 * how many of them passed the stage where the span records a result.
 */
export function addFunnelRow(builder: DashboardBuilder): void {
  builder.withRow(new RowBuilder('Funnel over the dashboard time range'));

  const stages = FUNNEL_SPANS.join('|');
  builder.withPanel(
    new BarGaugePanelBuilder()
      .title('Runs entering each stage')
      .description(
        `sum by (span_name) of increase(factory_span_calls_total{span_name=~"${stages}"}[$__range]): the number of spans of each of the seven stages that ended in the dashboard time range, one span per run and stage (factory.execution wraps all attempts of a run). This reads the raw span_metrics counter, because no recording rule counts spans by stage. increase() extrapolates to the range edges, so a count may not be a whole number. A run whose review or deployment has not ended yet is missing from the later stages. The model and complexity variables do not apply.`,
      )
      .datasource(PROMETHEUS_DATASOURCE)
      .span(12)
      .height(9)
      .unit('short')
      .decimals(0)
      .displayMode(BarGaugeDisplayMode.Basic)
      .thresholds(neutralThresholds())
      .withTarget(instantQuery('A', `sum by (span_name) (increase(factory_span_calls_total{span_name=~"${stages}"}[$__range]))`, '{{span_name}}')),
  );
  builder.withPanel(
    new BarGaugePanelBuilder()
      .title('Runs leaving a stage with success')
      .description(
        'Spans of the raw counter factory_span_calls_total, summed over the dashboard time range with increase(): verification spans with cicd_pipeline_result "success" (an attempt passed CI), review spans where no human modified the code, and outcome spans with factory_outcome_status "merged". The other stages record no pass or fail result, so they have no bar here. The model and complexity variables do not apply.',
      )
      .datasource(PROMETHEUS_DATASOURCE)
      .span(12)
      .height(9)
      .unit('short')
      .decimals(0)
      .displayMode(BarGaugeDisplayMode.Basic)
      .thresholds(neutralThresholds())
      .withTarget(instantQuery('A', 'sum(increase(factory_span_calls_total{span_name="factory.verification", cicd_pipeline_result="success"}[$__range]))', 'verification passed'))
      .withTarget(instantQuery('B', 'sum(increase(factory_span_calls_total{span_name="factory.review", factory_review_human_modified="false"}[$__range]))', 'review without human edit'))
      .withTarget(instantQuery('C', 'sum(increase(factory_span_calls_total{span_name="factory.outcome", factory_outcome_status="merged"}[$__range]))', 'outcome merged')),
  );
}
