/**
 * ExitSafeSpanProcessor inside the test process: delivery, retries, failures, partial
 * success, queue overflow and self-metrics against a receiver on 127.0.0.1. Exit
 * behaviour needs a process that really exits and is tested in exit.test.ts; a long
 * collector outage is tested in outage.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';

import { resourceFromAttributes } from '@opentelemetry/resources';
import { type Sampler, SamplingDecision, TracerProvider } from '@opentelemetry/sdk-trace';

import { ExitSafeSpanProcessor, type ExitSafeSpanProcessorOptions, type OtlpHttpTarget } from '../../../sdk/export/index.js';
import {
  acceptAll,
  encodeProtobufPartialSuccess,
  metricValue,
  type OtlpReceiver,
  type ReceiverOptions,
  type ReceiverResponse,
  type Responder,
  startOtlpReceiver,
} from './otlp-receiver.js';

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) {
    await cleanup();
  }
});

function targetFor(receiver: OtlpReceiver, overrides: Partial<OtlpHttpTarget> = {}): OtlpHttpTarget {
  return { url: receiver.url, headers: {}, protocol: 'http/json', timeoutMillis: 5_000, compression: 'none', ...overrides };
}

async function receiverAnswering(responder: Responder = acceptAll, options: ReceiverOptions = {}): Promise<OtlpReceiver> {
  const receiver = await startOtlpReceiver(responder, undefined, options);
  cleanups.push(() => receiver.close());
  return receiver;
}

/** Resolves once `condition()` is true; fails after `timeoutMillis`. */
async function waitFor(condition: () => boolean, timeoutMillis = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMillis;
  while (!condition()) {
    if (Date.now() > deadline) {
      throw new Error(`condition not met within ${timeoutMillis} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Creates a processor with its own TracerProvider and collects everything passed to
 * onError. Unless `options` sets them, the self-metrics go to /v1/metrics on the
 * receiver of the traces target, with service.name processor-test.
 */
function createProcessor(options: Omit<ExitSafeSpanProcessorOptions, 'onError'>, sampler?: Sampler) {
  const errors: string[] = [];
  const processor = new ExitSafeSpanProcessor({
    metricsTarget: { ...options.target, url: options.target.url.replace(/\/v1\/traces$/, '/v1/metrics') },
    serviceName: 'processor-test',
    ...options,
    onError: (error) => errors.push(error.message),
  });
  const provider = new TracerProvider({ spanProcessors: [processor], ...(sampler ? { sampler } : {}) });
  cleanups.push(() => provider.shutdown());
  const tracer = provider.getTracer('processor-test');
  /** Records `count` spans; with `runId` each has that factory.run.id. */
  const recordSpans = (count: number, prefix = 'span', runId?: string): void => {
    const attributes = runId === undefined ? {} : { 'factory.run.id': runId };
    for (let index = 0; index < count; index += 1) {
      tracer.startSpan(`${prefix}-${index}`, { attributes }).end();
    }
  };
  return { processor, provider, errors, recordSpans };
}

/** Returns the stats object that ExitSafeSpanProcessor.stats() should return. */
function statsOf(counts: {
  accepted: number;
  exported: number;
  dropped?: number;
  failed?: Record<string, number>;
  pending?: number;
}) {
  const failedByErrorType = counts.failed ?? {};
  return {
    accepted: counts.accepted,
    exported: counts.exported,
    dropped: counts.dropped ?? 0,
    failed: Object.values(failedByErrorType).reduce((sum, count) => sum + count, 0),
    failedByErrorType,
    pending: counts.pending ?? 0,
  };
}

describe('ExitSafeSpanProcessor delivery', () => {
  it('sends JSON spans once each', async () => {
    const receiver = await receiverAnswering();
    const { processor, errors, recordSpans } = createProcessor({ target: targetFor(receiver) });

    recordSpans(25);
    await processor.forceFlush();

    expect(receiver.spanIds()).toHaveLength(25);
    expect(new Set(receiver.spanIds()).size).toBe(25);
    expect(receiver.requests[0]?.method).toBe('POST');
    expect(receiver.requests[0]?.path).toBe('/v1/traces');
    expect(receiver.requests[0]?.headers['content-type']).toBe('application/json');
    expect(processor.stats()).toEqual(statsOf({ accepted: 25, exported: 25 }));
    expect(errors).toEqual([]);
  });

  it('sends gzip-compressed protobuf in batches', async () => {
    const receiver = await receiverAnswering();
    const { processor, errors, recordSpans } = createProcessor({
      target: targetFor(receiver, { protocol: 'http/protobuf', compression: 'gzip' }),
      maxExportBatchSize: 10,
    });

    recordSpans(35);
    await processor.forceFlush();

    expect(receiver.requests).toHaveLength(4);
    expect(receiver.requests[0]?.headers['content-type']).toBe('application/x-protobuf');
    expect(receiver.requests[0]?.headers['content-encoding']).toBe('gzip');
    expect(receiver.spanIds()).toHaveLength(35);
    expect(new Set(receiver.spanIds()).size).toBe(35);
    expect(receiver.requests.flatMap((request) => request.spans.map((span) => span.name))).toContain('span-34');
    expect(processor.stats()).toEqual(statsOf({ accepted: 35, exported: 35 }));
    expect(errors).toEqual([]);
  });

  it('sends the target headers', async () => {
    const receiver = await receiverAnswering();
    const { processor, recordSpans } = createProcessor({
      target: targetFor(receiver, { headers: { authorization: 'Bearer test-token', 'x-tenant': 'team-a' } }),
    });

    recordSpans(1);
    await processor.forceFlush();

    expect(receiver.requests[0]?.headers.authorization).toBe('Bearer test-token');
    expect(receiver.requests[0]?.headers['x-tenant']).toBe('team-a');
  });

  it('ignores spans that are recorded but not sampled', async () => {
    const receiver = await receiverAnswering();
    const recordOnly: Sampler = { shouldSample: () => ({ decision: SamplingDecision.RECORD }), toString: () => 'RecordOnly' };
    const { processor, recordSpans } = createProcessor({ target: targetFor(receiver) }, recordOnly);

    recordSpans(3);
    await processor.forceFlush();

    expect(receiver.requests).toHaveLength(0);
    expect(processor.stats().accepted).toBe(0);
  });
});

describe('ExitSafeSpanProcessor retries', () => {
  it('delivers once after two 503 responses', async () => {
    const receiver = await receiverAnswering((index, request) =>
      index < 2 ? { status: 503, headers: { 'retry-after': '0' } } : acceptAll(index, request),
    );
    const { processor, errors, recordSpans } = createProcessor({ target: targetFor(receiver) });

    recordSpans(5);
    await processor.forceFlush();

    expect(receiver.requests).toHaveLength(3);
    const deliveredIds = receiver.requests[2]?.spans.map((span) => span.spanId);
    expect(deliveredIds).toHaveLength(5);
    expect(receiver.requests[0]?.spans.map((span) => span.spanId)).toEqual(deliveredIds);
    expect(processor.stats()).toEqual(statsOf({ accepted: 5, exported: 5 }));
    expect(errors).toEqual([]);
  });

  it('backs off without Retry-After', { timeout: 20_000 }, async () => {
    const receiver = await receiverAnswering((index, request) =>
      index < 2 ? { status: index === 0 ? 502 : 429 } : acceptAll(index, request),
    );
    const { processor, errors, recordSpans } = createProcessor({ target: targetFor(receiver) });

    recordSpans(2);
    await processor.forceFlush();

    expect(receiver.requests).toHaveLength(3);
    expect(processor.stats()).toEqual(statsOf({ accepted: 2, exported: 2 }));
    expect(errors).toEqual([]);
  });

  it('retries a refused connection for maxRetryDurationMillis', { timeout: 30_000 }, async () => {
    const receiver = await startOtlpReceiver();
    await receiver.close();
    const { processor, errors, recordSpans } = createProcessor({ target: targetFor(receiver), maxRetryDurationMillis: 3_000 });

    const startedAt = Date.now();
    recordSpans(3, 'span', 'run-refused');
    await processor.forceFlush();

    expect(processor.stats()).toEqual(statsOf({ accepted: 3, exported: 0, failed: { network: 3 } }));
    // The spans' retries and then those of the self-metrics each take about 3 s.
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(2 * 3_000);
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatch(/ECONNREFUSED/);
    expect(errors[0]).toMatch(/gave up after [2-9] attempts in 3\.\d s/);
    expect(errors[0]).toContain('Affected runs (factory.run.id): run-refused.');
    expect(errors[1]).toContain(`sending the self-metrics to ${receiver.metricsUrl} failed`);
    expect(errors[1]).toMatch(/ECONNREFUSED/);
  });

  it('resends a request that timed out', async () => {
    const receiver = await receiverAnswering((index, request) => {
      const response = acceptAll(index, request) as ReceiverResponse;
      return index === 0 ? { ...response, delayMillis: 1_500 } : response;
    });
    const { processor, errors, recordSpans } = createProcessor({ target: targetFor(receiver, { timeoutMillis: 500 }) });

    recordSpans(6, 'span', 'run-timeout');
    await processor.forceFlush();

    expect(receiver.requests).toHaveLength(2);
    expect(receiver.requests[0]?.delivered).toBe(false);
    expect(receiver.requests[1]?.delivered).toBe(true);
    // The receiver sends the first response only after the client gave up on the request.
    expect(receiver.deliveredSpanIds()).toHaveLength(6);
    expect(new Set(receiver.deliveredSpanIds()).size).toBe(6);
    expect(processor.stats()).toEqual(statsOf({ accepted: 6, exported: 6 }));
    expect(errors).toEqual([]);
    expect(metricValue(receiver.metricsRequests.at(-1), 'factory.sdk.spans.exported')).toBe(6);
  });

  it('reports timed-out spans as maybe received', async () => {
    const receiver = await receiverAnswering((index, request) => ({ ...(acceptAll(index, request) as ReceiverResponse), delayMillis: 1_000 }));
    const { processor, errors, recordSpans } = createProcessor({
      target: targetFor(receiver, { timeoutMillis: 300 }),
      maxRetryDurationMillis: 200,
      selfMetrics: false,
    });

    recordSpans(3, 'span', 'run-slow');
    await processor.forceFlush();

    expect(processor.stats()).toEqual(statsOf({ accepted: 3, exported: 0, failed: { timeout: 3 } }));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('request timed out after 300 ms');
    expect(errors[0]).toContain('the collector may still have received them');
    expect(errors[0]).toContain('Affected runs (factory.run.id): run-slow.');
  });
});

describe('ExitSafeSpanProcessor failures', () => {
  it('counts a 400 response as failed without retrying', async () => {
    const receiver = await receiverAnswering(() => ({
      status: 400,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code: 3, message: 'span name must not be empty' }),
    }));
    const { processor, errors, recordSpans } = createProcessor({ target: targetFor(receiver) });

    recordSpans(4);
    await processor.forceFlush();

    expect(receiver.requests).toHaveLength(1);
    expect(processor.stats()).toEqual(statsOf({ accepted: 4, exported: 0, failed: { '400': 4 } }));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('HTTP 400');
    expect(errors[0]).toContain('span name must not be empty');
    expect(errors[0]).toContain(receiver.url);
  });

  it('reads the message of a protobuf error response', async () => {
    // google.rpc.Status with message (field 2) "quota exceeded".
    const status = Buffer.concat([Buffer.from([0x08, 0x08, 0x12, 14]), Buffer.from('quota exceeded')]);
    const receiver = await receiverAnswering(() => ({
      status: 413,
      headers: { 'content-type': 'application/x-protobuf' },
      body: status,
    }));
    const { processor, errors, recordSpans } = createProcessor({ target: targetFor(receiver, { protocol: 'http/protobuf' }) });

    recordSpans(2);
    await processor.forceFlush();

    expect(processor.stats().failed).toBe(2);
    expect(errors[0]).toContain('HTTP 413');
    expect(errors[0]).toContain('quota exceeded');
  });

  it('fails only the batch answered with 400', async () => {
    const receiver = await receiverAnswering((index, request) =>
      index === 1 ? { status: 400, headers: { 'content-type': 'application/json' }, body: '{"code":3,"message":"bad batch"}' } : acceptAll(index, request),
    );
    const { processor, errors, recordSpans } = createProcessor({ target: targetFor(receiver), scheduledDelayMillis: 60_000 });

    for (const runId of ['run-a', 'run-b', 'run-c']) {
      recordSpans(4, runId, runId);
      recordSpans(1, `${runId}-no-id`);
      await processor.forceFlush();
    }

    expect(receiver.requests).toHaveLength(3);
    const rejectedIds = new Set(receiver.requests[1]?.spans.map((span) => span.spanId));
    const delivered = receiver.deliveredSpanIds();
    expect(delivered).toHaveLength(10);
    expect(new Set(delivered).size).toBe(10);
    expect(delivered.filter((spanId) => rejectedIds.has(spanId))).toEqual([]);
    expect(processor.stats()).toEqual(statsOf({ accepted: 15, exported: 10, failed: { '400': 5 } }));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(`OTLP export of 5 spans to ${receiver.url} failed: HTTP 400; collector response: bad batch`);
    expect(errors[0]).toContain('Affected runs (factory.run.id): run-b. 1 span has no factory.run.id.');
    const finalMetrics = receiver.metricsRequests.at(-1);
    expect(metricValue(finalMetrics, 'factory.sdk.spans.exported')).toBe(10);
    expect(metricValue(finalMetrics, 'factory.sdk.spans.failed', { 'error.type': '400' })).toBe(5);
  });

  it('counts JSON partial success rejections as failed', async () => {
    const receiver = await receiverAnswering(() => ({
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ partialSuccess: { rejectedSpans: '2', errorMessage: 'attribute too long' } }),
    }));
    const { processor, errors, recordSpans } = createProcessor({ target: targetFor(receiver) });

    recordSpans(6);
    await processor.forceFlush();

    expect(processor.stats()).toEqual(statsOf({ accepted: 6, exported: 4, failed: { rejected: 2 } }));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('rejected 2 of 6 spans');
    expect(errors[0]).toContain('attribute too long');
  });

  it('counts protobuf partial success rejections as failed', async () => {
    const receiver = await receiverAnswering(() => ({
      status: 200,
      headers: { 'content-type': 'application/x-protobuf' },
      body: encodeProtobufPartialSuccess(1, 'invalid trace id'),
    }));
    const { processor, errors, recordSpans } = createProcessor({ target: targetFor(receiver, { protocol: 'http/protobuf' }) });

    recordSpans(3);
    await processor.forceFlush();

    expect(processor.stats()).toEqual(statsOf({ accepted: 3, exported: 2, failed: { rejected: 1 } }));
    expect(errors[0]).toContain('rejected 1 of 3 spans');
    expect(errors[0]).toContain('invalid trace id');
  });
});

describe('ExitSafeSpanProcessor queue overflow', () => {
  it('reports each burst of drops once', async () => {
    const receiver = await receiverAnswering();
    const { processor, errors, recordSpans } = createProcessor({
      target: targetFor(receiver),
      maxQueueSize: 5,
      scheduledDelayMillis: 60_000,
    });

    recordSpans(12, 'first', 'run-first');
    recordSpans(1, 'same-burst', 'run-same-burst');
    expect(processor.stats()).toEqual(statsOf({ accepted: 13, exported: 0, dropped: 8, pending: 5 }));
    expect(errors).toEqual([]);

    await processor.forceFlush();
    expect(processor.stats()).toEqual(statsOf({ accepted: 13, exported: 5, dropped: 8 }));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('span queue is full: 8 spans dropped because maxQueueSize (5) spans were waiting');
    expect(errors[0]).toContain('8 dropped so far');
    expect(errors[0]).toContain('Affected runs (factory.run.id): run-first, run-same-burst.');

    recordSpans(7, 'second');
    expect(processor.stats().dropped).toBe(10);
    await processor.forceFlush();
    expect(errors).toHaveLength(2);
    expect(errors[1]).toContain('2 spans dropped');
    expect(errors[1]).toContain('10 dropped so far');
    expect(errors[1]).toContain('2 spans have no factory.run.id.');
    expect(receiver.spanIds()).toHaveLength(10);
    expect(metricValue(receiver.metricsRequests.at(-1), 'factory.sdk.spans.dropped')).toBe(10);
  });

  it('ends a burst when a span is accepted again', async () => {
    const receiver = await receiverAnswering();
    const { processor, errors, recordSpans } = createProcessor({
      target: targetFor(receiver),
      maxQueueSize: 3,
      maxExportBatchSize: 3,
    });

    recordSpans(3, 'filled', 'run-filled');
    recordSpans(1, 'overflow', 'run-overflow');
    await waitFor(() => processor.stats().pending === 0);
    expect(errors).toEqual([]);

    recordSpans(1, 'accepted', 'run-accepted');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('1 span dropped');
    expect(errors[0]).toContain('Affected runs (factory.run.id): run-overflow.');
  });

  it('reports a lasting burst after 5 s', { timeout: 20_000 }, async () => {
    const receiver = await receiverAnswering();
    await receiver.stop();
    const { processor, errors, recordSpans } = createProcessor({
      target: targetFor(receiver),
      maxQueueSize: 2,
      maxExportBatchSize: 2,
      maxRetryDurationMillis: 8_000,
      selfMetrics: false,
    });

    recordSpans(3, 'first', 'run-first');
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    recordSpans(1, 'later', 'run-later');
    expect(errors).toEqual([]);
    await waitFor(() => errors.length > 0, 3_000);

    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('2 spans dropped');
    expect(errors[0]).toContain('Affected runs (factory.run.id): run-first, run-later.');
    expect(processor.stats().pending).toBe(2);
  });

  it('counts drops while the collector is down', { timeout: 30_000 }, async () => {
    const receiver = await receiverAnswering();
    await receiver.stop();
    const { processor, errors, recordSpans } = createProcessor({
      target: targetFor(receiver),
      maxQueueSize: 20,
      maxExportBatchSize: 10,
    });

    const runIds = Array.from({ length: 14 }, (_, index) => `run-${String(index).padStart(2, '0')}`);
    for (const runId of runIds) {
      recordSpans(5, runId, runId);
    }
    expect(processor.stats()).toEqual(statsOf({ accepted: 70, exported: 0, dropped: 50, pending: 20 }));

    await receiver.restart();
    await processor.forceFlush();

    expect(processor.stats()).toEqual(statsOf({ accepted: 70, exported: 20, dropped: 50 }));
    expect(receiver.deliveredSpanIds()).toHaveLength(20);
    expect(new Set(receiver.deliveredSpanIds()).size).toBe(20);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('50 spans dropped');
    // The first 4 runs filled the queue; the other 10 were dropped.
    expect(errors[0]).toContain(`Affected runs (factory.run.id): ${runIds.slice(4).join(', ')}.`);
    const finalMetrics = receiver.metricsRequests.at(-1);
    expect(metricValue(finalMetrics, 'factory.sdk.spans.dropped')).toBe(processor.stats().dropped);
    expect(metricValue(finalMetrics, 'factory.sdk.spans.exported')).toBe(20);
  });

  it('names at most 10 runs in a report', async () => {
    const receiver = await receiverAnswering();
    const { processor, errors, recordSpans } = createProcessor({
      target: targetFor(receiver),
      maxQueueSize: 1,
      scheduledDelayMillis: 60_000,
    });

    for (let index = 0; index < 13; index += 1) {
      recordSpans(1, 'span', `run-${index}`);
    }
    await processor.forceFlush();

    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('12 spans dropped');
    expect(errors[0]).toContain(
      `Affected runs (factory.run.id): ${Array.from({ length: 10 }, (_, index) => `run-${index + 1}`).join(', ')} and 2 more runs.`,
    );
  });
});

describe('ExitSafeSpanProcessor self-metrics', () => {
  it.each(['http/json', 'http/protobuf'] as const)('sends the counts as %s', async (protocol) => {
    const receiver = await receiverAnswering((index, request) =>
      index === 0 ? { status: 400, headers: { 'content-type': 'application/json' }, body: '{}' } : acceptAll(index, request),
    );
    const createdAt = BigInt(Date.now()) * 1_000_000n;
    const { processor, errors, recordSpans } = createProcessor({
      target: targetFor(receiver, { protocol, compression: 'gzip' }),
      scheduledDelayMillis: 60_000,
    });

    recordSpans(3, 'failed', 'run-failed');
    await processor.forceFlush();
    recordSpans(7, 'exported', 'run-exported');
    await processor.forceFlush();

    expect(errors).toHaveLength(1);
    expect(receiver.metricsRequests).toHaveLength(2);
    const request = receiver.metricsRequests[1];
    expect(request?.headers['content-type']).toBe(protocol === 'http/json' ? 'application/json' : 'application/x-protobuf');
    expect(request?.headers['content-encoding']).toBe('gzip');
    expect(request?.resourceAttributes['service.name']).toBe('processor-test');
    expect(request?.resourceAttributes['service.instance.id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(request?.scopeName).toBe('factory-telemetry/export');
    expect(request?.metrics.map((metric) => metric.name)).toEqual([
      'factory.sdk.spans.exported',
      'factory.sdk.spans.dropped',
      'factory.sdk.spans.failed',
    ]);
    for (const metric of request?.metrics ?? []) {
      expect(metric.unit).toBe('{span}');
      expect(metric.description).toMatch(/^Spans .+\.$/);
      expect(metric.isMonotonic).toBe(true);
      // AGGREGATION_TEMPORALITY_CUMULATIVE
      expect(metric.aggregationTemporality).toBe(2);
      for (const point of metric.dataPoints) {
        expect(point.startTimeUnixNano).toBeGreaterThanOrEqual(createdAt);
        expect(point.startTimeUnixNano).toBe(receiver.metricsRequests[0]?.metrics[0]?.dataPoints[0]?.startTimeUnixNano);
        expect(point.timeUnixNano).toBeGreaterThanOrEqual(point.startTimeUnixNano);
      }
    }
    expect(metricValue(request, 'factory.sdk.spans.exported')).toBe(7);
    expect(metricValue(request, 'factory.sdk.spans.dropped')).toBe(0);
    expect(metricValue(request, 'factory.sdk.spans.failed', { 'error.type': '400' })).toBe(3);
    expect(processor.stats()).toEqual(statsOf({ accepted: 10, exported: 7, failed: { '400': 3 } }));
  });

  it('sends the counts every metricsIntervalMillis', async () => {
    const receiver = await receiverAnswering();
    const { recordSpans } = createProcessor({ target: targetFor(receiver), metricsIntervalMillis: 300 });

    recordSpans(4);
    await new Promise((resolve) => setTimeout(resolve, 1_000));

    expect(receiver.metricsRequests.length).toBeGreaterThanOrEqual(2);
    expect(metricValue(receiver.metricsRequests.at(-1), 'factory.sdk.spans.exported')).toBe(4);
  });

  it('takes service.name from the span resource', async () => {
    const receiver = await receiverAnswering();
    const errors: string[] = [];
    const processor = new ExitSafeSpanProcessor({
      target: targetFor(receiver),
      metricsTarget: targetFor(receiver, { url: receiver.metricsUrl }),
      onError: (error) => errors.push(error.message),
    });
    const provider = new TracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'from-resource' }),
      spanProcessors: [processor],
    });
    cleanups.push(() => provider.shutdown());

    provider.getTracer('processor-test').startSpan('span').end();
    await processor.forceFlush();

    expect(receiver.metricsRequests[0]?.resourceAttributes['service.name']).toBe('from-resource');
    expect(errors).toEqual([]);
  });

  it('reports a metrics failure once and still delivers spans', async () => {
    const receiver = await receiverAnswering(acceptAll, { metricsResponder: () => ({ status: 404, body: 'no metrics pipeline' }) });
    const { processor, errors, recordSpans } = createProcessor({ target: targetFor(receiver) });

    recordSpans(2);
    await processor.forceFlush();
    recordSpans(2);
    await processor.forceFlush();

    expect(receiver.spanIds()).toHaveLength(4);
    expect(receiver.metricsRequests).toHaveLength(2);
    expect(processor.stats()).toEqual(statsOf({ accepted: 4, exported: 4 }));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(`sending the self-metrics to ${receiver.metricsUrl} failed: HTTP 404; collector response: no metrics pipeline`);
  });

  it('sends nothing with selfMetrics false', async () => {
    const receiver = await receiverAnswering();
    const { processor, recordSpans } = createProcessor({ target: targetFor(receiver), selfMetrics: false });

    recordSpans(2);
    await processor.forceFlush();
    await processor.shutdown();

    expect(receiver.spanIds()).toHaveLength(2);
    expect(receiver.metricsRequests).toHaveLength(0);
  });

  it('sends no metrics before the first span', async () => {
    const receiver = await receiverAnswering();
    const { processor } = createProcessor({ target: targetFor(receiver), metricsIntervalMillis: 100 });

    await new Promise((resolve) => setTimeout(resolve, 400));
    await processor.forceFlush();

    expect(receiver.metricsRequests).toHaveLength(0);
  });

  it('turns self-metrics off for an invalid metricsTarget', async () => {
    const receiver = await receiverAnswering();
    const { processor, errors, recordSpans } = createProcessor({
      target: targetFor(receiver),
      metricsTarget: targetFor(receiver, { url: 'ftp://127.0.0.1/v1/metrics' }),
    });

    recordSpans(1);
    await processor.forceFlush();

    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('self-metrics are off: invalid metricsTarget.url "ftp://127.0.0.1/v1/metrics"');
    expect(receiver.spanIds()).toHaveLength(1);
    expect(receiver.metricsRequests).toHaveLength(0);
  });
});

describe('ExitSafeSpanProcessor lifecycle', () => {
  it('removes its listeners on shutdown', async () => {
    const receiver = await receiverAnswering();
    const before = ['exit', 'SIGTERM', 'SIGINT'].map((event) => process.listenerCount(event));

    const { processor } = createProcessor({ target: targetFor(receiver) });
    expect(['exit', 'SIGTERM', 'SIGINT'].map((event) => process.listenerCount(event))).toEqual(before.map((count) => count + 1));

    await processor.shutdown();
    expect(['exit', 'SIGTERM', 'SIGINT'].map((event) => process.listenerCount(event))).toEqual(before);
  });

  it('flushes on shutdown and ignores later spans', async () => {
    const receiver = await receiverAnswering();
    const { processor, errors, recordSpans } = createProcessor({ target: targetFor(receiver), scheduledDelayMillis: 60_000 });

    recordSpans(3);
    await processor.shutdown();
    expect(receiver.spanIds()).toHaveLength(3);

    expect(() => recordSpans(2, 'late')).not.toThrow();
    expect(processor.stats()).toEqual(statsOf({ accepted: 3, exported: 3 }));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('after shutdown()');
  });

  it('replaces invalid options and reports them', async () => {
    const receiver = await receiverAnswering();
    const { processor, errors, recordSpans } = createProcessor({
      target: targetFor(receiver),
      maxQueueSize: -1,
      scheduledDelayMillis: Number.NaN,
    });

    expect(errors).toHaveLength(2);
    expect(errors[0]).toContain('invalid scheduledDelayMillis NaN');
    expect(errors[1]).toContain('invalid maxQueueSize -1');
    recordSpans(2);
    await processor.forceFlush();
    expect(processor.stats().exported).toBe(2);
  });

  it('rejects a target url that is not http', () => {
    expect(
      () =>
        new ExitSafeSpanProcessor({
          target: { url: 'ftp://127.0.0.1/v1/traces', headers: {}, protocol: 'http/json', timeoutMillis: 1_000, compression: 'none' },
        }),
    ).toThrow(/invalid OTLP target url "ftp:\/\/127\.0\.0\.1\/v1\/traces"/);
  });
});
