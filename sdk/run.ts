import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  trace,
  type Attributes,
  type Context,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import { withStagedIds } from './id-generator.js';
import type { RunIds } from './ids.js';
import { classifyOutcome } from './outcome.js';
import type { Reporter } from './report.js';
import {
  attemptEndSchema,
  attemptStartSchema,
  contextSchema,
  deploymentSchema,
  outcomeSchema,
  reviewSchema,
  verificationSchema,
  type AttemptEndInput,
  type AttemptStartInput,
  type ContextInput,
  type DeploymentInput,
  type OutcomeInput,
  type ReviewInput,
  type VerificationInput,
} from './schema.js';
import * as sc from './semconv.js';
import { validate } from './validate.js';

/** What a Run needs from the FactoryTelemetry that made it. */
export interface RunServices {
  tracer: Tracer;
  reporter: Reporter;
  /** Called for each span this SDK starts, to report unsampled spans once. */
  checkRecording(span: Span, name: string, runId: string): void;
}

/**
 * One AI coding run: a trace whose spans are the funnel stages. Get one from
 * `FactoryTelemetry.startRun` in the process that starts the run, or from
 * `FactoryTelemetry.resumeRun` in any other process that knows the run id.
 *
 * No method throws (except in strict mode): invalid input is reported and dropped
 * or corrected, as the FactoryTelemetry options say.
 */
export class Run {
  /** The run's `factory.run.id`. */
  readonly runId: string;
  /** The trace id derived from the run id. */
  readonly traceId: string;

  private readonly services: RunServices;
  private readonly ids: RunIds;
  private readonly identity: Attributes;
  private readonly parent: Context;
  private readonly rootSpan: Span | undefined;
  private executionSpan: Span | undefined;
  private executionEnd = 0;
  private highestAttempt = 0;
  private readonly verificationResults = new Map<number, sc.CicdPipelineResult>();
  private humanModified: boolean | undefined;
  private outcomeRecorded = false;
  private ended = false;

  /** @internal Use FactoryTelemetry.startRun or resumeRun. */
  constructor(
    services: RunServices,
    runId: string,
    ids: RunIds,
    identity: Attributes,
    root: { start: boolean; startTime?: Date },
  ) {
    this.services = services;
    this.runId = runId;
    this.ids = ids;
    this.traceId = ids.traceId;
    this.identity = { [sc.ATTR_FACTORY_RUN_ID]: runId, ...identity };

    if (root.start) {
      this.rootSpan = this.startRootSpan(root.startTime);
      this.parent = trace.setSpan(ROOT_CONTEXT, this.rootSpan);
    } else {
      this.parent = trace.setSpanContext(ROOT_CONTEXT, {
        traceId: ids.traceId,
        spanId: ids.rootSpanId,
        traceFlags: TraceFlags.SAMPLED,
        isRemote: true,
      });
    }
  }

  /** Records stage B, the context inputs the agent received. */
  recordContext(input: ContextInput = {}): void {
    const value = validate(contextSchema, input, 'recordContext', this.services.reporter);
    if (value === undefined) return;

    const span = this.startSpan(sc.SPAN_CONTEXT, this.parent, value.startTime, {
      [sc.ATTR_FACTORY_CONTEXT_INPUT_TOKENS]: value.inputTokens,
    });
    span.end(value.endTime ?? value.startTime);
  }

  /**
   * Starts stage C's next attempt. Attempts are numbered from 1; without a number
   * the attempt gets the next one this process has seen. End it with `end()`.
   */
  startAttempt(input: AttemptStartInput = {}): Attempt {
    const value = validate(attemptStartSchema, input, 'startAttempt', this.services.reporter) ?? {};
    const number = value.number ?? this.highestAttempt + 1;
    this.highestAttempt = Math.max(this.highestAttempt, number);

    const execution = this.ensureExecutionSpan(value.startTime);
    const span = this.startSpan(sc.SPAN_ATTEMPT, trace.setSpan(this.parent, execution), value.startTime, {
      [sc.ATTR_FACTORY_ATTEMPT_NUMBER]: number,
    });
    return new Attempt(span, number, this.services.reporter, (end) => {
      this.executionEnd = Math.max(this.executionEnd, end);
    });
  }

  /** Records one stage D verification (CI) run of an attempt. */
  recordVerification(input: VerificationInput): void {
    const value = validate(verificationSchema, input, 'recordVerification', this.services.reporter);
    if (value === undefined) return;

    this.verificationResults.set(value.attempt, value.result);
    const failed = value.result !== 'success' && value.result !== 'skip';
    const span = this.startSpan(sc.SPAN_VERIFICATION, this.parent, value.startTime, {
      [sc.ATTR_FACTORY_ATTEMPT_NUMBER]: value.attempt,
      [sc.ATTR_CICD_PIPELINE_RESULT]: value.result,
      [sc.ATTR_CICD_PIPELINE_NAME]: value.pipelineName,
      [sc.ATTR_FACTORY_FAILURE_CLASS]: failed ? value.failureClass ?? 'other' : undefined,
    });
    if (failed) span.setStatus({ code: SpanStatusCode.ERROR, message: `verification ${value.result}` });
    span.end(value.endTime ?? value.startTime);
  }

  /**
   * Records stage E, from the pull request's opening to its merge or close. Its
   * duration is the run's cycle time.
   */
  recordReview(input: ReviewInput): void {
    const value = validate(reviewSchema, input, 'recordReview', this.services.reporter);
    if (value === undefined) return;

    this.humanModified = value.humanModified;
    const span = this.startSpan(sc.SPAN_REVIEW, this.parent, value.openedAt, {
      [sc.ATTR_VCS_CHANGE_STATE]: value.state,
      [sc.ATTR_FACTORY_REVIEW_HUMAN_MODIFIED]: value.humanModified,
    });
    span.end(value.closedAt);
  }

  /**
   * Records stage F, from the merged commit to the deployment that contains it.
   * The duration of a successful one is the run's MLTC; a failed one has status
   * ERROR and is left out of MLTC.
   */
  recordDeployment(input: DeploymentInput): void {
    const value = validate(deploymentSchema, input, 'recordDeployment', this.services.reporter);
    if (value === undefined) return;

    const span = this.startSpan(sc.SPAN_DEPLOYMENT, this.parent, value.commitAt, {
      [sc.ATTR_DEPLOYMENT_ENVIRONMENT_NAME]: value.environment,
      [sc.ATTR_DEPLOYMENT_STATUS]: value.succeeded ? 'succeeded' : 'failed',
      [sc.ATTR_VCS_REF_HEAD_REVISION]: value.revision,
    });
    if (!value.succeeded) span.setStatus({ code: SpanStatusCode.ERROR, message: 'deployment failed' });
    span.end(value.deployedAt);
  }

  /**
   * Records stage G once the run resolves, and decides whether it was one-shot
   * and autonomous (see classifyOutcome). Facts this process did not record
   * itself (attempts, the first attempt's verification, human modification) must
   * be passed in; a merged run without them is reported and not recorded, since a
   * guess would bias the success ratios.
   */
  recordOutcome(input: OutcomeInput): void {
    const value = validate(outcomeSchema, input, 'recordOutcome', this.services.reporter);
    if (value === undefined) return;
    const reporter = this.services.reporter;

    if (this.outcomeRecorded) {
      reporter.droppedCall(`recordOutcome: run ${this.runId} already has an outcome; a second one would count the run twice. The call was dropped.`);
      return;
    }

    const attempts = value.attempts ?? (this.highestAttempt > 0 ? this.highestAttempt : undefined);
    const firstResult = this.verificationResults.get(1);
    const firstAttemptPassed = value.firstAttemptPassed ?? (firstResult === undefined ? undefined : firstResult === 'success');
    const humanModified = value.humanModified ?? this.humanModified;

    const missing = [
      attempts === undefined ? 'attempts' : undefined,
      firstAttemptPassed === undefined ? 'firstAttemptPassed' : undefined,
      humanModified === undefined ? 'humanModified' : undefined,
    ].filter((name) => name !== undefined);
    if (value.status === 'merged' && missing.length > 0) {
      reporter.droppedCall(
        `recordOutcome: run ${this.runId} merged, but ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} unknown in this process. ` +
          'Pass them to recordOutcome. The call was dropped.',
      );
      return;
    }
    if (this.identity[sc.ATTR_GEN_AI_REQUEST_MODEL] === undefined || this.identity[sc.ATTR_FACTORY_TASK_COMPLEXITY] === undefined) {
      reporter.warn(
        `recordOutcome: run ${this.runId} has no model or complexity in this process, so its outcome has no model or complexity label. ` +
          'Pass the identity to resumeRun.',
      );
    }

    const { oneShot, autonomous } = classifyOutcome({
      status: value.status,
      attempts: attempts ?? 0,
      firstAttemptPassed: firstAttemptPassed ?? false,
      humanModified: humanModified ?? false,
    });
    this.outcomeRecorded = true;
    const span = this.startSpan(sc.SPAN_OUTCOME, this.parent, value.at, {
      [sc.ATTR_FACTORY_OUTCOME_STATUS]: value.status,
      [sc.ATTR_FACTORY_OUTCOME_ONE_SHOT]: oneShot,
      [sc.ATTR_FACTORY_OUTCOME_AUTONOMOUS]: autonomous,
      [sc.ATTR_FACTORY_OUTCOME_ATTEMPTS]: attempts,
      [sc.ATTR_FACTORY_REVIEW_HUMAN_MODIFIED]: humanModified,
    });
    span.end(value.at);
  }

  /**
   * Ends this process's part of the run: the execution span (at its last
   * attempt's end) and, in the process that started the run, the root span.
   * Calling it again does nothing.
   */
  end(endTime?: Date | number): void {
    if (this.ended) return;
    this.ended = true;
    if (this.executionSpan !== undefined) this.executionSpan.end(this.executionEnd || undefined);
    this.rootSpan?.end(endTime);
  }

  private startRootSpan(startTime: Date | undefined): Span {
    const { tracer, reporter } = this.services;
    const span = withStagedIds(this.ids.traceId, this.ids.rootSpanId, () =>
      tracer.startSpan(sc.SPAN_RUN, { kind: SpanKind.INTERNAL, startTime, attributes: this.identity }, ROOT_CONTEXT),
    );
    const context = span.spanContext();
    if (span.isRecording() && (context.traceId !== this.ids.traceId || context.spanId !== this.ids.rootSpanId)) {
      reporter.warn(
        `startRun: the tracer provider gave run ${this.runId}'s root span random ids, so spans from other processes will not join its trace. ` +
          "Set idGenerator: new FactoryIdGenerator() in your provider's options.",
      );
    }
    this.services.checkRecording(span, sc.SPAN_RUN, this.runId);
    return span;
  }

  private ensureExecutionSpan(startTime: Date | undefined): Span {
    if (this.executionSpan === undefined) {
      this.executionSpan = this.startSpan(sc.SPAN_EXECUTION, this.parent, startTime, {});
    }
    return this.executionSpan;
  }

  private startSpan(name: string, parent: Context, startTime: Date | undefined, attributes: Attributes): Span {
    const span = this.services.tracer.startSpan(
      name,
      { kind: SpanKind.INTERNAL, startTime, attributes: { ...this.identity, ...withoutUndefined(attributes) } },
      parent,
    );
    this.services.checkRecording(span, name, this.runId);
    return span;
  }
}

/** One stage C attempt, open until `end()`. */
export class Attempt {
  private ended = false;

  /** @internal Use Run.startAttempt. */
  constructor(
    private readonly span: Span,
    /** The attempt's number, from 1. */
    readonly number: number,
    private readonly reporter: Reporter,
    private readonly onEnd: (endMillis: number) => void,
  ) {}

  /** Ends the attempt with its token usage and cost (US dollars). */
  end(input: AttemptEndInput = {}): void {
    if (this.ended) {
      this.reporter.warn(`Attempt.end: attempt ${this.number} has already ended; the call was ignored.`);
      return;
    }
    this.ended = true;
    const value = validate(attemptEndSchema, input, 'Attempt.end', this.reporter) ?? {};

    this.span.setAttributes(
      withoutUndefined({
        [sc.ATTR_GEN_AI_USAGE_INPUT_TOKENS]: value.inputTokens,
        [sc.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]: value.outputTokens,
        [sc.ATTR_FACTORY_ATTEMPT_COST_USD]: value.costUsd,
      }),
    );
    const endTime = value.endTime ?? new Date();
    this.onEnd(endTime.getTime());
    this.span.end(endTime);
  }
}

function withoutUndefined(attributes: Attributes): Attributes {
  const result: Attributes = {};
  for (const [key, value] of Object.entries(attributes)) {
    if (value !== undefined) result[key] = value;
  }
  return result;
}
