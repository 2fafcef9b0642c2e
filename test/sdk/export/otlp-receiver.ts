/**
 * Minimal OTLP/HTTP(S) trace receiver for the export tests. It listens on 127.0.0.1 with
 * a port chosen by the OS, decodes every request body (JSON or protobuf, optionally
 * gzip-compressed) far enough to list the span ids and names, and responds to each
 * request with what the test's responder returns.
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
}

export interface ReceiverResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
}

/** Returns the response for the request with zero-based `index`, or 'hang' to never respond. */
export type Responder = (index: number, request: ReceivedRequest) => ReceiverResponse | 'hang';

export interface OtlpReceiver {
  /** Traces endpoint, http://127.0.0.1:<port>/v1/traces or https://... with TLS. */
  url: string;
  requests: ReceivedRequest[];
  /** Span ids of all requests, in arrival order, duplicates included. */
  spanIds(): string[];
  close(): Promise<void>;
}

/** Responds like an OpenTelemetry Collector that accepts every span. */
export const acceptAll: Responder = (_index, request) =>
  isJsonRequest(request)
    ? { status: 200, headers: { 'content-type': 'application/json' }, body: '{}' }
    : { status: 200, headers: { 'content-type': 'application/x-protobuf' }, body: new Uint8Array() };

/** PEM key and certificate; with them the receiver serves HTTPS. */
export interface ReceiverTls {
  key: string;
  cert: string;
}

export async function startOtlpReceiver(responder: Responder = acceptAll, tls?: ReceiverTls): Promise<OtlpReceiver> {
  const requests: ReceivedRequest[] = [];
  const hangingResponses: ServerResponse[] = [];

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
      };
      received.spans = decodeSpans(received);
      const index = requests.length;
      requests.push(received);

      const answer = responder(index, received);
      if (answer === 'hang') {
        hangingResponses.push(response);
        return;
      }
      response.writeHead(answer.status, answer.headers ?? {});
      response.end(answer.body ?? '');
    });
  };
  const server: Server = tls === undefined ? createServer(handleRequest) : createTlsServer(tls, handleRequest);

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `${tls === undefined ? 'http' : 'https'}://127.0.0.1:${port}/v1/traces`,
    requests,
    spanIds: () => requests.flatMap((request) => request.spans.map((span) => span.spanId)),
    close: async () => {
      for (const response of hangingResponses) {
        response.destroy();
      }
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
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

/** Returns the contents of every length-delimited field `fieldNumber` of a protobuf message. */
function lengthDelimitedFields(message: Uint8Array, fieldNumber: number): Uint8Array[] {
  const values: Uint8Array[] = [];
  let position = 0;
  const readVarint = (): number => {
    let value = 0;
    let multiplier = 1;
    for (;;) {
      const byte = message[position];
      if (byte === undefined) {
        throw new Error('truncated protobuf varint');
      }
      position += 1;
      value += (byte & 0x7f) * multiplier;
      if ((byte & 0x80) === 0) {
        return value;
      }
      multiplier *= 128;
    }
  };

  while (position < message.byteLength) {
    const tag = readVarint();
    const wireType = tag % 8;
    if (wireType === 0) {
      readVarint();
    } else if (wireType === 1) {
      position += 8;
    } else if (wireType === 5) {
      position += 4;
    } else if (wireType === 2) {
      const length = readVarint();
      if (Math.floor(tag / 8) === fieldNumber) {
        values.push(message.subarray(position, position + length));
      }
      position += length;
    } else {
      throw new Error(`unsupported protobuf wire type ${wireType}`);
    }
  }
  return values;
}

/** Encodes an ExportTraceServiceResponse with partial_success (field 1) as protobuf. */
export function encodeProtobufPartialSuccess(rejectedSpans: number, errorMessage: string): Uint8Array {
  const message = Buffer.from(errorMessage, 'utf8');
  // ExportTracePartialSuccess: rejected_spans (1, varint) and error_message (2, string).
  // Both test values stay below 128, so every varint is one byte.
  const partialSuccess = Buffer.from([0x08, rejectedSpans, 0x12, message.length, ...message]);
  return Buffer.from([0x0a, partialSuccess.length, ...partialSuccess]);
}
