/**
 * ExitSafeSpanProcessor through a 30 s collector outage: the receiver's port is closed
 * while spans keep ending at a steady rate, then the receiver listens again on the same
 * port. Every span must arrive exactly once, without drops or failures. This file takes
 * about 35 s, so it runs apart from processor.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';

import { TracerProvider } from '@opentelemetry/sdk-trace';

import { ExitSafeSpanProcessor } from '../../../sdk/export/index.js';
import { metricValue, type OtlpReceiver, startOtlpReceiver } from './otlp-receiver.js';

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) {
    await cleanup();
  }
});

const OUTAGE_MILLIS = 30_000;
const SPAN_INTERVAL_MILLIS = 50;

/** Records one span every SPAN_INTERVAL_MILLIS until `stop()` is called, which returns the span count. */
function recordSteadily(provider: TracerProvider): { stop: () => number } {
  const tracer = provider.getTracer('outage-test');
  let count = 0;
  const timer = setInterval(() => {
    tracer.startSpan(`span-${count}`, { attributes: { 'factory.run.id': `run-${Math.floor(count / 100)}` } }).end();
    count += 1;
  }, SPAN_INTERVAL_MILLIS);
  return {
    stop: () => {
      clearInterval(timer);
      return count;
    },
  };
}

describe('ExitSafeSpanProcessor collector outage', () => {
  it('delivers every span after 30 s down', { timeout: 90_000 }, async () => {
    const receiver: OtlpReceiver = await startOtlpReceiver();
    cleanups.push(() => receiver.close());
    const errors: string[] = [];
    const processor = new ExitSafeSpanProcessor({
      target: { url: receiver.url, headers: {}, protocol: 'http/protobuf', timeoutMillis: 2_000, compression: 'none' },
      metricsTarget: { url: receiver.metricsUrl, headers: {}, protocol: 'http/protobuf', timeoutMillis: 2_000, compression: 'none' },
      serviceName: 'outage-test',
      onError: (error) => errors.push(error.message),
    });
    const provider = new TracerProvider({ spanProcessors: [processor] });
    cleanups.push(() => provider.shutdown());

    const recorder = recordSteadily(provider);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await receiver.stop();
    const deliveredBeforeOutage = receiver.deliveredSpanIds().length;
    await new Promise((resolve) => setTimeout(resolve, OUTAGE_MILLIS));
    expect(processor.stats().pending).toBeGreaterThan(OUTAGE_MILLIS / SPAN_INTERVAL_MILLIS / 2);

    await receiver.restart();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const recorded = recorder.stop();
    await processor.forceFlush();

    const delivered = receiver.deliveredSpanIds();
    expect(deliveredBeforeOutage).toBeGreaterThan(0);
    expect(recorded).toBeGreaterThan(OUTAGE_MILLIS / SPAN_INTERVAL_MILLIS / 2);
    expect(delivered).toHaveLength(recorded);
    expect(new Set(delivered).size).toBe(recorded);
    expect(receiver.spanIds()).toHaveLength(recorded);
    expect(processor.stats()).toEqual({
      accepted: recorded,
      exported: recorded,
      dropped: 0,
      failed: 0,
      failedByErrorType: {},
      pending: 0,
    });
    expect(metricValue(receiver.metricsRequests.at(-1), 'factory.sdk.spans.exported')).toBe(recorded);
    // A self-metrics request may fail during the outage and be reported, but no span may.
    expect(errors.filter((message) => !message.startsWith('sending the self-metrics'))).toEqual([]);
  });
});
