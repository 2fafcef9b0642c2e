import { createHmac } from 'node:crypto';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startBridge, type Bridge, type BridgeOptions } from '../../bridge/index.js';
import type { Logger } from '../../bridge/log.js';

/** The webhook secret of the tests. */
export const SECRET = 'test-secret-0123456789abcdef';

/** A span as the OTLP stub decoded it, with attribute values as JavaScript values. */
export interface CapturedSpan {
  traceId: string;
  spanId: string;
  name: string;
  startMillis: number;
  endMillis: number;
  attributes: Record<string, string | number | boolean>;
}

export interface SpanReceiver {
  url: string;
  spans: CapturedSpan[];
  /** Makes the next trace requests fail with this status; undefined to accept again. */
  failWith: number | undefined;
  /** Holds trace requests without a response, and without keeping their spans, while true. */
  hold: boolean;
  /** Trace requests received while holding. */
  held: number;
  close(): Promise<void>;
}

/** Starts an OTLP/HTTP JSON receiver on 127.0.0.1 that keeps every span of the requests it accepts. */
export async function startSpanReceiver(): Promise<SpanReceiver> {
  const receiver: SpanReceiver = { url: '', spans: [], failWith: undefined, hold: false, held: 0, close: async () => undefined };
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (request.url === '/v1/traces' && receiver.hold) {
        receiver.held += 1;
        return;
      }
      if (request.url === '/v1/traces' && receiver.failWith !== undefined) {
        response.writeHead(receiver.failWith, { 'content-type': 'application/json' }).end('{}');
        return;
      }
      if (request.url === '/v1/traces') receiver.spans.push(...decodeSpans(Buffer.concat(chunks).toString('utf8')));
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  receiver.close = async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return receiver;
}

interface JsonValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
}

function decodeSpans(text: string): CapturedSpan[] {
  const parsed = JSON.parse(text) as {
    resourceSpans?: {
      scopeSpans?: {
        spans?: {
          traceId: string;
          spanId: string;
          name: string;
          startTimeUnixNano: string;
          endTimeUnixNano: string;
          attributes?: { key: string; value: JsonValue }[];
        }[];
      }[];
    }[];
  };
  const spans: CapturedSpan[] = [];
  for (const resource of parsed.resourceSpans ?? []) {
    for (const scope of resource.scopeSpans ?? []) {
      for (const span of scope.spans ?? []) {
        const attributes: CapturedSpan['attributes'] = {};
        for (const { key, value } of span.attributes ?? []) {
          const decoded = value.stringValue ?? (value.intValue !== undefined ? Number(value.intValue) : undefined) ?? value.doubleValue ?? value.boolValue;
          if (decoded !== undefined) attributes[key] = decoded;
        }
        spans.push({
          traceId: span.traceId,
          spanId: span.spanId,
          name: span.name,
          startMillis: Number(BigInt(span.startTimeUnixNano) / 1_000_000n),
          endMillis: Number(BigInt(span.endTimeUnixNano) / 1_000_000n),
          attributes,
        });
      }
    }
  }
  return spans;
}

/** Creates a logger that keeps its lines, for assertions on what was logged. */
export function memoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const push = (level: string) => (message: string, fields: Record<string, unknown> = {}) => {
    lines.push(`${level} ${message} ${JSON.stringify(fields)}`);
  };
  return { lines, debug: push('debug'), info: push('info'), warn: push('warn'), error: push('error') };
}

/** Starts a bridge on 127.0.0.1 with a port from the OS that exports JSON to `receiver`. */
export async function startTestBridge(receiver: SpanReceiver, options: Partial<BridgeOptions> & { database: string }): Promise<Bridge> {
  return startBridge({
    secret: SECRET,
    port: 0,
    host: '127.0.0.1',
    settleMillis: 0,
    sweepIntervalMillis: 60_000,
    retryDelayMillis: 100,
    maxRetryDurationMillis: 0,
    target: { url: `${receiver.url}/v1/traces`, headers: {}, protocol: 'http/json', timeoutMillis: 2_000, compression: 'none' },
    metricsTarget: { url: `${receiver.url}/v1/metrics`, headers: {}, protocol: 'http/json', timeoutMillis: 2_000, compression: 'none' },
    logger: memoryLogger(),
    ...options,
  });
}

/** Signs `body` as GitHub does, with HMAC-SHA256 in hex. */
export function sign(body: string | Buffer, secret: string = SECRET): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export interface Delivery {
  event: string;
  delivery: string;
  payload: unknown;
}

export interface Reply {
  status: number;
  body: { result?: string; detail?: string };
}

/** Sends one signed webhook, as GitHub would. */
export async function deliver(bridge: Bridge, delivery: Delivery, options: { signature?: string | null; path?: string } = {}): Promise<Reply> {
  const body = JSON.stringify(delivery.payload);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-github-event': delivery.event,
    'x-github-delivery': delivery.delivery,
  };
  const signature = options.signature === undefined ? sign(body) : options.signature;
  if (signature !== null) headers['x-hub-signature-256'] = signature;
  return post(`${bridge.url}${options.path ?? '/github'}`, body, headers);
}

/** POSTs `body` with node:http and returns the status and the parsed JSON response. */
export function post(url: string, body: string | Buffer, headers: Record<string, string>): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: Reply['body'] = {};
        try {
          parsed = JSON.parse(text) as Reply['body'];
        } catch {
          parsed = { detail: text };
        }
        resolve({ status: response.statusCode ?? 0, body: parsed });
      });
    });
    // The bridge may close the connection while a large body is still being sent.
    request.on('error', reject);
    request.end(body);
  });
}

/** Sweeps, then waits until the outbox is delivered. */
export async function settle(bridge: Bridge): Promise<void> {
  bridge.sweep();
  await bridge.drained();
}
