import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace';

/**
 * A span processor that does the least a processor can: it counts ended spans,
 * and stores them only while `stored` is an array. It starts no timer and makes
 * no promise per span, unlike SimpleSpanProcessor with InMemorySpanExporter
 * (whose export callback runs in a setTimeout).
 */
export class CountingSpanProcessor implements SpanProcessor {
  /** Spans ended since the processor was created. */
  ended = 0;
  /** Ended spans, while this is an array; the benchmarks empty it themselves. */
  stored: ReadableSpan[] | undefined;

  onStart(): void {}

  onEnd(span: ReadableSpan): void {
    this.ended += 1;
    this.stored?.push(span);
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
