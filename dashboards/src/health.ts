/**
 * The "Factory telemetry health" dashboard: whether spans reach the collector and
 * Prometheus, from the collector's own metrics and the SDK's span counters, and how
 * many factory_* series Prometheus holds.
 *
 * Metric names were read from the local stack (collector 0.165.0, Prometheus 3.16.0):
 * the collector's counters have no `_total` suffix there, while the SDK's do.
 */
import { BarGaugeDisplayMode } from '@grafana/grafana-foundation-sdk/common';
import { PanelBuilder as BarGaugePanelBuilder } from '@grafana/grafana-foundation-sdk/bargauge';
import { DashboardBuilder, DashboardCursorSync, RowBuilder, type Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';

import {
  PROMETHEUS_DATASOURCE,
  assignPanelIds,
  countStat,
  instantQuery,
  neutralThresholds,
  promQuery,
  renderDashboardJson,
  timeseriesPanel,
} from './shared.js';

export const HEALTH_DASHBOARD_UID = 'factory-telemetry-health';

const NO_FILTER_NOTE =
  'These are infrastructure metrics without model, complexity, repository or team labels, so this dashboard has no such variables.';

function addCollectorRow(builder: DashboardBuilder): void {
  builder.withRow(new RowBuilder('Collector'));
  builder.withPanel(
    timeseriesPanel(
      'Spans received by the collector',
      `Per-second rates over $__rate_interval of the collector's own counters, by receiver and transport: otelcol_receiver_accepted_spans (spans accepted into the pipeline), otelcol_receiver_refused_spans (spans rejected, for example by the memory limiter, which the SDK may retry) and otelcol_receiver_failed_spans (spans that failed inside the receiver). Refused or failed spans never become factory metrics. ${NO_FILTER_NOTE}`,
      12,
    )
      .unit('short')
      .withTarget(promQuery('A', 'sum by (receiver, transport) (rate(otelcol_receiver_accepted_spans[$__rate_interval]))', 'accepted {{receiver}}/{{transport}}'))
      .withTarget(promQuery('B', 'sum by (receiver, transport) (rate(otelcol_receiver_refused_spans[$__rate_interval]))', 'refused {{receiver}}/{{transport}}'))
      .withTarget(promQuery('C', 'sum by (receiver, transport) (rate(otelcol_receiver_failed_spans[$__rate_interval]))', 'failed {{receiver}}/{{transport}}')),
  );
  builder.withPanel(
    timeseriesPanel(
      'Spans exported by the collector',
      `Per-second rates over $__rate_interval, by exporter, of otelcol_exporter_sent_spans (spans an exporter delivered, for example to Tempo) and otelcol_exporter_send_failed_spans (spans an exporter gave up on). The collector creates these series only for exporters that send spans, so the local stack, which sends spans only to the span_metrics connector, has none; the compose stack has them for its Tempo exporter. ${NO_FILTER_NOTE}`,
      12,
    )
      .unit('short')
      .withTarget(promQuery('A', 'sum by (exporter) (rate(otelcol_exporter_sent_spans[$__rate_interval]))', 'sent {{exporter}}'))
      .withTarget(promQuery('B', 'sum by (exporter) (rate(otelcol_exporter_send_failed_spans[$__rate_interval]))', 'failed {{exporter}}')),
  );
}

function addSdkRow(builder: DashboardBuilder): void {
  builder.withRow(new RowBuilder('SDK, over the dashboard time range'));
  const sdkStat = (title: string, metric: string, meaning: string) =>
    countStat(
      title,
      `sum of increase(${metric}[$__range]): ${meaning} Each process that uses the SDK sends its counts as its own series (job is the service name), and increase() extrapolates to the range edges, so the value is an estimate. ${NO_FILTER_NOTE}`,
      8,
    ).withTarget(promQuery('A', `sum(increase(${metric}[$__range]))`, title));

  builder.withPanel(sdkStat('Spans exported by the SDK', 'factory_sdk_spans_exported_total', 'spans that the collector accepted from SDK processes.'));
  builder.withPanel(
    sdkStat('Spans dropped by the SDK', 'factory_sdk_spans_dropped_total', 'spans that SDK processes dropped because their export queue was full. Any value above 0 means missing runs or stages.'),
  );
  builder.withPanel(
    sdkStat(
      'Spans the SDK failed to export',
      'factory_sdk_spans_failed_total',
      'spans that SDK processes gave up exporting after retries. The SDK sends this counter only once a span has failed, so no value means no failure.',
    ),
  );
}

function addFunnelGapsRow(builder: DashboardBuilder): void {
  builder.withRow(new RowBuilder('Runs stuck or missing a stage'));
  builder.withPanel(
    countStat(
      'Runs started but not resolved, 7 days',
      `sum(repository:factory_runs_started:increase_7d) - sum(repository:factory_runs_resolved:increase_7d): factory.run spans that ended in the last 7 days minus outcomes recorded in them. An estimate of runs stuck in the funnel with no outcome: outcomes are not matched to the week their run started, so growing volume raises it too. The FactoryRunsStuck alert uses the same rules over 28 days (docs/runbook.md). ${NO_FILTER_NOTE}`,
      8,
    ).withTarget(promQuery('A', 'sum(repository:factory_runs_started:increase_7d) - sum(repository:factory_runs_resolved:increase_7d)', 'open runs')),
  );
  const missing = (stage: string) =>
    `clamp_min(factory:runs_resolved:increase_7d - on() sum(increase(factory_span_calls_total{span_name="${stage}"}[7d] anchored)), 0)`;
  builder.withPanel(
    countStat(
      'Resolved runs without a stage, 7 days',
      `factory:runs_resolved:increase_7d minus the context and review spans of factory_span_calls_total counted in the last 7 days (each run records one of each), and merged runs minus successful production deployments (factory:runs_merged:increase_7d - factory:deployments_succeeded:increase_7d), each at least 0. An estimate: spans of one run can fall into different windows. A value that stays above 0 means a process that never records that stage. ${NO_FILTER_NOTE}`,
      16,
    )
      .withTarget(promQuery('A', missing('factory.context'), 'no context'))
      .withTarget(promQuery('B', missing('factory.review'), 'no review'))
      .withTarget(promQuery('C', 'clamp_min(factory:runs_merged:increase_7d - factory:deployments_succeeded:increase_7d, 0)', 'merged, not deployed')),
  );
}

function addCardinalityRow(builder: DashboardBuilder): void {
  builder.withRow(new RowBuilder('Series cardinality'));
  builder.withPanel(
    countStat(
      'Factory series',
      `count({__name__=~"factory_.*"}): the number of raw series whose metric name starts with factory_ (span metrics, the cost and attempt sums, the SDK's own counters) at each point. Recording rules (named level:metric:operations) are not counted. Each new value of a label on the span metrics (model, repository, team, experiment arm, failure class) adds series, and Prometheus memory grows with the count. ${NO_FILTER_NOTE}`,
      8,
    ).withTarget(promQuery('A', 'count({__name__=~"factory_.*"})', 'series')),
  );
  builder.withPanel(
    new BarGaugePanelBuilder()
      .title('Factory series by metric, top 10')
      .description(
        `topk(10, count by (__name__) ({__name__=~"factory_.*"})): the ten factory_ metrics with the most series now. A raw span metric at the top is where a label with many values adds series. ${NO_FILTER_NOTE}`,
      )
      .datasource(PROMETHEUS_DATASOURCE)
      .span(16)
      .height(8)
      .unit('short')
      .decimals(0)
      .displayMode(BarGaugeDisplayMode.Basic)
      .thresholds(neutralThresholds())
      .withTarget(instantQuery('A', 'topk(10, count by (__name__) ({__name__=~"factory_.*"}))', '{{__name__}}')),
  );
}

export function buildHealthDashboard(): Dashboard {
  const builder = new DashboardBuilder('Factory telemetry health')
    .uid(HEALTH_DASHBOARD_UID)
    .description('Whether the spans of AI coding runs reach the collector and Prometheus, and how many factory series Prometheus holds.')
    .tags(['factory-telemetry'])
    .readonly()
    .tooltip(DashboardCursorSync.Crosshair)
    .time({ from: 'now-24h', to: 'now' })
    .refresh('1m')
    .timezone('browser');

  addCollectorRow(builder);
  addSdkRow(builder);
  addFunnelGapsRow(builder);
  addCardinalityRow(builder);

  return assignPanelIds(builder.build());
}

export function renderHealthJson(): string {
  return renderDashboardJson(buildHealthDashboard());
}
