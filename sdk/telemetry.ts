import {
  ProxyTracerProvider,
  trace,
  type Span,
  type Tracer,
  type TracerProvider as ApiTracerProvider,
} from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AlwaysOnSampler, ParentBasedSampler, TracerProvider } from '@opentelemetry/sdk-trace';
import {
  ExitSafeSpanProcessor,
  otlpHttpTargetFromEnv,
  type ExitSafeSpanProcessorOptions,
  type ExportStats,
  type OtlpHttpTarget,
} from './export/index.js';
import { FactoryIdGenerator } from './id-generator.js';
import { deriveRunIds, newRunId } from './ids.js';
import { Reporter, type ErrorHandler, type ProblemCounts } from './report.js';
import { Run } from './run.js';
import { resumedIdentitySchema, runIdSchema, runIdentitySchema, type ResumedIdentity, type RunIdentity } from './schema.js';
import * as sc from './semconv.js';
import { validate } from './validate.js';

const TRACER_NAME = 'factory-telemetry';
const TRACER_VERSION = '0.1.0';

export interface FactoryTelemetryOptions {
  /**
   * `service.name` of the SDK's own provider. Default: OTEL_SERVICE_NAME, else
   * `factory-telemetry`. Ignored when the SDK records through your provider.
   */
  serviceName?: string;
  /** Throw a FactoryTelemetryError on invalid input instead of reporting it. Default: false. For tests. */
  strict?: boolean;
  /** Receives every problem report. Default: OpenTelemetry's `diag.error`. */
  onError?: ErrorHandler;
  /** Record through this provider. Default: the global provider if one is registered, else the SDK's own. */
  tracerProvider?: ApiTracerProvider;
  /** Use the global provider when one is registered. Default: true. */
  useGlobalTracerProvider?: boolean;
  /** Options of the SDK's own OTLP/HTTP export. Default target: the OTEL_EXPORTER_OTLP_* variables. */
  export?: Partial<Omit<ExitSafeSpanProcessorOptions, 'target'>> & { target?: OtlpHttpTarget };
  /** Environment to read OTEL_* variables from. Default: process.env. */
  env?: NodeJS.ProcessEnv;
}

export interface TelemetryStats {
  problems: ProblemCounts;
  /** Present when the SDK exports through its own provider. */
  export?: ExportStats;
  /** Spans that the tracer provider did not record (its sampler dropped them). */
  unrecordedSpans: number;
}

/**
 * The entry point of the SDK: records AI coding runs as traces.
 *
 * Inside a program that registered an OpenTelemetry TracerProvider, it records
 * through that provider (add FactoryIdGenerator to it so that runs can span
 * processes). Otherwise it builds its own provider that exports OTLP/HTTP as the
 * standard OTEL_EXPORTER_OTLP_* variables say, samples every factory span, and
 * delivers every span before the process exits, however it exits.
 */
export class FactoryTelemetry {
  private readonly reporter: Reporter;
  private readonly tracer: Tracer;
  private readonly ownProvider: TracerProvider | undefined;
  private readonly processor: ExitSafeSpanProcessor | undefined;
  private unrecordedSpans = 0;
  private unrecordedReported = false;

  constructor(options: FactoryTelemetryOptions = {}) {
    this.reporter = new Reporter(options.strict ?? false, options.onError);
    const env = options.env ?? process.env;

    const hostProvider = options.tracerProvider ?? (options.useGlobalTracerProvider === false ? undefined : registeredGlobalProvider());
    if (hostProvider !== undefined) {
      this.tracer = hostProvider.getTracer(TRACER_NAME, TRACER_VERSION);
      return;
    }

    const resolved = options.export?.target === undefined ? otlpHttpTargetFromEnv(env) : { target: options.export.target, problems: [] };
    for (const problem of resolved.problems) this.reporter.warn(problem);
    try {
      this.processor = new ExitSafeSpanProcessor({
        ...options.export,
        target: resolved.target,
        onError: (error) => this.reporter.warn(error.message),
      });
    } catch (error) {
      // Only an unusable target URL gets here; the SDK then records nothing.
      this.reporter.warn(`cannot export spans: ${(error as Error).message}. Set export.target.url to the collector's OTLP/HTTP traces URL.`);
      this.tracer = NOOP_PROVIDER.getTracer(TRACER_NAME);
      return;
    }
    this.ownProvider = new TracerProvider({
      resource: resourceFromAttributes({ 'service.name': options.serviceName ?? env.OTEL_SERVICE_NAME ?? TRACER_NAME }),
      idGenerator: new FactoryIdGenerator(),
      // Every factory span feeds a counter, so none may be sampled away.
      sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }),
      spanProcessors: [this.processor],
    });
    this.tracer = this.ownProvider.getTracer(TRACER_NAME, TRACER_VERSION);
  }

  /**
   * Starts a run in this process and records its root span, stage A. Without a
   * `runId` the run gets a new UUID; write `run.runId` where later processes find
   * it (the pull request, the CI job). Invalid identity is reported, and the
   * returned run then records nothing.
   */
  startRun(identity: RunIdentity): Run {
    const value = validate(runIdentitySchema, identity, 'startRun', this.reporter);
    if (value === undefined) return this.inertRun(identity?.runId);

    const runId = value.runId ?? newRunId();
    return new Run(this.services(), runId, deriveRunIds(runId), identityAttributes(value), {
      start: true,
      startTime: value.startTime,
    });
  }

  /**
   * Adds to a run that another process started, knowing only its id. Pass the
   * identity when known, so that these spans carry the model and complexity
   * labels the metrics are sliced by.
   */
  resumeRun(runId: string, identity: ResumedIdentity = {}): Run {
    const id = validate(runIdSchema, runId, 'resumeRun', this.reporter);
    if (id === undefined) return this.inertRun(undefined);

    const value = validate(resumedIdentitySchema, identity, 'resumeRun', this.reporter) ?? {};
    return new Run(this.services(), id, deriveRunIds(id), identityAttributes(value), { start: false });
  }

  /** Counts of what was reported, dropped and exported so far. */
  stats(): TelemetryStats {
    return {
      problems: { ...this.reporter.counts },
      export: this.processor?.stats(),
      unrecordedSpans: this.unrecordedSpans,
    };
  }

  /** Exports everything recorded so far. Resolves, never rejects. */
  async forceFlush(): Promise<void> {
    try {
      await this.ownProvider?.forceFlush();
    } catch (error) {
      this.reporter.warn(`forceFlush failed: ${String(error)}`);
    }
  }

  /** Flushes and stops the SDK's own provider. Resolves, never rejects. */
  async shutdown(): Promise<void> {
    try {
      await this.ownProvider?.shutdown();
    } catch (error) {
      this.reporter.warn(`shutdown failed: ${String(error)}`);
    }
  }

  private services() {
    return {
      tracer: this.tracer,
      reporter: this.reporter,
      checkRecording: (span: Span, name: string, runId: string) => this.checkRecording(span, name, runId),
    };
  }

  private checkRecording(span: Span, name: string, runId: string): void {
    if (span.isRecording()) return;
    this.unrecordedSpans += 1;
    if (this.unrecordedReported) return;
    this.unrecordedReported = true;
    this.reporter.warn(
      `the tracer provider did not record span ${name} of run ${runId}, so the run's metrics will be wrong. ` +
        'Use a parent-based sampler that records sampled remote parents; stats().unrecordedSpans counts every such span.',
    );
  }

  // A run that records nothing, returned where the input was too broken to record.
  private inertRun(runId: unknown): Run {
    const id = typeof runId === 'string' && runId.length > 0 ? runId : 'invalid';
    const tracer = NOOP_PROVIDER.getTracer(TRACER_NAME);
    return new Run({ tracer, reporter: this.reporter, checkRecording: () => undefined }, id, deriveRunIds(id), {}, { start: false });
  }
}

// A proxy provider with no delegate hands out no-op tracers.
const NOOP_PROVIDER = new ProxyTracerProvider();

function registeredGlobalProvider(): ApiTracerProvider | undefined {
  const global = trace.getTracerProvider();
  if (global instanceof ProxyTracerProvider) {
    return global.getDelegateTracer(TRACER_NAME) === undefined ? undefined : global;
  }
  return global;
}

function identityAttributes(identity: {
  repository?: string;
  changeId?: string;
  model?: string;
  provider?: string;
  complexity?: sc.TaskComplexity;
  team?: string;
  experiment?: { name: string; arm: string };
}) {
  const attributes: Record<string, string> = {};
  const set = (key: string, value: string | undefined) => {
    if (value !== undefined) attributes[key] = value;
  };
  set(sc.ATTR_VCS_REPOSITORY_NAME, identity.repository);
  set(sc.ATTR_VCS_CHANGE_ID, identity.changeId);
  set(sc.ATTR_GEN_AI_REQUEST_MODEL, identity.model);
  set(sc.ATTR_GEN_AI_PROVIDER_NAME, identity.provider);
  set(sc.ATTR_FACTORY_TASK_COMPLEXITY, identity.complexity);
  set(sc.ATTR_FACTORY_TEAM, identity.team);
  set(sc.ATTR_FACTORY_EXPERIMENT_NAME, identity.experiment?.name);
  set(sc.ATTR_FACTORY_EXPERIMENT_ARM, identity.experiment?.arm);
  return attributes;
}
