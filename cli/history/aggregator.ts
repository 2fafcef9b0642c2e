import { randomUUID } from 'node:crypto';

import { SpanKind, SpanStatusCode, type AttributeValue, type Attributes, type HrTime } from '@opentelemetry/api';
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace';

import type { ConnectorDefinitions, SignalToMetricsDefinition } from './collector-config.js';

/**
 * A span processor that aggregates ended spans into the series that the collector's
 * span_metrics and signal_to_metrics connectors would write for them, stamped by the
 * span's end time instead of its arrival time.
 *
 * Time is cut into steps of `stepMs`, aligned to the Unix epoch. Step k covers span
 * end times in ((k-1)·step, k·step] and is written at k·step. Memory grows with
 * the number of series times the number of steps in which each series changed, not
 * with the number of spans.
 */
export class HistoryAggregator implements SpanProcessor {
  readonly stepMs: number;
  readonly collectorInstanceId: string;
  private readonly definitions: ConnectorDefinitions;
  private readonly notAfterMs: number;
  private readonly resources = new Map<string, Attributes>();
  private readonly calls = new Map<string, CounterSeries>();
  private readonly durations = new Map<string, HistogramSeries>();
  private readonly deltas = new Map<string, DeltaSeries>();
  private readonly counts = { spans: 0, spansAfterEnd: 0, spansWithoutService: 0 };
  private minStep = Number.POSITIVE_INFINITY;
  private maxStep = Number.NEGATIVE_INFINITY;

  constructor(options: { definitions: ConnectorDefinitions; stepMs: number; notAfterMs: number; collectorInstanceId?: string }) {
    if (!Number.isInteger(options.stepMs) || options.stepMs < 1000) {
      throw new Error(`invalid history step ${options.stepMs} ms: expected a whole number of milliseconds, at least 1000.`);
    }
    this.definitions = options.definitions;
    this.stepMs = options.stepMs;
    this.notAfterMs = options.notAfterMs;
    this.collectorInstanceId = options.collectorInstanceId ?? randomUUID();
  }

  onStart(): void {}

  onEnd(span: ReadableSpan): void {
    const serviceName = span.resource.attributes['service.name'];
    if (typeof serviceName !== 'string') {
      // The span_metrics connector skips resources without service.name too.
      this.counts.spansWithoutService += 1;
      return;
    }
    const endMs = hrTimeToMs(span.endTime);
    if (endMs > this.notAfterMs) {
      this.counts.spansAfterEnd += 1;
      return;
    }
    this.counts.spans += 1;
    if (!this.resources.has(serviceName)) this.resources.set(serviceName, { ...span.resource.attributes });

    const step = Math.ceil(endMs / this.stepMs);
    this.minStep = Math.min(this.minStep, step);
    this.maxStep = Math.max(this.maxStep, step);
    this.addSpanMetrics(span, serviceName, step);
    for (const definition of this.definitions.signalToMetrics) this.addSignalToMetrics(definition, span, serviceName, step);
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }

  /** Spans aggregated, and spans left out with the reason. */
  stats(): { spans: number; spansAfterEnd: number; spansWithoutService: number; series: number } {
    return { ...this.counts, series: this.calls.size + this.durations.size + this.deltas.size };
  }

  /** Returns the first and last step that contain a span, or undefined before the first span. */
  stepRange(): { first: number; last: number } | undefined {
    return this.minStep <= this.maxStep ? { first: this.minStep, last: this.maxStep } : undefined;
  }

  /** Returns the aggregated series for the exporter. */
  snapshot(): AggregatedSeries {
    return {
      resources: this.resources,
      calls: [...this.calls.values()],
      durations: [...this.durations.values()],
      deltas: [...this.deltas.values()],
    };
  }

  private addSpanMetrics(span: ReadableSpan, serviceName: string, step: number): void {
    const definition = this.definitions.spanMetrics;
    const base: Attributes = {
      'service.name': serviceName,
      'span.name': span.name,
      'span.kind': SPAN_KIND_NAMES[span.kind],
      'status.code': STATUS_CODE_NAMES[span.status.code],
      'collector.instance.id': this.collectorInstanceId,
    };
    const dimensions = pickDimensions(definition.dimensions, span);

    const callsAttributes = { ...base, ...dimensions, ...pickDimensions(definition.callsDimensions, span) };
    const callsKey = seriesKey(serviceName, callsAttributes);
    let counter = this.calls.get(callsKey);
    if (counter === undefined) {
      counter = { service: serviceName, attributes: callsAttributes, firstStep: step, increments: new Map() };
      this.calls.set(callsKey, counter);
    }
    counter.firstStep = Math.min(counter.firstStep, step);
    counter.increments.set(step, (counter.increments.get(step) ?? 0) + 1);

    const durationAttributes = { ...base, ...dimensions, ...pickDimensions(definition.histogramDimensions, span) };
    const durationKey = seriesKey(serviceName, durationAttributes);
    let histogram = this.durations.get(durationKey);
    if (histogram === undefined) {
      histogram = { service: serviceName, attributes: durationAttributes, bounds: definition.histogramBounds, firstStep: step, steps: new Map() };
      this.durations.set(durationKey, histogram);
    }
    histogram.firstStep = Math.min(histogram.firstStep, step);
    // The connector takes a span that ends before it starts as lasting 0.
    const durationMs = Math.max(0, hrTimeToMs(span.endTime) - hrTimeToMs(span.startTime));
    observe(histogram.steps, step, definition.histogramBounds, definition.histogramUnit === 's' ? durationMs / 1000 : durationMs);
  }

  private addSignalToMetrics(definition: SignalToMetricsDefinition, span: ReadableSpan, serviceName: string, step: number): void {
    if (span.name !== definition.spanName) return;
    if (definition.requiredAttributes.some((key) => span.attributes[key] === undefined)) return;
    const value = Number(span.attributes[definition.valueAttribute]);
    if (!Number.isFinite(value)) return;

    const attributes: Attributes = {};
    for (const attribute of definition.attributes) {
      const found = span.attributes[attribute.key] ?? span.resource.attributes[attribute.key] ?? attribute.defaultValue;
      if (found !== undefined) attributes[attribute.key] = found;
      // A missing attribute that is not optional makes the connector skip the span.
      else if (!attribute.optional) return;
    }
    const key = `${definition.name}\u0000${seriesKey(serviceName, attributes)}`;
    let series = this.deltas.get(key);
    if (series === undefined) {
      series = { service: serviceName, definition, attributes, steps: new Map() };
      this.deltas.set(key, series);
    }
    if (definition.kind === 'sum') {
      const point = series.steps.get(step) ?? { counts: [], sum: 0, count: 0 };
      point.sum += value;
      point.count += 1;
      series.steps.set(step, point);
    } else {
      observe(series.steps, step, definition.bounds, value);
    }
  }
}

/** A cumulative counter: the spans of one label set, added up step by step. */
export interface CounterSeries {
  service: string;
  attributes: Attributes;
  firstStep: number;
  /** Spans per step, only for steps that had any. */
  increments: Map<number, number>;
}

/** Observations of one step: counts per bucket (the last one is +Inf), their sum and count. */
export interface BucketPoint {
  counts: number[];
  sum: number;
  count: number;
}

export interface HistogramSeries {
  service: string;
  attributes: Attributes;
  bounds: number[];
  firstStep: number;
  steps: Map<number, BucketPoint>;
}

/** A signal_to_metrics series: one delta point per step that had matching spans. */
export interface DeltaSeries {
  service: string;
  definition: SignalToMetricsDefinition;
  attributes: Attributes;
  steps: Map<number, BucketPoint>;
}

export interface AggregatedSeries {
  /** Resource attributes of the first span of each service.name. */
  resources: Map<string, Attributes>;
  calls: CounterSeries[];
  durations: HistogramSeries[];
  deltas: DeltaSeries[];
}

// The names that the collector's traceutil gives span kinds and status codes.
const SPAN_KIND_NAMES: Record<SpanKind, string> = {
  [SpanKind.INTERNAL]: 'SPAN_KIND_INTERNAL',
  [SpanKind.SERVER]: 'SPAN_KIND_SERVER',
  [SpanKind.CLIENT]: 'SPAN_KIND_CLIENT',
  [SpanKind.PRODUCER]: 'SPAN_KIND_PRODUCER',
  [SpanKind.CONSUMER]: 'SPAN_KIND_CONSUMER',
};
const STATUS_CODE_NAMES: Record<SpanStatusCode, string> = {
  [SpanStatusCode.UNSET]: 'STATUS_CODE_UNSET',
  [SpanStatusCode.OK]: 'STATUS_CODE_OK',
  [SpanStatusCode.ERROR]: 'STATUS_CODE_ERROR',
};

// Like the connector, the span's attribute wins over the resource's, and a
// dimension found in neither is left out.
function pickDimensions(names: string[], span: ReadableSpan): Attributes {
  const picked: Attributes = {};
  for (const name of names) {
    const value: AttributeValue | undefined = span.attributes[name] ?? span.resource.attributes[name];
    if (value !== undefined) picked[name] = value;
  }
  return picked;
}

function seriesKey(service: string, attributes: Attributes): string {
  const entries = Object.keys(attributes)
    .sort()
    .map((key) => [key, attributes[key]]);
  return JSON.stringify([service, entries]);
}

// A value equal to a bound falls into that bound's bucket, as `le` means.
function observe(steps: Map<number, BucketPoint>, step: number, bounds: number[], value: number): void {
  let point = steps.get(step);
  if (point === undefined) {
    point = { counts: new Array<number>(bounds.length + 1).fill(0), sum: 0, count: 0 };
    steps.set(step, point);
  }
  let bucket = bounds.findIndex((bound) => value <= bound);
  if (bucket === -1) bucket = bounds.length;
  point.counts[bucket] = (point.counts[bucket] ?? 0) + 1;
  point.sum += value;
  point.count += 1;
}

function hrTimeToMs(time: HrTime): number {
  return time[0] * 1000 + time[1] / 1e6;
}
