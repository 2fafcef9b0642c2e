/**
 * ExitSafeSpanProcessor when the export worker thread cannot start or crashes. The
 * Worker class of node:worker_threads is replaced by a stand-in that either throws in
 * its constructor or emits 'error' when it receives a batch, as a crashed thread does.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';

import { TracerProvider } from '@opentelemetry/sdk-trace';

const workerBehaviour = vi.hoisted(() => ({ mode: 'throw' as 'throw' | 'crash' }));

vi.mock('node:worker_threads', async (importOriginal) => {
  const original = await importOriginal<typeof import('node:worker_threads')>();
  // vi.mock runs before the file's imports, so the factory imports what it needs itself.
  const { EventEmitter } = await import('node:events');

  class FailingWorker extends EventEmitter {
    constructor() {
      super();
      if (workerBehaviour.mode === 'throw') {
        throw new Error('worker threads are disabled');
      }
    }

    postMessage(message: { type: string }): void {
      if (message.type === 'batch') {
        setImmediate(() => {
          this.emit('error', new Error('worker ran out of memory'));
          this.emit('exit', 1);
        });
      }
    }

    unref(): void {}

    terminate(): Promise<number> {
      return Promise.resolve(0);
    }
  }

  return { ...original, Worker: FailingWorker };
});

const { ExitSafeSpanProcessor } = await import('../../../sdk/export/index.js');

const providers: TracerProvider[] = [];

afterEach(async () => {
  for (const provider of providers.splice(0)) {
    await provider.shutdown();
  }
});

function createProcessor() {
  const errors: string[] = [];
  const processor = new ExitSafeSpanProcessor({
    // Never contacted: the stand-in Worker sends nothing.
    target: { url: 'http://127.0.0.1:9/v1/traces', headers: {}, protocol: 'http/json', timeoutMillis: 1_000, compression: 'none' },
    // Self-metrics would report the same worker failure a second time.
    selfMetrics: false,
    onError: (error) => errors.push(error.message),
  });
  const provider = new TracerProvider({ spanProcessors: [processor] });
  providers.push(provider);
  const tracer = provider.getTracer('worker-failure-test');
  const recordSpans = (count: number): void => {
    for (let index = 0; index < count; index += 1) {
      tracer.startSpan(`span-${index}`).end();
    }
  };
  return { processor, errors, recordSpans };
}

describe('ExitSafeSpanProcessor worker failures', () => {
  it('counts spans as failed when the worker cannot start', async () => {
    workerBehaviour.mode = 'throw';
    const { processor, errors, recordSpans } = createProcessor();

    expect(() => recordSpans(3)).not.toThrow();
    await processor.forceFlush();

    expect(processor.stats()).toEqual({ accepted: 3, exported: 0, dropped: 0, failed: 3, failedByErrorType: { _OTHER: 3 }, pending: 0 });
    expect(errors).toHaveLength(2);
    expect(errors[0]).toContain('starting the OTLP export worker thread failed: worker threads are disabled');
    expect(errors[1]).toContain('could not export 3 spans');
  });

  it('counts spans as failed when the worker crashes', async () => {
    workerBehaviour.mode = 'crash';
    const { processor, errors, recordSpans } = createProcessor();

    recordSpans(4);
    await processor.forceFlush();

    expect(processor.stats()).toEqual({ accepted: 4, exported: 0, dropped: 0, failed: 4, failedByErrorType: { _OTHER: 4 }, pending: 0 });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('worker ran out of memory');
    expect(errors[0]).toContain('4 spans in 1 batch');
  });
});
