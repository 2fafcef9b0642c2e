import type { AttributeValue, Attributes } from '@opentelemetry/api';

import type { AggregatedSeries, BucketPoint, CounterSeries, DeltaSeries, HistogramSeries } from './aggregator.js';
import type { ConnectorDefinitions } from './collector-config.js';

/**
 * Writes aggregated history to Prometheus's OTLP receiver as OTLP/JSON metrics, the
 * same metric names, units, temporalities and attributes as the collector's
 * connectors, so that Prometheus's own OTLP translation names the series.
 *
 * Every span_metrics series gets a sample at every step from its first span to
 * `lastStep`, like the connector's flushes. A new series starts with an explicit
 * 0 at the step before its first span, because Prometheus writes the zero sample of
 * `created-timestamp-zero-ingestion` only inside the in-order head, not for
 * out-of-order samples. In a step where a counter grows, a copy of its previous
 * value is also written 1 ms before the step, so that `increase(...[7d] anchored)`
 * finds the value before the window start whatever the step (see docs/history.md).
 */
export async function pushHistory(options: {
  prometheusUrl: string;
  definitions: ConnectorDefinitions;
  series: AggregatedSeries;
  stepMs: number;
  firstStep: number;
  lastStep: number;
  collectorInstanceId: string;
  /** Data points per request. Default 20000. */
  pointsPerRequest?: number;
}): Promise<{ requests: number; dataPoints: number }> {
  const writer = new RequestWriter(options.prometheusUrl, options.pointsPerRequest ?? 20_000, options.series.resources, options.collectorInstanceId);
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
      if (series.firstStep === step) writer.counter(callsName, series, time(step - 1), time(step - 1), 0);
      if (state.steps[state.cursor] === step) {
        if (series.firstStep !== step) writer.counter(callsName, series, time(series.firstStep - 1), time(step) - 1, state.total);
        state.total += series.increments.get(step)!;
        state.cursor += 1;
      }
      writer.counter(callsName, series, time(series.firstStep - 1), time(step), state.total);
      await writer.flushIfFull();
    }

    for (const state of durations) {
      const { series } = state;
      if (series.firstStep > step) continue;
      const start = time(series.firstStep - 1);
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
  return { requests: writer.requests, dataPoints: writer.dataPoints };
}

const CUMULATIVE = 2;
const DELTA = 1;

interface JsonMetric {
  name: string;
  unit: string;
  description: string;
  sum?: { aggregationTemporality: number; isMonotonic: boolean; dataPoints: unknown[] };
  histogram?: { aggregationTemporality: number; dataPoints: unknown[] };
}

/** Collects data points into OTLP/JSON requests grouped by resource and metric. */
class RequestWriter {
  requests = 0;
  dataPoints = 0;
  private pending = 0;
  private readonly byResource = new Map<string, Map<string, JsonMetric>>();
  private readonly url: URL;

  constructor(
    prometheusUrl: string,
    private readonly limit: number,
    private readonly resources: Map<string, Attributes>,
    private readonly collectorInstanceId: string,
  ) {
    this.url = new URL('/api/v1/otlp/v1/metrics', prometheusUrl);
  }

  counter(name: string, series: CounterSeries, startMs: number, timeMs: number, value: number): void {
    const metric = this.metric(`span\u0000${series.service}`, name, '', '', 'sum', CUMULATIVE);
    metric.sum!.dataPoints.push({ attributes: jsonAttributes(series.attributes), startTimeUnixNano: nanos(startMs), timeUnixNano: nanos(timeMs), asInt: String(value) });
    this.pending += 1;
  }

  histogram(name: string, unit: string, description: string, series: HistogramSeries | DeltaSeries, startMs: number, timeMs: number, point: BucketPoint, bounds: number[], temporality: number): void {
    const resource = temporality === CUMULATIVE ? `span\u0000${series.service}` : `signal\u0000${series.service}`;
    const metric = this.metric(resource, name, unit, description, 'histogram', temporality);
    metric.histogram!.dataPoints.push({
      attributes: jsonAttributes(series.attributes),
      startTimeUnixNano: nanos(startMs),
      timeUnixNano: nanos(timeMs),
      count: String(point.count),
      sum: point.sum,
      bucketCounts: point.counts.map(String),
      explicitBounds: bounds,
    });
    this.pending += 1;
  }

  delta(series: DeltaSeries, startMs: number, timeMs: number, point: BucketPoint): void {
    const { definition } = series;
    if (definition.kind === 'histogram') {
      this.histogram(definition.name, definition.unit, definition.description, series, startMs, timeMs, point, definition.bounds, DELTA);
      return;
    }
    const metric = this.metric(`signal\u0000${series.service}`, definition.name, definition.unit, definition.description, 'sum', DELTA);
    metric.sum!.dataPoints.push({ attributes: jsonAttributes(series.attributes), startTimeUnixNano: nanos(startMs), timeUnixNano: nanos(timeMs), asDouble: point.sum });
    this.pending += 1;
  }

  async flushIfFull(): Promise<void> {
    if (this.pending >= this.limit) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.pending === 0) return;
    const body = JSON.stringify({ resourceMetrics: [...this.byResource].map(([key, metrics]) => this.resourceMetrics(key, [...metrics.values()])) });
    const points = this.pending;
    this.byResource.clear();
    this.pending = 0;

    let response: Response;
    try {
      response = await fetch(this.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(120_000) });
    } catch (error) {
      throw new Error(`cannot send history to Prometheus's OTLP receiver at ${this.url.href}: ${(error as Error).message}. Is Prometheus running with --web.enable-otlp-receiver?`);
    }
    if (!response.ok) {
      const text = (await response.text().catch(() => '')).trim();
      throw new Error(
        `Prometheus rejected ${points} history data points with HTTP ${response.status}: ${text || 'no message'}. ` +
          'Check storage.tsdb.out_of_order_time_window (it must cover the history) and --enable-feature=otlp-native-delta-ingestion.',
      );
    }
    this.requests += 1;
    this.dataPoints += points;
  }

  private metric(resource: string, name: string, unit: string, description: string, kind: 'sum' | 'histogram', temporality: number): JsonMetric {
    let metrics = this.byResource.get(resource);
    if (metrics === undefined) {
      metrics = new Map();
      this.byResource.set(resource, metrics);
    }
    let metric = metrics.get(name);
    if (metric === undefined) {
      metric = { name, unit, description };
      if (kind === 'sum') metric.sum = { aggregationTemporality: temporality, isMonotonic: true, dataPoints: [] };
      else metric.histogram = { aggregationTemporality: temporality, dataPoints: [] };
      metrics.set(name, metric);
    }
    return metric;
  }

  // span_metrics copies the spans' resource; signal_to_metrics adds its own
  // instance id under a prefixed key, which Prometheus puts on target_info.
  private resourceMetrics(key: string, metrics: JsonMetric[]) {
    const [kind, service] = key.split('\u0000') as [string, string];
    const attributes: Attributes = { ...(this.resources.get(service) ?? { 'service.name': service }) };
    if (kind === 'signal') attributes['signal_to_metrics.service.instance.id'] = this.collectorInstanceId;
    const scope = kind === 'span' ? 'spanmetricsconnector' : 'signaltometricsconnector';
    return { resource: { attributes: jsonAttributes(attributes) }, scopeMetrics: [{ scope: { name: scope }, metrics }] };
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

function nanos(milliseconds: number): string {
  return (BigInt(Math.round(milliseconds)) * 1_000_000n).toString();
}

function jsonAttributes(attributes: Attributes): { key: string; value: Record<string, unknown> }[] {
  return Object.entries(attributes).flatMap(([key, value]) => (value === undefined ? [] : [{ key, value: jsonValue(value) }]));
}

function jsonValue(value: AttributeValue): Record<string, unknown> {
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  if (typeof value === 'number') return Number.isInteger(value) ? { intValue: String(value) } : { doubleValue: value };
  return { arrayValue: { values: (value as unknown[]).filter((item) => item !== null && item !== undefined).map((item) => jsonValue(item as AttributeValue)) } };
}
