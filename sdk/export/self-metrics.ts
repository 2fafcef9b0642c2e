import { type HrTime, ValueType } from '@opentelemetry/api';
import { JsonMetricsSerializer, ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';

/** Name of the counter of spans that the collector accepted. */
export const METRIC_SPANS_EXPORTED = 'factory.sdk.spans.exported';
/** Name of the counter of spans dropped because the span queue was full. */
export const METRIC_SPANS_DROPPED = 'factory.sdk.spans.dropped';
/** Name of the counter of spans whose export failed permanently, by `error.type`. */
export const METRIC_SPANS_FAILED = 'factory.sdk.spans.failed';

const SCOPE_NAME = 'factory-telemetry/export';
const UNIT = '{span}';

// The serializers take the ResourceMetrics type of @opentelemetry/sdk-metrics. Deriving
// it from their signature keeps that package out of this SDK's runtime dependencies.
type ResourceMetrics = Parameters<typeof ProtobufMetricsSerializer.serializeRequest>[0];
type MetricData = ResourceMetrics['scopeMetrics'][number]['metrics'][number];
type SumMetricData = Extract<MetricData, { isMonotonic: boolean }>;

// DataPointType.SUM and AggregationTemporality.CUMULATIVE of @opentelemetry/sdk-metrics
// 2.12, whose enums exist only at runtime there. The self-metrics tests decode what the
// serializers write, so a changed value fails them.
const DATA_POINT_TYPE_SUM = 3 as SumMetricData['dataPointType'];
const AGGREGATION_TEMPORALITY_CUMULATIVE = 1 as SumMetricData['aggregationTemporality'];

/** Span counts that the self-metrics report, cumulative since `startTimeMillis`. */
export interface SelfMetricsSnapshot {
  /** `service.name` and other resource attributes. */
  resourceAttributes: Record<string, string>;
  /** Epoch ms when counting started: the processor's creation. */
  startTimeMillis: number;
  /** Epoch ms of the counts. */
  timeMillis: number;
  exported: number;
  dropped: number;
  /** Failed spans by `error.type`. */
  failedByErrorType: Readonly<Record<string, number>>;
}

/**
 * Serializes the span counts as an OTLP ExportMetricsServiceRequest with three
 * monotonic cumulative sums: factory.sdk.spans.exported, factory.sdk.spans.dropped and
 * factory.sdk.spans.failed, the last with one data point per `error.type`. The failed
 * metric is left out until a span has failed. Throws if the serializer fails.
 */
export function serializeSelfMetrics(snapshot: SelfMetricsSnapshot, protocol: 'http/protobuf' | 'http/json'): Uint8Array {
  const startTime = toHrTime(snapshot.startTimeMillis);
  const endTime = toHrTime(snapshot.timeMillis);
  const counter = (name: string, description: string, points: { attributes: Record<string, string>; value: number }[]): SumMetricData => ({
    descriptor: { name, description, unit: UNIT, valueType: ValueType.INT },
    aggregationTemporality: AGGREGATION_TEMPORALITY_CUMULATIVE,
    dataPointType: DATA_POINT_TYPE_SUM,
    isMonotonic: true,
    dataPoints: points.map(({ attributes, value }) => ({ startTime, endTime, attributes, value })),
  });

  const metrics: SumMetricData[] = [
    counter(METRIC_SPANS_EXPORTED, 'Spans that the OTLP collector accepted.', [{ attributes: {}, value: snapshot.exported }]),
    counter(METRIC_SPANS_DROPPED, 'Spans dropped because the export queue was full.', [{ attributes: {}, value: snapshot.dropped }]),
  ];
  const failedPoints = Object.entries(snapshot.failedByErrorType).map(([errorType, value]) => ({
    attributes: { 'error.type': errorType },
    value,
  }));
  if (failedPoints.length > 0) {
    metrics.push(counter(METRIC_SPANS_FAILED, 'Spans whose export failed permanently, by error type.', failedPoints));
  }

  const request: ResourceMetrics = {
    resource: resourceFromAttributes(snapshot.resourceAttributes),
    scopeMetrics: [{ scope: { name: SCOPE_NAME }, metrics }],
  };
  const serializer = protocol === 'http/json' ? JsonMetricsSerializer : ProtobufMetricsSerializer;
  const body = serializer.serializeRequest(request);
  if (body === undefined) {
    throw new Error(`the ${protocol} metrics serializer returned no data`);
  }
  return body;
}

function toHrTime(epochMillis: number): HrTime {
  const seconds = Math.floor(epochMillis / 1000);
  return [seconds, Math.round((epochMillis - seconds * 1000) * 1e6)];
}
