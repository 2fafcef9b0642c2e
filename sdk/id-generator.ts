import type { IdGenerator } from '@opentelemetry/sdk-trace';
import { RandomIdGenerator } from '@opentelemetry/sdk-trace';

/**
 * An id generator that hands out a run's derived ids for its root span and random
 * ids for every other span.
 *
 * The OpenTelemetry API offers no way to choose a new span's ids, so the SDK
 * stages the derived ids here right before it starts a run's root span, and the
 * tracer takes them in the same synchronous `startSpan` call. Each staged id is
 * used once. Install it in your own TracerProvider (`idGenerator: new
 * FactoryIdGenerator()`) when factory-telemetry records through your provider;
 * without it the root span gets a random id and the SDK reports that.
 */
export class FactoryIdGenerator implements IdGenerator {
  private readonly fallback: IdGenerator;
  private stagedTraceId: string | undefined;
  private stagedSpanId: string | undefined;

  /** @param fallback generator for all ids not staged; defaults to random ids */
  constructor(fallback: IdGenerator = new RandomIdGenerator()) {
    this.fallback = fallback;
    activeGenerators.add(new WeakRef(this));
  }

  generateTraceId(): string {
    const staged = this.stagedTraceId;
    this.stagedTraceId = undefined;
    return staged ?? this.fallback.generateTraceId();
  }

  generateSpanId(): string {
    const staged = this.stagedSpanId;
    this.stagedSpanId = undefined;
    return staged ?? this.fallback.generateSpanId();
  }

  /** Stages ids for the next span this generator names; `clear` undoes it. */
  stage(traceId: string, spanId: string): void {
    this.stagedTraceId = traceId;
    this.stagedSpanId = spanId;
  }

  clear(): void {
    this.stagedTraceId = undefined;
    this.stagedSpanId = undefined;
  }
}

// Every generator created in this process, held weakly so that a discarded
// provider's generator can be collected. The SDK cannot see which generator a
// host's provider uses, so it stages the ids in all of them around one startSpan
// call and clears them right after. Single-threaded JavaScript makes that safe.
const activeGenerators = new Set<WeakRef<FactoryIdGenerator>>();

/** Runs `start` with the ids staged in every FactoryIdGenerator of this process. */
export function withStagedIds<T>(traceId: string, spanId: string, start: () => T): T {
  const generators: FactoryIdGenerator[] = [];
  for (const reference of activeGenerators) {
    const generator = reference.deref();
    if (generator === undefined) activeGenerators.delete(reference);
    else generators.push(generator);
  }

  for (const generator of generators) generator.stage(traceId, spanId);
  try {
    return start();
  } finally {
    for (const generator of generators) generator.clear();
  }
}
