/**
 * ExitSafeSpanProcessor inside the test process: delivery, retries, failures, partial
 * success and queue overflow against a receiver on 127.0.0.1. Exit behaviour needs a
 * process that really exits and is tested in exit.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';

import { type Sampler, SamplingDecision, TracerProvider } from '@opentelemetry/sdk-trace';

import { ExitSafeSpanProcessor, type ExitSafeSpanProcessorOptions, type OtlpHttpTarget } from '../../../sdk/export/index.js';
import {
  acceptAll,
  encodeProtobufPartialSuccess,
  type OtlpReceiver,
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

async function receiverAnswering(responder: Responder = acceptAll): Promise<OtlpReceiver> {
  const receiver = await startOtlpReceiver(responder);
  cleanups.push(() => receiver.close());
  return receiver;
}

/** Creates a processor with its own TracerProvider and collects everything passed to onError. */
function createProcessor(options: Omit<ExitSafeSpanProcessorOptions, 'onError'>, sampler?: Sampler) {
  const errors: string[] = [];
  const processor = new ExitSafeSpanProcessor({ ...options, onError: (error) => errors.push(error.message) });
  const provider = new TracerProvider({ spanProcessors: [processor], ...(sampler ? { sampler } : {}) });
  cleanups.push(() => provider.shutdown());
  const tracer = provider.getTracer('processor-test');
  const recordSpans = (count: number, prefix = 'span'): void => {
    for (let index = 0; index < count; index += 1) {
      tracer.startSpan(`${prefix}-${index}`).end();
    }
  };
  return { processor, provider, errors, recordSpans };
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
    expect(processor.stats()).toEqual({ accepted: 25, exported: 25, dropped: 0, failed: 0, pending: 0 });
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
    expect(processor.stats()).toEqual({ accepted: 35, exported: 35, dropped: 0, failed: 0, pending: 0 });
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
    expect(processor.stats()).toEqual({ accepted: 5, exported: 5, dropped: 0, failed: 0, pending: 0 });
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
    expect(processor.stats()).toEqual({ accepted: 2, exported: 2, dropped: 0, failed: 0, pending: 0 });
    expect(errors).toEqual([]);
  });

  it('retries a refused connection until it fails', { timeout: 30_000 }, async () => {
    const receiver = await startOtlpReceiver();
    const url = receiver.url;
    await receiver.close();
    const { processor, errors, recordSpans } = createProcessor({ target: { ...targetFor(receiver), url } });

    recordSpans(3);
    await processor.forceFlush();

    expect(processor.stats()).toEqual({ accepted: 3, exported: 0, dropped: 0, failed: 3, pending: 0 });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/ECONNREFUSED/);
    expect(errors[0]).toMatch(/gave up after 5 attempts/);
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
    expect(processor.stats()).toEqual({ accepted: 4, exported: 0, dropped: 0, failed: 4, pending: 0 });
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

  it('counts JSON partial success rejections as failed', async () => {
    const receiver = await receiverAnswering(() => ({
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ partialSuccess: { rejectedSpans: '2', errorMessage: 'attribute too long' } }),
    }));
    const { processor, errors, recordSpans } = createProcessor({ target: targetFor(receiver) });

    recordSpans(6);
    await processor.forceFlush();

    expect(processor.stats()).toEqual({ accepted: 6, exported: 4, dropped: 0, failed: 2, pending: 0 });
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

    expect(processor.stats()).toEqual({ accepted: 3, exported: 2, dropped: 0, failed: 1, pending: 0 });
    expect(errors[0]).toContain('rejected 1 of 3 spans');
    expect(errors[0]).toContain('invalid trace id');
  });
});

describe('ExitSafeSpanProcessor queue overflow', () => {
  it('counts drops and reports once per burst', async () => {
    const receiver = await receiverAnswering();
    const { processor, errors, recordSpans } = createProcessor({
      target: targetFor(receiver),
      maxQueueSize: 5,
      scheduledDelayMillis: 60_000,
    });

    recordSpans(12, 'first');
    expect(processor.stats()).toEqual({ accepted: 12, exported: 0, dropped: 7, failed: 0, pending: 5 });
    await Promise.resolve();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('7 dropped so far');

    recordSpans(1, 'same-burst');
    await Promise.resolve();
    expect(processor.stats().dropped).toBe(8);
    expect(errors).toHaveLength(1);

    await processor.forceFlush();
    expect(processor.stats()).toEqual({ accepted: 13, exported: 5, dropped: 8, failed: 0, pending: 0 });

    recordSpans(7, 'second');
    await Promise.resolve();
    expect(processor.stats().dropped).toBe(10);
    expect(errors).toHaveLength(2);
    expect(errors[1]).toContain('10 dropped so far');
    expect(receiver.spanIds()).toHaveLength(5);
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
    expect(processor.stats()).toEqual({ accepted: 3, exported: 3, dropped: 0, failed: 0, pending: 0 });
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
