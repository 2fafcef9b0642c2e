import type { Context } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AlwaysOnSampler, ParentBasedSampler, TracerProvider, type ReadableSpan, type Span, type SpanProcessor } from '@opentelemetry/sdk-trace';
import {
  ATTR_FACTORY_AUTHOR_KIND,
  ExitSafeSpanProcessor,
  FactoryIdGenerator,
  FactoryTelemetry,
  type AuthorKind,
  type ExportStats,
  type OtlpHttpTarget,
  type RunIdentity,
} from '../sdk/index.js';
import type { Recording } from './recording.js';

/** Export settings of the recorder. */
export interface RecorderOptions {
  target: OtlpHttpTarget;
  metricsTarget?: OtlpHttpTarget;
  serviceName: string;
  /** Receives the SDK's problem reports. */
  onProblem: (message: string) => void;
  /** How long a batch is retried while the collector is unreachable, in ms. */
  maxRetryDurationMillis: number;
}

/**
 * Records outbox entries through the public SDK, on a tracer provider of its
 * own: the SDK's exit-safe exporter, the run id derived trace ids, and a span
 * processor that adds `factory.author.kind` to every span, since the Run methods
 * take no extra attributes.
 */
export class Recorder {
  readonly telemetry: FactoryTelemetry;
  private readonly provider: TracerProvider;
  private readonly exporter: ExitSafeSpanProcessor;
  private readonly authorKind = new AuthorKindProcessor();

  constructor(options: RecorderOptions) {
    this.exporter = new ExitSafeSpanProcessor({
      target: options.target,
      metricsTarget: options.metricsTarget,
      serviceName: options.serviceName,
      maxRetryDurationMillis: options.maxRetryDurationMillis,
      onError: (error) => options.onProblem(error.message),
    });
    this.provider = new TracerProvider({
      resource: resourceFromAttributes({ 'service.name': options.serviceName }),
      idGenerator: new FactoryIdGenerator(),
      sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }),
      spanProcessors: [this.authorKind, this.exporter],
    });
    this.telemetry = new FactoryTelemetry({ tracerProvider: this.provider, onError: (error) => options.onProblem(error.message) });
  }

  /**
 * Makes the SDK calls of `recording` and returns the number of spans they ended.
 * The SDK runs without strict mode, so it reports invalid input instead of throwing.
 */
  record(recording: Recording): number {
    const before = this.authorKind.ended;
    this.authorKind.current = recording.authorKind;
    try {
      this.call(recording);
    } finally {
      this.authorKind.current = undefined;
    }
    return this.authorKind.ended - before;
  }

  /** Export counts of the SDK's exporter. */
  exportStats(): ExportStats {
    return this.exporter.stats();
  }

  /**
   * Exports everything recorded; resolves when each span is exported, dropped or
   * failed. Never rejects: the tracer provider rejects (with an array of errors)
   * when a processor times out, and the caller judges delivery by the export
   * counts, so that rejection carries nothing the counts do not.
   */
  async flush(): Promise<void> {
    try {
      await this.provider.forceFlush();
    } catch {
      // The export counts show what was not delivered.
    }
  }

  async shutdown(): Promise<void> {
    await this.provider.shutdown();
  }

  private call(recording: Recording): void {
    const telemetry = this.telemetry;
    if (recording.kind === 'run') {
      const identity = recording.identity;
      const run = telemetry.startRun({
        runId: recording.runId,
        repository: identity.repository,
        changeId: identity.changeId,
        model: identity.model ?? '',
        provider: identity.provider,
        // Without a complexity the SDK reports the call and records no root span.
        complexity: identity.complexity as RunIdentity['complexity'],
        startTime: recording.startTime,
      });
      run.end(recording.endTime);
      return;
    }

    const run = telemetry.resumeRun(recording.runId, recording.identity);
    switch (recording.kind) {
      case 'verification':
        run.recordVerification({
          attempt: recording.attempt,
          result: recording.result,
          pipelineName: recording.pipelineName,
          startTime: recording.startTime ?? undefined,
          endTime: recording.endTime,
        });
        return;
      case 'review':
        run.recordReview({
          openedAt: recording.openedAt,
          closedAt: recording.closedAt,
          state: recording.state,
          humanModified: recording.humanModified,
          rounds: recording.rounds,
          approvals: recording.approvals,
        });
        return;
      case 'deployment':
        run.recordDeployment({
          commitAt: recording.commitAt,
          deployedAt: recording.deployedAt,
          environment: recording.environment,
          revision: recording.revision,
        });
        return;
      case 'outcome':
        run.recordOutcome({
          status: recording.status,
          at: recording.at,
          attempts: recording.attempts,
          firstAttemptPassed: recording.firstAttemptPassed,
          humanModified: recording.humanModified,
        });
        return;
    }
  }
}

// Spans start synchronously inside Recorder.record, so one current value suffices.
class AuthorKindProcessor implements SpanProcessor {
  current: AuthorKind | undefined;
  ended = 0;

  onStart(span: Span, _context: Context): void {
    if (this.current !== undefined) span.setAttribute(ATTR_FACTORY_AUTHOR_KIND, this.current);
  }

  onEnd(_span: ReadableSpan): void {
    this.ended += 1;
  }

  async forceFlush(): Promise<void> {}

  async shutdown(): Promise<void> {}
}
