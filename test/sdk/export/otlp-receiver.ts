/**
 * Minimal OTLP/HTTP(S) trace and metrics receiver for the export tests. It listens on
 * 127.0.0.1 with a port chosen by the OS. It decodes every request body (JSON or
 * protobuf, optionally gzip-compressed) far enough to list the span ids and names or
 * the sum metrics, and sends the response that the test's responder returns. It can
 * stop listening and come back on the same port, like a collector that restarts.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

export interface ReceivedSpan {
  spanId: string;
  name: string;
}

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** Decompressed body. */
  body: Buffer;
  spans: ReceivedSpan[];
  /**
   * Whether the receiver sent a 2xx response while the client was still connected. A
   * request that the client abandoned, for example after its timeout, is not delivered.
   */
  delivered: boolean;
}

/** One data point of a sum metric, with attribute values as strings. */
export interface ReceivedDataPoint {
  attributes: Record<string, string>;
  value: number;
  startTimeUnixNano: bigint;
  timeUnixNano: bigint;
}

/** A sum metric as the receiver decoded it. */
export interface ReceivedMetric {
  name: string;
  description: string;
  unit: string;
  isMonotonic: boolean;
  /** OTLP AggregationTemporality: 1 delta, 2 cumulative. */
  aggregationTemporality: number;
  dataPoints: ReceivedDataPoint[];
}

export interface ReceivedMetricsRequest {
  headers: IncomingHttpHeaders;
  /** Resource attributes with string values. */
  resourceAttributes: Record<string, string>;
  scopeName: string;
  metrics: ReceivedMetric[];
}

export interface ReceiverResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  /** Time in ms to hold the response, for example to exceed the client's timeout. */
  delayMillis?: number;
}

/** Returns the response for the request with zero-based `index`, or 'hang' to never respond. */
export type Responder = (index: number, request: ReceivedRequest) => ReceiverResponse | 'hang';

export interface OtlpReceiver {
  /** Traces endpoint, http://127.0.0.1:<port>/v1/traces or https://... with TLS. */
  url: string;
  /** Metrics endpoint, the same origin with /v1/metrics. */
  metricsUrl: string;
  /** Origin without a path, as OTEL_EXPORTER_OTLP_ENDPOINT expects it. */
  baseUrl: string;
  /** Trace requests: every request except those to /v1/metrics. */
  requests: ReceivedRequest[];
  /** Decoded requests to /v1/metrics, including those that got an error response. */
  metricsRequests: ReceivedMetricsRequest[];
  /** Span ids of all trace requests, in arrival order, duplicates included. */
  spanIds(): string[];
  /** Span ids of the delivered trace requests, in arrival order, duplicates included. */
  deliveredSpanIds(): string[];
  /** Stops listening and closes the connections once their responses are sent; the port is then closed. */
  stop(): Promise<void>;
  /** Listens again on the same port after stop(). */
  restart(): Promise<void>;
  close(): Promise<void>;
}

/** Responds like an OpenTelemetry Collector that accepts every span or metric. */
export const acceptAll: Responder = (_index, request) =>
  isJsonRequest(request)
    ? { status: 200, headers: { 'content-type': 'application/json' }, body: '{}' }
    : { status: 200, headers: { 'content-type': 'application/x-protobuf' }, body: new Uint8Array() };

/** PEM key and certificate; with them the receiver serves HTTPS. */
export interface ReceiverTls {
  key: string;
  cert: string;
}

export interface ReceiverOptions {
  /** Responds to requests to /v1/metrics, with their own zero-based index. Default acceptAll. */
  metricsResponder?: Responder;
}

/**
 * Starts the receiver. `responder` returns the responses to trace requests and
 * `options.metricsResponder` those to metrics requests, each with an index that counts
 * only requests of its own kind.
 */
export async function startOtlpReceiver(
  responder: Responder = acceptAll,
  tls?: ReceiverTls,
  options: ReceiverOptions = {},
): Promise<OtlpReceiver> {
  const metricsResponder = options.metricsResponder ?? acceptAll;
  const requests: ReceivedRequest[] = [];
  const metricsRequests: ReceivedMetricsRequest[] = [];
  let metricsRequestCount = 0;
  const hangingResponses: ServerResponse[] = [];
  const delayedResponses = new Set<NodeJS.Timeout>();

  const respond = (request: IncomingMessage, response: ServerResponse, received: ReceivedRequest, answer: ReceiverResponse): void => {
    if (request.socket.destroyed || response.destroyed) {
      // The client gave up waiting, so it never learns the outcome and sends again.
      return;
    }
    received.delivered = answer.status >= 200 && answer.status < 300;
    response.writeHead(answer.status, answer.headers ?? {});
    response.end(answer.body ?? '');
  };

  const handleRequest = (request: IncomingMessage, response: ServerResponse): void => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      let body = Buffer.concat(chunks);
      if (request.headers['content-encoding'] === 'gzip') {
        body = gunzipSync(body);
      }
      const received: ReceivedRequest = {
        method: request.method ?? '',
        path: request.url ?? '',
        headers: request.headers,
        body,
        spans: [],
        delivered: false,
      };

      let answer: ReceiverResponse | 'hang';
      if (received.path === '/v1/metrics') {
        metricsRequests.push(decodeMetricsRequest(received));
        answer = metricsResponder(metricsRequestCount, received);
        metricsRequestCount += 1;
      } else {
        received.spans = decodeSpans(received);
        const index = requests.length;
        requests.push(received);
        answer = responder(index, received);
      }

      if (answer === 'hang') {
        hangingResponses.push(response);
      } else if (answer.delayMillis !== undefined) {
        const timer = setTimeout(() => {
          delayedResponses.delete(timer);
          respond(request, response, received, answer);
        }, answer.delayMillis);
        delayedResponses.add(timer);
      } else {
        respond(request, response, received, answer);
      }
    });
  };
  const server: Server = tls === undefined ? createServer(handleRequest) : createTlsServer(tls, handleRequest);

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const baseUrl = `${tls === undefined ? 'http' : 'https'}://127.0.0.1:${port}`;

  const stop = async (): Promise<void> => {
    if (!server.listening) {
      return;
    }
    // close() stops accepting connections and ends idle keep-alive connections. Busy
    // connections end after their response, so no response is cut off.
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    await closed;
  };

  return {
    url: `${baseUrl}/v1/traces`,
    metricsUrl: `${baseUrl}/v1/metrics`,
    baseUrl,
    requests,
    metricsRequests,
    spanIds: () => requests.flatMap((request) => request.spans.map((span) => span.spanId)),
    deliveredSpanIds: () =>
      requests.filter((request) => request.delivered).flatMap((request) => request.spans.map((span) => span.spanId)),
    stop,
    restart: () => new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve)),
    close: async () => {
      for (const timer of delayedResponses) {
        clearTimeout(timer);
      }
      for (const response of hangingResponses) {
        response.destroy();
      }
      server.closeAllConnections();
      if (server.listening) {
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    },
  };
}

/** Returns the value of the metric `name` with exactly `attributes`, or undefined. */
export function metricValue(
  request: ReceivedMetricsRequest | undefined,
  name: string,
  attributes: Record<string, string> = {},
): number | undefined {
  const metric = request?.metrics.find((candidate) => candidate.name === name);
  const point = metric?.dataPoints.find(
    (candidate) => JSON.stringify(sortedEntries(candidate.attributes)) === JSON.stringify(sortedEntries(attributes)),
  );
  return point?.value;
}

function sortedEntries(record: Record<string, string>): [string, string][] {
  return Object.entries(record).sort(([left], [right]) => left.localeCompare(right));
}

function isJsonRequest(request: ReceivedRequest): boolean {
  return (request.headers['content-type'] ?? '').includes('json');
}

function decodeSpans(request: ReceivedRequest): ReceivedSpan[] {
  if (isJsonRequest(request)) {
    return decodeJsonSpans(request.body);
  }
  if ((request.headers['content-type'] ?? '').includes('protobuf')) {
    return decodeProtobufSpans(request.body);
  }
  return [];
}

interface JsonExportRequest {
  resourceSpans?: { scopeSpans?: { spans?: { spanId: string; name: string }[] }[] }[];
}

function decodeJsonSpans(body: Buffer): ReceivedSpan[] {
  const parsed = JSON.parse(body.toString('utf8')) as JsonExportRequest;
  const spans: ReceivedSpan[] = [];
  for (const resourceSpans of parsed.resourceSpans ?? []) {
    for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
      for (const span of scopeSpans.spans ?? []) {
        spans.push({ spanId: span.spanId, name: span.name });
      }
    }
  }
  return spans;
}

/**
 * Walks ExportTraceServiceRequest.resource_spans (1) -> ResourceSpans.scope_spans (2)
 * -> ScopeSpans.spans (2) -> Span.span_id (2) and Span.name (5), the field numbers that
 * the trace serializer of @opentelemetry/otlp-transformer writes.
 */
function decodeProtobufSpans(body: Uint8Array): ReceivedSpan[] {
  const spans: ReceivedSpan[] = [];
  for (const resourceSpans of lengthDelimitedFields(body, 1)) {
    for (const scopeSpans of lengthDelimitedFields(resourceSpans, 2)) {
      for (const span of lengthDelimitedFields(scopeSpans, 2)) {
        const spanId = lengthDelimitedFields(span, 2)[0] ?? new Uint8Array();
        const name = lengthDelimitedFields(span, 5)[0] ?? new Uint8Array();
        spans.push({ spanId: Buffer.from(spanId).toString('hex'), name: Buffer.from(name).toString('utf8') });
      }
    }
  }
  return spans;
}

/** Calls `visit` for each top-level field of a protobuf message; varint and fixed values come as bigint. */
function walkProtobufFields(message: Uint8Array, visit: (field: number, value: bigint | Uint8Array) => void): void {
  let position = 0;
  const readVarint = (): bigint => {
    let value = 0n;
    let shift = 0n;
    for (;;) {
      const byte = message[position];
      if (byte === undefined) {
        throw new Error('truncated protobuf varint');
      }
      position += 1;
      value |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) {
        return value;
      }
      shift += 7n;
    }
  };
  const readFixed = (bytes: number): bigint => {
    if (position + bytes > message.byteLength) {
      throw new Error('truncated protobuf fixed-width field');
    }
    const view = Buffer.from(message.buffer, message.byteOffset + position, bytes);
    position += bytes;
    return bytes === 8 ? view.readBigUInt64LE(0) : BigInt(view.readUInt32LE(0));
  };

  while (position < message.byteLength) {
    const tag = readVarint();
    const wireType = Number(tag & 7n);
    const field = Number(tag >> 3n);
    if (wireType === 0) {
      visit(field, readVarint());
    } else if (wireType === 1) {
      visit(field, readFixed(8));
    } else if (wireType === 5) {
      visit(field, readFixed(4));
    } else if (wireType === 2) {
      const length = Number(readVarint());
      visit(field, message.subarray(position, position + length));
      position += length;
    } else {
      throw new Error(`unsupported protobuf wire type ${wireType}`);
    }
  }
}

/** Returns the contents of every length-delimited field `fieldNumber` of a protobuf message. */
function lengthDelimitedFields(message: Uint8Array, fieldNumber: number): Uint8Array[] {
  const values: Uint8Array[] = [];
  walkProtobufFields(message, (field, value) => {
    if (field === fieldNumber && value instanceof Uint8Array) {
      values.push(value);
    }
  });
  return values;
}

/** Returns the last varint or fixed-width value of each field of a protobuf message. */
function scalarFields(message: Uint8Array): Map<number, bigint> {
  const values = new Map<number, bigint>();
  walkProtobufFields(message, (field, value) => {
    if (typeof value === 'bigint') {
      values.set(field, value);
    }
  });
  return values;
}

function decodeMetricsRequest(request: ReceivedRequest): ReceivedMetricsRequest {
  const contentType = request.headers['content-type'] ?? '';
  const decoded = contentType.includes('json') ? decodeJsonMetrics(request.body) : decodeProtobufMetrics(request.body);
  return { headers: request.headers, ...decoded };
}

type DecodedMetrics = Omit<ReceivedMetricsRequest, 'headers'>;

interface JsonKeyValue {
  key: string;
  value: { stringValue?: string; intValue?: number | string; boolValue?: boolean; doubleValue?: number };
}

interface JsonMetricsRequest {
  resourceMetrics?: {
    resource?: { attributes?: JsonKeyValue[] };
    scopeMetrics?: {
      scope?: { name?: string };
      metrics?: {
        name: string;
        description?: string;
        unit?: string;
        sum?: {
          aggregationTemporality?: number;
          isMonotonic?: boolean;
          dataPoints?: {
            attributes?: JsonKeyValue[];
            startTimeUnixNano?: string | number;
            timeUnixNano?: string | number;
            asInt?: number | string;
            asDouble?: number;
          }[];
        };
      }[];
    }[];
  }[];
}

/** Decodes an ExportMetricsServiceRequest in OTLP/JSON with one ResourceMetrics and one ScopeMetrics. */
function decodeJsonMetrics(body: Buffer): DecodedMetrics {
  const parsed = JSON.parse(body.toString('utf8')) as JsonMetricsRequest;
  const resourceMetrics = parsed.resourceMetrics?.[0];
  const scopeMetrics = resourceMetrics?.scopeMetrics?.[0];
  const jsonAttributes = (list: JsonKeyValue[] | undefined): Record<string, string> =>
    Object.fromEntries((list ?? []).map(({ key, value }) => [key, String(value.stringValue ?? value.intValue ?? value.boolValue ?? value.doubleValue)]));
  return {
    resourceAttributes: jsonAttributes(resourceMetrics?.resource?.attributes),
    scopeName: scopeMetrics?.scope?.name ?? '',
    metrics: (scopeMetrics?.metrics ?? []).map((metric) => ({
      name: metric.name,
      description: metric.description ?? '',
      unit: metric.unit ?? '',
      isMonotonic: metric.sum?.isMonotonic ?? false,
      aggregationTemporality: metric.sum?.aggregationTemporality ?? 0,
      dataPoints: (metric.sum?.dataPoints ?? []).map((point) => ({
        attributes: jsonAttributes(point.attributes),
        value: Number(point.asInt ?? point.asDouble),
        startTimeUnixNano: BigInt(point.startTimeUnixNano ?? 0),
        timeUnixNano: BigInt(point.timeUnixNano ?? 0),
      })),
    })),
  };
}

/**
 * Decodes an ExportMetricsServiceRequest in protobuf, by the field numbers of
 * opentelemetry/proto/metrics/v1/metrics.proto: resource_metrics (1) -> resource (1)
 * and scope_metrics (2) -> scope (1) and metrics (2) -> name (1), description (2),
 * unit (3) and sum (7) -> data_points (1), aggregation_temporality (2) and
 * is_monotonic (3). A NumberDataPoint has start_time_unix_nano (2),
 * time_unix_nano (3), as_double (4), as_int (6) and attributes (7).
 */
function decodeProtobufMetrics(body: Uint8Array): DecodedMetrics {
  const resourceMetrics = lengthDelimitedFields(body, 1)[0] ?? new Uint8Array();
  const resource = lengthDelimitedFields(resourceMetrics, 1)[0] ?? new Uint8Array();
  const scopeMetrics = lengthDelimitedFields(resourceMetrics, 2)[0] ?? new Uint8Array();
  const scope = lengthDelimitedFields(scopeMetrics, 1)[0] ?? new Uint8Array();
  const text = (message: Uint8Array, field: number): string =>
    Buffer.from(lengthDelimitedFields(message, field)[0] ?? new Uint8Array()).toString('utf8');

  return {
    resourceAttributes: protobufAttributes(resource, 1),
    scopeName: text(scope, 1),
    metrics: lengthDelimitedFields(scopeMetrics, 2).map((metric) => {
      const sum = lengthDelimitedFields(metric, 7)[0] ?? new Uint8Array();
      const sumScalars = scalarFields(sum);
      return {
        name: text(metric, 1),
        description: text(metric, 2),
        unit: text(metric, 3),
        isMonotonic: sumScalars.get(3) === 1n,
        aggregationTemporality: Number(sumScalars.get(2) ?? 0n),
        dataPoints: lengthDelimitedFields(sum, 1).map((point) => {
          const scalars = scalarFields(point);
          const asDouble = scalars.get(4);
          const value =
            asDouble === undefined
              ? Number(BigInt.asIntN(64, scalars.get(6) ?? 0n))
              : Buffer.from(new BigUint64Array([asDouble]).buffer).readDoubleLE(0);
          return {
            attributes: protobufAttributes(point, 7),
            value,
            startTimeUnixNano: scalars.get(2) ?? 0n,
            timeUnixNano: scalars.get(3) ?? 0n,
          };
        }),
      };
    }),
  };
}

/** Reads the KeyValue list `field` of a message, with string, int and bool values as strings. */
function protobufAttributes(message: Uint8Array, field: number): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const keyValue of lengthDelimitedFields(message, field)) {
    const key = Buffer.from(lengthDelimitedFields(keyValue, 1)[0] ?? new Uint8Array()).toString('utf8');
    // AnyValue: string_value (1), bool_value (2), int_value (3).
    const anyValue = lengthDelimitedFields(keyValue, 2)[0] ?? new Uint8Array();
    const stringValue = lengthDelimitedFields(anyValue, 1)[0];
    const scalars = scalarFields(anyValue);
    if (stringValue !== undefined) {
      attributes[key] = Buffer.from(stringValue).toString('utf8');
    } else if (scalars.has(3)) {
      attributes[key] = String(BigInt.asIntN(64, scalars.get(3) ?? 0n));
    } else if (scalars.has(2)) {
      attributes[key] = String(scalars.get(2) === 1n);
    }
  }
  return attributes;
}

/** Encodes an ExportTraceServiceResponse with partial_success (field 1) as protobuf. */
export function encodeProtobufPartialSuccess(rejectedSpans: number, errorMessage: string): Uint8Array {
  const message = Buffer.from(errorMessage, 'utf8');
  // ExportTracePartialSuccess: rejected_spans (1, varint) and error_message (2, string).
  // Both test values stay below 128, so every varint is one byte.
  const partialSuccess = Buffer.from([0x08, rejectedSpans, 0x12, message.length, ...message]);
  return Buffer.from([0x0a, partialSuccess.length, ...partialSuccess]);
}
