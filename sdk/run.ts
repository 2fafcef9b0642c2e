import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  trace,
  type Attributes,
  type AttributeValue,
  type Context,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import { Attempt, type AttemptHost, type AttemptRecord } from './attempt.js';
import { limitAttributeValues, limitAttributeValuesInPlace } from './attributes.js';
import { withStagedIds } from './id-generator.js';
import type { RunIds } from './ids.js';
import { classifyOutcome } from './outcome.js';
import type { Reporter } from './report.js';
import {
  attemptStartSchema,
  contextSchema,
  deploymentSchema,
  outcomeSchema,
  reviewSchema,
  verificationSchema,
  type AttemptStartInput,
  type AttemptVerification,
  type AttemptVerificationInput,
  type ContextInput,
  type DeploymentInput,
  type OutcomeInput,
  type ReviewInput,
  type TimeInput,
  type VerificationInput,
  timeSchema,
} from './schema.js';
import * as sc from './semconv.js';
import { validate } from './validate.js';
import { verificationFacts } from './verification.js';

/** Services a Run gets from the FactoryTelemetry that made it. */
export interface RunServices {
  tracer: Tracer;
  reporter: Reporter;
  /** Called for each span this SDK starts, to report unsampled spans once. */
  checkRecording(span: Span, name: string, runId: string): void;
  /** Maximum length of string attribute values; undefined for no limit. */
  attributeValueLengthLimit: number | undefined;
  /** Whether to record one redacted line of failed CI output. */
  recordFailureMessages: boolean;
  /** Registers a long-lived span that must be ended if the process exits first; returns the deregistration. */
  trackOpen(span: Span): () => void;
}

/**
 * One AI coding run: a trace whose spans are the funnel stages. Get one from
 * `FactoryTelemetry.startRun` in the process that starts the run, or from
 * `FactoryTelemetry.resumeRun` in any other process that has the run id.
 *
 * No method throws (except in strict mode): invalid input is reported and dropped
 * or corrected. docs/semantic-conventions.md describes what recording a stage twice does.
 */
export class Run {
  /** The run's `factory.run.id`. */
  readonly runId: string;
  /** The trace id derived from the run id. */
  readonly traceId: string;

  private readonly services: RunServices;
  private readonly ids: RunIds;
  private readonly identity: Attributes;
  /** The keys and values of `identity`, in order, copied onto every span. */
  private readonly identityKeys: readonly string[];
  private readonly identityValues: readonly AttributeValue[];
  private readonly parent: Context;
  private readonly rootSpan: Span | undefined;
  private untrackRoot: (() => void) | undefined;
  private executionSpan: Span | undefined;
  private executionContext: Context | undefined;
  private untrackExecution: (() => void) | undefined;
  private executionEnd = 0;
  private highestAttempt = 0;
  private readonly attempts = new Map<number, AttemptRecord>();
  /** Last verification result of each attempt, also for attempts verified without a handle. */
  private readonly verifications = new Map<number, { failed: boolean; passed: boolean; signature: string | undefined; failureClass: string | undefined }>();
  private humanModified: boolean | undefined;
  private contextComplete: boolean | undefined;
  private reviewRecorded = false;
  private readonly deployedEnvironments = new Set<string>();
  private outcomeRecorded = false;
  private ended = false;
  /** A run whose creation was rejected: its methods do nothing and report nothing. */
  private readonly inert: boolean;
  private rootStartMillis = 0;
  private host: AttemptHost | undefined;

  /** @internal Use FactoryTelemetry.startRun or resumeRun. */
  constructor(
    services: RunServices,
    runId: string,
    ids: RunIds,
    identity: Attributes,
    root: { start: boolean; startTime?: Date; attributes?: Attributes; inert?: boolean },
  ) {
    this.inert = root.inert === true;
    this.services = services;
    this.runId = runId;
    this.ids = ids;
    this.traceId = ids.traceId;
    this.identity = { [sc.ATTR_FACTORY_RUN_ID]: runId };
    for (const key of Object.keys(identity)) this.identity[key] = identity[key];
    this.identityKeys = Object.keys(this.identity);
    this.identityValues = this.identityKeys.map((key) => this.identity[key]!);

    if (root.start && !this.inert) {
      this.rootStartMillis = root.startTime?.getTime() ?? Date.now();
      this.rootSpan = this.startRootSpan(root.startTime, root.attributes ?? {});
      this.untrackRoot = services.trackOpen(this.rootSpan);
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

  /**
   * Records stage B: which context sources went in (with their token counts) and
   * whether the harness judged the context complete. May be recorded again, for
   * example when the context is rebuilt for a retry.
   */
  recordContext(input: ContextInput = {}): void {
    if (this.inert) return;
    const value = validate(contextSchema, input, 'recordContext', this.services.reporter);
    if (value === undefined) return;

    const attributes: Attributes = {};
    const sources = Object.entries(value.sources ?? {}).filter(([, tokens]) => tokens !== undefined);
    if (value.sources !== undefined) attributes[sc.ATTR_FACTORY_CONTEXT_SOURCES] = sources.map(([name]) => name).sort();
    for (const [name, tokens] of sources) attributes[`${sc.ATTR_FACTORY_CONTEXT_SOURCE_PREFIX}${name}.tokens`] = tokens as number;
    const total = value.inputTokens ?? (sources.length > 0 ? sources.reduce((sum, [, tokens]) => sum + (tokens as number), 0) : undefined);
    if (total !== undefined) attributes[sc.ATTR_FACTORY_CONTEXT_INPUT_TOKENS] = total;
    if (value.complete !== undefined) {
      attributes[sc.ATTR_FACTORY_CONTEXT_COMPLETE] = value.complete;
      this.contextComplete = value.complete;
    }

    // Given only an end time, the context span is a point at that time.
    const span = this.startSpan(sc.SPAN_CONTEXT, this.parent, value.startTime ?? value.endTime, attributes);
    span.end(value.endTime ?? value.startTime);
  }

  /**
   * Starts stage C's next attempt. Attempts are numbered from 1; without a number
   * the attempt gets the next one this process has seen. A number this process
   * already used is reported, and the returned attempt records nothing.
   */
  startAttempt(input: AttemptStartInput = {}): Attempt {
    if (this.inert) return new Attempt(trace.wrapSpanContext(trace.getSpanContext(this.parent)!), 0, this.attemptHost(), { inert: true });
    const value = validate(attemptStartSchema, input, 'startAttempt', this.services.reporter, 'fields') ?? {};
    const number = value.number ?? this.highestAttempt + 1;
    if (this.attempts.has(number)) {
      this.services.reporter.droppedCall(`startAttempt: run ${this.runId} already has attempt ${number}; the second one was dropped.`);
      return new Attempt(trace.wrapSpanContext(trace.getSpanContext(this.parent)!), number, this.attemptHost(), { inert: true });
    }
    this.highestAttempt = Math.max(this.highestAttempt, number);

    const executionContext = this.ensureExecutionSpan(value.startTime);
    const trigger = value.trigger ?? (number === 1 ? 'initial' : undefined);
    const span = this.startSpan(sc.SPAN_ATTEMPT, executionContext, value.startTime, {
      [sc.ATTR_FACTORY_ATTEMPT_NUMBER]: number,
      [sc.ATTR_FACTORY_ATTEMPT_TRIGGER]: trigger,
      // The feedback this attempt received is the previous attempt's CI output.
      [sc.ATTR_FACTORY_FEEDBACK_SPECIFIC]: this.attempts.get(number - 1)?.verification?.feedbackSpecific,
    });
    const attempt = new Attempt(span, number, this.attemptHost(), {
      startMillis: value.startTime?.getTime() ?? Date.now(),
      untrack: this.services.trackOpen(span),
    });
    this.attempts.set(number, attempt.state);
    return attempt;
  }

  /**
   * Runs `fn` as the next attempt: times it, ends the attempt when `fn` settles,
   * and returns `fn`'s result. If `fn` throws or rejects, the attempt ends with
   * status ERROR and the very same error is rethrown.
   */
  async attempt<T>(fn: (attempt: Attempt) => T | Promise<T>, input: AttemptStartInput = {}): Promise<T> {
    const attempt = this.startAttempt(input);
    let result: T;
    try {
      result = await fn(attempt);
    } catch (error) {
      attempt.endWithError(error);
      throw error;
    }
    if (!attempt.isEnded) attempt.end();
    return result;
  }

  /**
   * Records one stage D verification (CI) run of an attempt, from a process that
   * has no handle on the attempt (a CI job). Several runs for one attempt are
   * allowed; the last one decides whether the attempt passed.
   */
  recordVerification(input: VerificationInput): void {
    if (this.inert) return;
    const value = validate(verificationSchema, input, 'recordVerification', this.services.reporter);
    if (value === undefined) return;
    this.recordVerificationSpan(value, value.attempt, this.parent);
  }

  /**
   * Records stage E, from the pull request's opening to its merge or close. Its
   * duration is the run's cycle time, so a second review of the run in this
   * process is reported and dropped.
   */
  recordReview(input: ReviewInput): void {
    if (this.inert) return;
    const value = validate(reviewSchema, input, 'recordReview', this.services.reporter);
    if (value === undefined) return;
    if (this.reviewRecorded) {
      this.services.reporter.droppedCall(`recordReview: run ${this.runId} already has a review; a second one would count its cycle time twice. The call was dropped.`);
      return;
    }
    this.reviewRecorded = true;

    this.humanModified = value.humanModified;
    const span = this.startSpan(sc.SPAN_REVIEW, this.parent, value.openedAt, {
      [sc.ATTR_VCS_CHANGE_STATE]: value.state,
      [sc.ATTR_FACTORY_REVIEW_HUMAN_MODIFIED]: value.humanModified,
      [sc.ATTR_FACTORY_REVIEW_ROUNDS]: value.rounds,
      [sc.ATTR_FACTORY_REVIEW_APPROVALS]: value.approvals,
      [sc.ATTR_FACTORY_FAILURE_CLASS]: value.failureClass,
      [sc.ATTR_FACTORY_FAILURE_CLASS_SOURCE]: value.failureClass === undefined ? undefined : 'reviewer',
    });
    span.end(value.closedAt);
  }

  /**
   * Records stage F, from the merged commit to the deployment that contains it.
   * The duration of a successful one is the run's MLTC; a failed one has status
   * ERROR and is left out of MLTC. A second successful deployment to the same
   * environment in this process is reported and dropped.
   */
  recordDeployment(input: DeploymentInput): void {
    if (this.inert) return;
    const value = validate(deploymentSchema, input, 'recordDeployment', this.services.reporter);
    if (value === undefined) return;
    if (value.succeeded) {
      if (this.deployedEnvironments.has(value.environment)) {
        this.services.reporter.droppedCall(
          `recordDeployment: run ${this.runId} already has a successful deployment to ${value.environment}; a second one would count its MLTC twice. The call was dropped.`,
        );
        return;
      }
      this.deployedEnvironments.add(value.environment);
    }

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
   * be passed in. A merged run without them is reported and not recorded, because
   * a guess would bias the success ratios.
   */
  recordOutcome(input: OutcomeInput): void {
    if (this.inert) return;
    const value = validate(outcomeSchema, input, 'recordOutcome', this.services.reporter);
    if (value === undefined) return;
    const reporter = this.services.reporter;

    if (this.outcomeRecorded) {
      reporter.droppedCall(`recordOutcome: run ${this.runId} already has an outcome; a second one would count the run twice. The call was dropped.`);
      return;
    }

    const attempts = value.attempts ?? (this.highestAttempt > 0 ? this.highestAttempt : undefined);
    const first = this.verifications.get(1);
    const firstAttemptPassed = value.firstAttemptPassed ?? first?.passed;
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
      [sc.ATTR_FACTORY_OUTCOME_COST_USD]: value.costUsd ?? this.attemptCostTotal(),
      [sc.ATTR_FACTORY_REVIEW_HUMAN_MODIFIED]: humanModified,
      [sc.ATTR_FACTORY_CONTEXT_COMPLETE]: value.contextComplete ?? this.contextComplete,
    });
    span.end(value.at);
  }

  /**
   * Ends this process's part of the run: the execution span (at its last
   * attempt's end) and, in the process that started the run, the root span.
   * Calling it again does nothing. Attempts still open stay open.
   */
  end(endTime?: TimeInput): void {
    if (this.ended || this.inert) return;
    this.ended = true;

    let end: Date | undefined;
    if (endTime !== undefined) {
      end = validate(timeSchema, endTime, 'Run.end', this.services.reporter);
      if (end !== undefined && end.getTime() < this.rootStartMillis) {
        this.services.reporter.droppedFields(1, `Run.end: end time ${end.toISOString()} is before run ${this.runId} started; the root span ends at its start instead.`);
        end = new Date(this.rootStartMillis);
      }
    }
    if (this.executionSpan !== undefined) this.executionSpan.end(this.executionEnd || undefined);
    this.untrackExecution?.();
    this.rootSpan?.end(end);
    this.untrackRoot?.();
  }

  // Records the verification span and returns the facts that also belong on its attempt's span.
  private recordVerificationSpan(value: AttemptVerification, attempt: number, parent: Context): Attributes {
    const previous = this.verifications.get(attempt - 1);
    const facts = verificationFacts(
      value,
      attempt,
      value.previousSignature !== undefined ? { failed: value.previousSignature !== null, signature: value.previousSignature ?? undefined } : previous,
      this.services.recordFailureMessages,
    );

    const result = { failed: facts.failed, passed: value.result === 'success', signature: facts.signature, failureClass: facts.failureClass };
    this.verifications.set(attempt, result);
    const record = this.attempts.get(attempt);
    if (record !== undefined) {
      record.verification = { failed: result.failed, passed: result.passed, signature: result.signature, feedbackSpecific: facts.feedbackSpecific };
    }

    // Given only an end time, the verification span is a point at that time.
    const span = this.startSpan(sc.SPAN_VERIFICATION, parent, value.startTime ?? value.endTime, facts.attributes);
    if (facts.failed) span.setStatus({ code: SpanStatusCode.ERROR, message: `verification ${value.result}` });
    span.end(value.endTime ?? value.startTime);

    const onAttempt: Attributes = {};
    for (const key of Object.keys(facts.attributes)) {
      if (!VERIFICATION_SPAN_ONLY.has(key)) onAttempt[key] = facts.attributes[key];
    }
    return onAttempt;
  }

  // One host per run, since it only refers to the run.
  private attemptHost(): AttemptHost {
    return (this.host ??= {
      reporter: this.services.reporter,
      previous: (number) => this.attempts.get(number - 1),
      recordVerification: (input, attempt, parent) => this.recordVerificationSpan(input, attempt, parent),
      limit: (attributes) => this.limit(attributes),
      onEnd: (_record, endMillis) => {
        this.executionEnd = Math.max(this.executionEnd, endMillis);
      },
    });
  }

  private attemptCostTotal(): number | undefined {
    let total: number | undefined;
    for (const record of this.attempts.values()) {
      if (record.costUsd !== undefined) total = (total ?? 0) + record.costUsd;
    }
    return total;
  }

  private startRootSpan(startTime: Date | undefined, attributes: Attributes): Span {
    const { tracer, reporter } = this.services;
    const span = withStagedIds(this.ids.traceId, this.ids.rootSpanId, () =>
      tracer.startSpan(
        sc.SPAN_RUN,
        // The run's own attributes come first, so that a span attribute count limit drops custom ones.
        { kind: SpanKind.INTERNAL, startTime, attributes: this.startAttributes(withoutKeys(attributes, this.identity)) },
        ROOT_CONTEXT,
      ),
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

  // Starts the execution span on the first attempt and returns its context, the parent of every attempt span.
  private ensureExecutionSpan(startTime: Date | undefined): Context {
    if (this.executionSpan === undefined || this.executionContext === undefined) {
      this.executionSpan = this.startSpan(sc.SPAN_EXECUTION, this.parent, startTime, {});
      this.untrackExecution = this.services.trackOpen(this.executionSpan);
      this.executionContext = trace.setSpan(this.parent, this.executionSpan);
    }
    return this.executionContext;
  }

  private startSpan(name: string, parent: Context, startTime: Date | undefined, attributes: Attributes): Span {
    const span = this.services.tracer.startSpan(name, { kind: SpanKind.INTERNAL, startTime, attributes: this.startAttributes(attributes) }, parent);
    this.services.checkRecording(span, name, this.runId);
    return span;
  }

  // Builds a span's start attributes as one new object: the run's identity, then
  // `attributes` without its undefined values. The tracer hands start attributes
  // to the sampler before Span.setAttribute drops undefined values, so they are
  // left out here. The object starts empty because, in Node.js 20, adding keys
  // to a spread copy (`{ ...identity }`) made a new hidden class each time and
  // took about ten times as long as adding them to `{}`.
  private startAttributes(attributes: Attributes): Attributes {
    const result: Attributes = {};
    for (let index = 0; index < this.identityKeys.length; index += 1) result[this.identityKeys[index]!] = this.identityValues[index];
    for (const key of Object.keys(attributes)) {
      const value = attributes[key];
      if (value !== undefined) result[key] = value;
    }
    return limitAttributeValuesInPlace(result, this.services.attributeValueLengthLimit);
  }

  private limit(attributes: Attributes): Attributes {
    return limitAttributeValues(attributes, this.services.attributeValueLengthLimit);
  }
}

// Verification attributes that stay off the attempt span. There, factory.feedback.*
// describes the feedback the attempt received, not the output of its own verification.
const VERIFICATION_SPAN_ONLY: ReadonlySet<string> = new Set([
  sc.ATTR_FACTORY_ATTEMPT_NUMBER,
  sc.ATTR_CICD_PIPELINE_NAME,
  sc.ATTR_FACTORY_FEEDBACK_SPECIFIC,
  sc.ATTR_FACTORY_FEEDBACK_REASONS,
]);

function withoutKeys(attributes: Attributes, exclude: Attributes): Attributes {
  const result: Attributes = {};
  for (const [key, value] of Object.entries(attributes)) {
    if (!(key in exclude)) result[key] = value;
  }
  return result;
}
