import {
  ProxyTracerProvider,
  SpanStatusCode,
  trace,
  type Span,
  type Tracer,
  type TracerProvider as ApiTracerProvider,
} from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AlwaysOnSampler, ParentBasedSampler, TracerProvider, type SpanProcessor } from '@opentelemetry/sdk-trace';
import {
  ExitSafeSpanProcessor,
  FileSpanProcessor,
  fileSinkPath,
  otlpEndpointConfigured,
  otlpHttpMetricsTargetFromEnv,
  otlpHttpTargetFromEnv,
  type ExitSafeSpanProcessorOptions,
  type ExportStats,
  type FileSinkOptions,
  type OtlpHttpTarget,
} from './export/index.js';
import { FactoryIdGenerator } from './id-generator.js';
import { deriveRunIds, newRunId } from './ids.js';
import { Reporter, type ErrorHandler, type ProblemCounts } from './report.js';
import { attributeValueLengthLimitFromEnv, flattenAttributes } from './attributes.js';
import { Run, type RunServices } from './run.js';
import { resumedIdentitySchema, runIdSchema, runIdentitySchema, type ResumedIdentity, type RunIdentity } from './schema.js';
import * as sc from './semconv.js';
import { isValid, validate } from './validate.js';

const TRACER_NAME = 'factory-telemetry';
// OpenTelemetry keeps 128 attributes per span by default; this leaves room for
// the run's own attributes, which must never be crowded out.
const MAX_CUSTOM_ATTRIBUTES = 64;
const TRACER_VERSION = '0.1.0';

export interface FactoryTelemetryOptions {
  /**
   * `service.name` of the SDK's own provider. Default: OTEL_SERVICE_NAME, else
   * `factory-telemetry`. Ignored when the SDK records through your provider.
   */
  serviceName?: string;
  /** Throw a FactoryTelemetryError on invalid input instead of reporting it. Default: false. For tests. */
  strict?: boolean;
  /** Receives every problem report. Default: the first 10 are written to stderr, later ones only counted. */
  onError?: ErrorHandler;
  /** Record through this provider. Default: the global provider if one is registered, else the SDK's own. */
  tracerProvider?: ApiTracerProvider;
  /** Use the global provider when one is registered. Default: true. */
  useGlobalTracerProvider?: boolean;
  /** Options of the SDK's own OTLP/HTTP export. Default target: the OTEL_EXPORTER_OTLP_* variables. */
  export?: Partial<Omit<ExitSafeSpanProcessorOptions, 'target'>> & { target?: OtlpHttpTarget };
  /**
   * Also append every span to a local file as OTLP JSON lines, the embedded store
   * that needs no collector. Default: the path in FACTORY_TELEMETRY_FILE, else no
   * file. With a file, spans also go to a collector only when `export.target` or an
   * OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT variable is set.
   * Ignored, and reported, when the SDK records through your provider: add a
   * FileSpanProcessor to it instead.
   */
  file?: FileSinkOptions;
  /** Environment to read OTEL_* variables from. Default: process.env. */
  env?: NodeJS.ProcessEnv;
  /**
   * Record one line of failed CI output (`factory.failure.message`), after
   * redacting secrets from it. Default: false, so no CI output is recorded.
   */
  recordFailureMessages?: boolean;
  /**
   * Maximum length of string attribute values, applied by the SDK on every
   * span. Default: OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT, else
   * OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT, else no limit.
   */
  attributeValueLengthLimit?: number;
}

export interface TelemetryStats {
  problems: ProblemCounts;
  /** Present when the SDK exports through its own provider. */
  export?: ExportStats;
  /** Present when the SDK writes to a file; `exported` counts the spans written. */
  file?: ExportStats;
  /** Spans that the tracer provider did not record (its sampler dropped them). */
  unrecordedSpans: number;
  /** Open spans that the SDK ended at process exit, marked `factory.span.interrupted`. */
  interruptedSpans: number;
}

/**
 * The entry point of the SDK: records AI coding runs as traces.
 *
 * Inside a program that registered an OpenTelemetry TracerProvider, it records
 * through that provider (add FactoryIdGenerator to it so that runs can span
 * processes). Otherwise it builds its own provider that exports OTLP/HTTP to the
 * target of the standard OTEL_EXPORTER_OTLP_* variables, samples every factory span, and
 * delivers every span before the process exits, however it exits.
 */
export class FactoryTelemetry {
  private readonly reporter: Reporter;
  private readonly tracer: Tracer;
  private readonly ownProvider: TracerProvider | undefined;
  private readonly processor: ExitSafeSpanProcessor | undefined;
  private readonly fileProcessor: FileSpanProcessor | undefined;
  private readonly attributeValueLengthLimit: number | undefined;
  private readonly recordFailureMessages: boolean;
  private unrecordedSpans = 0;
  private unrecordedReported = false;
  /** Root, execution and attempt spans not ended yet, ended at exit so that they are not lost. */
  private readonly openSpans = new Set<Span>();
  private interruptedSpans = 0;
  private runServices: RunServices | undefined;

  constructor(input?: FactoryTelemetryOptions) {
    const { options, problem } = readOptions(input);
    this.reporter = new Reporter(options.strict === true, typeof options.onError === 'function' ? options.onError : undefined);
    if (problem !== undefined) this.reporter.warn(problem);
    const env = options.env ?? process.env;
    this.recordFailureMessages = options.recordFailureMessages === true;
    this.attributeValueLengthLimit = attributeLimit(options.attributeValueLengthLimit, env, this.reporter);

    const hostProvider = options.tracerProvider ?? (options.useGlobalTracerProvider === false ? undefined : registeredGlobalProvider());
    const filePath = fileSinkPath(options.file, env);
    if (hostProvider !== undefined) {
      if (filePath !== undefined) this.reporter.warn(`not writing to ${filePath}: the SDK records through your tracer provider; add a FileSpanProcessor to it.`);
      this.tracer = hostProvider.getTracer(TRACER_NAME, TRACER_VERSION);
      return;
    }

    const serviceName = options.serviceName ?? env.OTEL_SERVICE_NAME ?? TRACER_NAME;
    if (filePath !== undefined) {
      try {
        this.fileProcessor = new FileSpanProcessor({
          ...options.file,
          path: filePath,
          onError: (error) => this.reporter.warn(error.message),
          beforeExitFlush: () => this.endOpenSpans(),
        });
      } catch (error) {
        this.reporter.warn(`cannot write spans to a file: ${(error as Error).message}`);
      }
    }
    const otlp = filePath === undefined || options.export?.target !== undefined || otlpEndpointConfigured(env);
    if (!otlp && this.fileProcessor !== undefined) {
      this.ownProvider = newProvider(serviceName, [this.fileProcessor]);
      this.tracer = this.ownProvider.getTracer(TRACER_NAME, TRACER_VERSION);
      return;
    }

    const resolved = options.export?.target === undefined ? otlpHttpTargetFromEnv(env) : { target: options.export.target, problems: [] };
    const metrics = options.export?.metricsTarget === undefined ? otlpHttpMetricsTargetFromEnv(env) : { target: options.export.metricsTarget, problems: [] };
    const metricsProblems = options.export?.selfMetrics === false ? [] : metrics.problems;
    for (const problem of [...resolved.problems, ...metricsProblems]) this.reporter.warn(problem);
    try {
      this.processor = new ExitSafeSpanProcessor({
        ...options.export,
        target: resolved.target,
        metricsTarget: metrics.target,
        serviceName,
        onError: (error) => this.reporter.warn(error.message),
        beforeExitFlush: () => this.endOpenSpans(),
      });
    } catch (error) {
      // Only an unusable target URL gets here; the SDK then records to the file only, if any.
      this.reporter.warn(`cannot export spans: ${(error as Error).message}. Set export.target.url to the collector's OTLP/HTTP traces URL.`);
    }
    const processors = [this.fileProcessor, this.processor].filter((processor) => processor !== undefined);
    if (processors.length === 0) {
      this.tracer = NOOP_PROVIDER.getTracer(TRACER_NAME);
      return;
    }
    this.ownProvider = newProvider(serviceName, processors);
    this.tracer = this.ownProvider.getTracer(TRACER_NAME, TRACER_VERSION);
  }

  /**
   * Starts a run in this process and records its root span, stage A. Without a
   * `runId` the run gets a new UUID; write `run.runId` where later processes find
   * it (the pull request, the CI job). Invalid identity is reported, and the
   * returned run then records nothing.
   */
  startRun(identity: RunIdentity): Run {
    // An invalid run id is not optional data: recording under a new id would
    // split the run from the spans that other processes add under the old one.
    const givenRunId = readRunId(identity);
    if (givenRunId !== undefined && !isValid(runIdSchema, givenRunId)) {
      validate(runIdSchema, givenRunId, 'startRun runId', this.reporter);
      return this.inertRun();
    }
    const value = validate(runIdentitySchema, identity, 'startRun', this.reporter);
    if (value === undefined) return this.inertRun();

    const runId = value.runId ?? newRunId();
    const extra = flattenAttributes(value.attributes ?? {});
    if (extra.skipped.length > 0) {
      this.reporter.droppedFields(
        extra.skipped.length,
        `startRun: attributes ${extra.skipped.join(', ')} have values that cannot be encoded (a function, a symbol, NaN, a cycle, binary data or a class instance) and were dropped.`,
      );
    }
    const keys = Object.keys(extra.attributes);
    if (keys.length > MAX_CUSTOM_ATTRIBUTES) {
      const dropped = keys.slice(MAX_CUSTOM_ATTRIBUTES);
      for (const key of dropped) delete extra.attributes[key];
      this.reporter.droppedFields(dropped.length, `startRun: ${keys.length} custom attributes, more than ${MAX_CUSTOM_ATTRIBUTES}; ${dropped.length} were dropped, starting with ${dropped[0]}.`);
    }
    return new Run(this.services(), runId, deriveRunIds(runId), identityAttributes(value), {
      start: true,
      startTime: value.startTime,
      attributes: extra.attributes,
    });
  }

  /**
   * Adds to a run that another process started, knowing only its id. Pass the
   * identity when known, so that these spans carry the model and complexity
   * labels the metrics are sliced by.
   */
  resumeRun(runId: string, identity: ResumedIdentity = {}): Run {
    const id = validate(runIdSchema, runId, 'resumeRun', this.reporter);
    if (id === undefined) return this.inertRun();

    const value = validate(resumedIdentitySchema, identity, 'resumeRun', this.reporter) ?? {};
    return new Run(this.services(), id, deriveRunIds(id), identityAttributes(value), { start: false });
  }

  /** Counts of what was reported, dropped and exported so far. */
  stats(): TelemetryStats {
    return {
      problems: { ...this.reporter.counts },
      export: this.processor?.stats(),
      file: this.fileProcessor?.stats(),
      unrecordedSpans: this.unrecordedSpans,
      interruptedSpans: this.interruptedSpans,
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

  // One object for all runs, since it only refers to this instance.
  private services(): RunServices {
    return (this.runServices ??= {
      tracer: this.tracer,
      reporter: this.reporter,
      checkRecording: (span: Span, name: string, runId: string) => this.checkRecording(span, name, runId),
      attributeValueLengthLimit: this.attributeValueLengthLimit,
      recordFailureMessages: this.recordFailureMessages,
      trackOpen: (span: Span) => {
        this.openSpans.add(span);
        return () => this.openSpans.delete(span);
      },
    });
  }

  // Ends the spans of runs still open when the process exits, marked as
  // interrupted, so that the exit flush delivers them instead of losing them.
  private endOpenSpans(): void {
    if (this.openSpans.size === 0) return;
    const count = this.openSpans.size;
    for (const span of this.openSpans) {
      span.setAttribute(sc.ATTR_FACTORY_SPAN_INTERRUPTED, true);
      span.setStatus({ code: SpanStatusCode.ERROR, message: 'the process exited before the span ended' });
      span.end();
    }
    this.openSpans.clear();
    this.interruptedSpans += count;
    this.reporter.warnAtExit(`${count} spans of runs still open when the process exited were ended and marked factory.span.interrupted.`);
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

  // A run that records nothing and reports nothing more, returned where the input
  // was too broken to record; its first problem was reported already.
  private inertRun(): Run {
    const services = { ...this.services(), tracer: NOOP_PROVIDER.getTracer(TRACER_NAME), checkRecording: () => undefined };
    return new Run(services, 'invalid', deriveRunIds('invalid'), {}, { start: false, inert: true });
  }
}

function newProvider(serviceName: string, spanProcessors: SpanProcessor[]): TracerProvider {
  return new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': serviceName }),
    idGenerator: new FactoryIdGenerator(),
    // Every factory span feeds a counter, so none may be sampled away.
    sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }),
    spanProcessors,
  });
}

// A proxy provider with no delegate hands out no-op tracers.
const NOOP_PROVIDER = new ProxyTracerProvider();

// Copies the options so that a throwing getter or a non-object is reported once
// here, instead of throwing from the constructor.
function readOptions(input: unknown): { options: FactoryTelemetryOptions; problem?: string } {
  if (input === undefined) return { options: {} };
  if (input === null || typeof input !== 'object') {
    return { options: {}, problem: `invalid options ${String(input)}: expected an object. Using the defaults.` };
  }
  try {
    return { options: { ...(input as FactoryTelemetryOptions) } };
  } catch {
    return { options: {}, problem: 'reading the options threw (a throwing getter or proxy). Using the defaults.' };
  }
}

function readRunId(identity: unknown): unknown {
  try {
    return identity !== null && typeof identity === 'object' ? (identity as { runId?: unknown }).runId : undefined;
  } catch {
    return undefined;
  }
}

function registeredGlobalProvider(): ApiTracerProvider | undefined {
  const global = trace.getTracerProvider();
  if (global instanceof ProxyTracerProvider) {
    return global.getDelegateTracer(TRACER_NAME) === undefined ? undefined : global;
  }
  return global;
}

function attributeLimit(option: number | undefined, env: NodeJS.ProcessEnv, reporter: Reporter): number | undefined {
  if (option === undefined) return attributeValueLengthLimitFromEnv(env);
  if (Number.isInteger(option) && option > 0) return option;
  reporter.warn(`invalid attributeValueLengthLimit ${String(option)}: expected a positive integer. Using the OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT variables instead.`);
  return attributeValueLengthLimitFromEnv(env);
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
