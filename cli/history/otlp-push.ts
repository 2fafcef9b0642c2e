import { ValueType, type Attributes, type HrTime } from '@opentelemetry/api';
import { JsonMetricsSerializer, ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AggregationTemporality, DataPointType, type DataPoint, type Histogram, type MetricData, type ResourceMetrics } from '@opentelemetry/sdk-metrics';

import type { AggregatedSeries, BucketPoint, CounterSeries, DeltaSeries, HistogramSeries } from './aggregator.js';
import type { ConnectorDefinitions } from './collector-config.js';

/**
 * Writes aggregated history to Prometheus's OTLP receiver as OTLP/protobuf metrics, the
 * same metric names, units, temporalities and attributes as the collector's
 * connectors, so that Prometheus's own OTLP translation names the series.
 *
 * Every span_metrics series gets a sample at every step from its first span to
 * `lastStep`, like the connector's flushes. A new series starts with an explicit
 * 0 written 1 ms before the step of its first span, because Prometheus writes the
 * zero sample of `created-timestamp-zero-ingestion` only inside the in-order head,
 * not for out-of-order samples. In a later step where a counter grows, a copy of
 * its previous value is also written 1 ms before the step. Either way the first
 * sample after any window start holds the value before it, so that
 * `increase(...[7d] anchored)` stays exact whatever the step (see docs/history.md).
 */
export async function pushHistory(
  options: HistoryPointsOptions & {
    prometheusUrl: string;
    collectorInstanceId: string;
    /** Data points per request. Default 20000. */
    pointsPerRequest?: number;
    /** Request encoding. Default protobuf, about half the size of JSON. */
    encoding?: 'protobuf' | 'json';
  },
): Promise<{ requests: number; dataPoints: number }> {
  const writer = new RequestWriter(options.prometheusUrl, options.pointsPerRequest ?? 20_000, options.series.resources, options.collectorInstanceId, options.encoding ?? 'protobuf');
  await writeHistoryPoints(options, writer);
  return { requests: writer.requests, dataPoints: writer.dataPoints };
}

export interface HistoryPointsOptions {
  definitions: ConnectorDefinitions;
  series: AggregatedSeries;
  stepMs: number;
  firstStep: number;
  lastStep: number;
}

/** Receives the data points of the history in time order, step by step. */
export interface PointSink {
  counter(name: string, series: CounterSeries, startMs: number, timeMs: number, value: number): void;
  histogram(name: string, unit: string, description: string, series: HistogramSeries | DeltaSeries, startMs: number, timeMs: number, point: BucketPoint, bounds: number[], temporality: AggregationTemporality): void;
  delta(series: DeltaSeries, startMs: number, timeMs: number, point: BucketPoint): void;
  flushIfFull(): Promise<void>;
  flush(): Promise<void>;
}

/** Sends every data point of the history to `writer`: the sampling that pushHistory describes. */
export async function writeHistoryPoints(options: HistoryPointsOptions, writer: PointSink): Promise<void> {
  const spanMetrics = options.definitions.spanMetrics;
  const callsName = `${spanMetrics.namespace}.calls`;
  const durationName = `${spanMetrics.namespace}.duration`;
  const calls = options.series.calls.map((series) => ({ series, steps: sortedSteps(series.increments), cursor: 0, total: 0 }));
  const durations = options.series.durations.map((series) => ({ series, steps: sortedSteps(series.steps), cursor: 0, total: emptyPoint(series.bounds) }));
  const time = (step: number) => step * options.stepMs;

  for (let step = options.firstStep; step <= options.lastStep; step += 1) {
    for (const state of calls) {
      const { series } = state;
      if (series.firstStep > step) continue;
      // The series starts 1 ms before the step of its first span, with a 0.
      const start = time(series.firstStep) - 1;
      if (series.firstStep === step) writer.counter(callsName, series, start, start, 0);
      if (state.steps[state.cursor] === step) {
        if (series.firstStep !== step) writer.counter(callsName, series, start, time(step) - 1, state.total);
        state.total += series.increments.get(step)!;
        state.cursor += 1;
      }
      writer.counter(callsName, series, start, time(step), state.total);
      await writer.flushIfFull();
    }

    for (const state of durations) {
      const { series } = state;
      if (series.firstStep > step) continue;
      const start = time(series.firstStep) - 1;
      if (series.firstStep === step) writer.histogram(durationName, spanMetrics.histogramUnit, '', series, start, start, emptyPoint(series.bounds), series.bounds, CUMULATIVE);
      if (state.steps[state.cursor] === step) {
        if (series.firstStep !== step) writer.histogram(durationName, spanMetrics.histogramUnit, '', series, start, time(step) - 1, state.total, series.bounds, CUMULATIVE);
        state.total = addPoints(state.total, series.steps.get(step)!);
        state.cursor += 1;
      }
      writer.histogram(durationName, spanMetrics.histogramUnit, '', series, start, time(step), state.total, series.bounds, CUMULATIVE);
      await writer.flushIfFull();
    }

    for (const series of options.series.deltas) {
      const point = series.steps.get(step);
      if (point === undefined) continue;
      writer.delta(series, time(step - 1), time(step), point);
      await writer.flushIfFull();
    }
  }
  await writer.flush();
}

const CUMULATIVE = AggregationTemporality.CUMULATIVE;
const MAX_IN_FLIGHT = 2;
const DELTA = AggregationTemporality.DELTA;

/** Collects data points into OTLP/protobuf requests, one per resource, grouped by metric. */
class RequestWriter implements PointSink {
  requests = 0;
  dataPoints = 0;
  private pending = 0;
  private readonly inFlight = new Set<Promise<void>>();
  private failure: Error | undefined;
  private readonly byResource = new Map<string, Map<string, MetricData>>();
  private readonly url: URL;

  constructor(
    prometheusUrl: string,
    private readonly limit: number,
    private readonly resources: Map<string, Attributes>,
    private readonly collectorInstanceId: string,
    private readonly encoding: 'protobuf' | 'json',
  ) {
    this.url = new URL('/api/v1/otlp/v1/metrics', prometheusUrl);
  }

  counter(name: string, series: CounterSeries, startMs: number, timeMs: number, value: number): void {
    const metric = this.metric(`span\u0000${series.service}`, name, '', '', DataPointType.SUM, CUMULATIVE, ValueType.INT);
    (metric.dataPoints as DataPoint<number>[]).push({ attributes: series.attributes, startTime: hrTime(startMs), endTime: hrTime(timeMs), value });
    this.pending += 1;
  }

  histogram(name: string, unit: string, description: string, series: HistogramSeries | DeltaSeries, startMs: number, timeMs: number, point: BucketPoint, bounds: number[], temporality: AggregationTemporality): void {
    const resource = temporality === CUMULATIVE ? `span\u0000${series.service}` : `signal\u0000${series.service}`;
    const metric = this.metric(resource, name, unit, description, DataPointType.HISTOGRAM, temporality, ValueType.DOUBLE);
    (metric.dataPoints as DataPoint<Histogram>[]).push({
      attributes: series.attributes,
      startTime: hrTime(startMs),
      endTime: hrTime(timeMs),
      value: { buckets: { boundaries: bounds, counts: point.counts }, sum: point.sum, count: point.count },
    });
    this.pending += 1;
  }

  delta(series: DeltaSeries, startMs: number, timeMs: number, point: BucketPoint): void {
    const { definition } = series;
    if (definition.kind === 'histogram') {
      this.histogram(definition.name, definition.unit, definition.description, series, startMs, timeMs, point, definition.bounds, DELTA);
      return;
    }
    const metric = this.metric(`signal\u0000${series.service}`, definition.name, definition.unit, definition.description, DataPointType.SUM, DELTA, ValueType.DOUBLE);
    (metric.dataPoints as DataPoint<number>[]).push({ attributes: series.attributes, startTime: hrTime(startMs), endTime: hrTime(timeMs), value: point.sum });
    this.pending += 1;
  }

  async flushIfFull(): Promise<void> {
    if (this.pending >= this.limit) await this.sendPending();
  }

  async flush(): Promise<void> {
    await this.sendPending();
    await Promise.all(this.inFlight);
    if (this.failure !== undefined) throw this.failure;
  }

  // Keeps up to MAX_IN_FLIGHT requests open, so that this process builds the next
  // request while Prometheus ingests the last one. Out-of-order ingestion takes
  // samples of one series in any order within the window.
  private async sendPending(): Promise<void> {
    if (this.pending === 0) return;
    const requests = [...this.byResource].map(([key, metrics]) => this.resourceMetrics(key, [...metrics.values()]));
    const points = this.pending;
    this.byResource.clear();
    this.pending = 0;
    const serializer = this.encoding === 'json' ? JsonMetricsSerializer : ProtobufMetricsSerializer;
    for (const request of requests) {
      while (this.inFlight.size >= MAX_IN_FLIGHT) await Promise.race(this.inFlight);
      if (this.failure !== undefined) throw this.failure;
      // The error is kept and thrown by the next call, so that no rejection goes unhandled.
      const sent: Promise<void> = this.send(serializer.serializeRequest(request)!, points)
        .catch((error: unknown) => {
          this.failure ??= error as Error;
        })
        .finally(() => this.inFlight.delete(sent));
      this.inFlight.add(sent);
    }
    this.dataPoints += points;
  }

  private async send(body: Uint8Array, points: number): Promise<void> {
    let response: Response;
    try {
      response = await fetch(this.url, { method: 'POST', headers: { 'content-type': this.encoding === 'json' ? 'application/json' : 'application/x-protobuf' }, body, signal: AbortSignal.timeout(120_000) });
    } catch (error) {
      throw new Error(`cannot send history to Prometheus's OTLP receiver at ${this.url.href}: ${(error as Error).message}. Is Prometheus running with --web.enable-otlp-receiver?`);
    }
    if (!response.ok) {
      const text = (await response.text().catch(() => '')).trim();
      throw new Error(
        `Prometheus rejected a request of up to ${points} history data points with HTTP ${response.status}: ${text || 'no message'}. ` +
          'Check storage.tsdb.out_of_order_time_window (it must cover the history) and --enable-feature=otlp-native-delta-ingestion.',
      );
    }
    this.requests += 1;
  }

  private metric(resource: string, name: string, unit: string, description: string, type: DataPointType.SUM | DataPointType.HISTOGRAM, temporality: AggregationTemporality, valueType: ValueType): MetricData {
    let metrics = this.byResource.get(resource);
    if (metrics === undefined) {
      metrics = new Map();
      this.byResource.set(resource, metrics);
    }
    let metric = metrics.get(name);
    if (metric === undefined) {
      const descriptor = { name, unit, description, valueType };
      metric =
        type === DataPointType.SUM
          ? { descriptor, aggregationTemporality: temporality, dataPointType: DataPointType.SUM, isMonotonic: true, dataPoints: [] }
          : { descriptor, aggregationTemporality: temporality, dataPointType: DataPointType.HISTOGRAM, dataPoints: [] };
      metrics.set(name, metric);
    }
    return metric;
  }

  // span_metrics copies the spans' resource; signal_to_metrics adds its own
  // instance id under a prefixed key, which Prometheus puts on target_info.
  private resourceMetrics(key: string, metrics: MetricData[]): ResourceMetrics {
    const [kind, service] = key.split('\u0000') as [string, string];
    const attributes: Attributes = { ...(this.resources.get(service) ?? { 'service.name': service }) };
    if (kind === 'signal') attributes['signal_to_metrics.service.instance.id'] = this.collectorInstanceId;
    const scope = kind === 'span' ? 'spanmetricsconnector' : 'signaltometricsconnector';
    return { resource: resourceFromAttributes(attributes), scopeMetrics: [{ scope: { name: scope }, metrics }] };
  }
}

function sortedSteps(steps: Map<number, unknown>): number[] {
  return [...steps.keys()].sort((a, b) => a - b);
}

function emptyPoint(bounds: number[]): BucketPoint {
  return { counts: new Array<number>(bounds.length + 1).fill(0), sum: 0, count: 0 };
}

function addPoints(total: BucketPoint, step: BucketPoint): BucketPoint {
  return { counts: total.counts.map((count, index) => count + (step.counts[index] ?? 0)), sum: total.sum + step.sum, count: total.count + step.count };
}

function hrTime(milliseconds: number): HrTime {
  const whole = Math.round(milliseconds);
  return [Math.floor(whole / 1000), (whole % 1000) * 1_000_000];
}
