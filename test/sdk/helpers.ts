import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type Sampler } from '@opentelemetry/sdk-trace';
import { FactoryIdGenerator } from '../../sdk/id-generator.js';
import { FactoryTelemetry, type FactoryTelemetryOptions } from '../../sdk/telemetry.js';
import type { FactoryTelemetryError } from '../../sdk/report.js';

/** Creates a FactoryTelemetry that records into memory and keeps every reported error. */
export function memoryTelemetry(options: { sampler?: Sampler; idGenerator?: boolean } & FactoryTelemetryOptions = {}) {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({
    idGenerator: options.idGenerator === false ? undefined : new FactoryIdGenerator(),
    sampler: options.sampler,
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
  });
  const errors: FactoryTelemetryError[] = [];
  const telemetry = new FactoryTelemetry({
    onError: (error) => errors.push(error),
    ...options,
    tracerProvider: provider,
  });
  const spans = () => exporter.getFinishedSpans();
  const span = (name: string) => {
    const found = spans().filter((s) => s.name === name);
    if (found.length !== 1) throw new Error(`expected one ${name} span, found ${found.length}`);
    return found[0]!;
  };
  return { telemetry, exporter, provider, errors, spans, span };
}

export const identity = {
  runId: 'run-42',
  repository: 'acme/payments',
  changeId: 1234,
  model: 'frontier-1',
  provider: 'anthropic',
  complexity: 'standard',
  team: 'checkout',
} as const;
