import { ROOT_CONTEXT, SpanStatusCode, trace, type Attributes, type Context, type Span } from '@opentelemetry/api';
import { compareChanges, fingerprintChange, type ChangeFingerprint } from './attributes.js';
import type { Reporter } from './report.js';
import {
  attemptEndSchema,
  attemptVerificationSchema,
  changeSchema,
  usageSchema,
  type AttemptEndInput,
  type AttemptVerification,
  type AttemptVerificationInput,
  type ChangeInput,
  type UsageInput,
} from './schema.js';
import * as sc from './semconv.js';
import { validate } from './validate.js';

/** The facts a Run keeps of each attempt it saw in this process. */
export interface AttemptRecord {
  number: number;
  costUsd: number | undefined;
  change: ChangeFingerprint | undefined;
  /** The last verification of the attempt, when one was recorded in this process. */
  verification: { failed: boolean; passed: boolean; signature: string | undefined; feedbackSpecific: boolean | undefined } | undefined;
}

/** The Run's side of an attempt: how it records verifications and learns results. */
export interface AttemptHost {
  reporter: Reporter;
  previous(number: number): AttemptRecord | undefined;
  /** Records the verification span and returns the attributes that belong on the attempt span. */
  recordVerification(input: AttemptVerification, attempt: number, parent: Context): Attributes;
  /** Applies the attribute value length limit. */
  limit(attributes: Attributes): Attributes;
  onEnd(record: AttemptRecord, endMillis: number): void;
}

/**
 * One stage C attempt, open until `end()`. Record its usage, its change and its
 * verification while it runs; `Run.attempt(fn)` ends it for you.
 */
export class Attempt {
  /** The attempt's number, from 1. */
  readonly number: number;

  private readonly span: Span;
  private readonly host: AttemptHost;
  private readonly record: AttemptRecord;
  private readonly startMillis: number;
  /** An attempt that was rejected when it started: its methods do nothing. */
  private readonly inert: boolean;
  private ended = false;
  /** The last verification's facts, set on the attempt span when it ends so that a re-run replaces them. */
  private verificationAttributes: Attributes = {};

  /** @internal Use Run.startAttempt or Run.attempt. */
  private readonly untrack: () => void;

  constructor(span: Span, number: number, host: AttemptHost, options: { startMillis?: number; inert?: boolean; untrack?: () => void } = {}) {
    this.span = span;
    this.number = number;
    this.host = host;
    this.startMillis = options.startMillis ?? Date.now();
    this.inert = options.inert === true;
    this.untrack = options.untrack ?? (() => undefined);
    this.record = { number, costUsd: undefined, change: undefined, verification: undefined };
  }

  /** Records token usage (GenAI conventions) and cost in US dollars. A later call overwrites earlier values. */
  setUsage(input: UsageInput): void {
    if (!this.checkOpen('setUsage')) return;
    const value = validate(usageSchema, input, 'Attempt.setUsage', this.host.reporter);
    if (value !== undefined) this.applyUsage(value);
  }

  /**
   * Records the attempt's change by hashes and sizes, and how it compares with
   * the previous attempt's change when this process recorded that one.
   */
  setChange(input: ChangeInput): void {
    if (!this.checkOpen('setChange')) return;
    const value = validate(changeSchema, input, 'Attempt.setChange', this.host.reporter);
    if (value !== undefined) this.applyChange(value);
  }

  /**
   * Records a verification (CI) run of this attempt, as a child span, and puts
   * its result, failure class and signature on the attempt span too.
   */
  recordVerification(input: AttemptVerificationInput): void {
    if (!this.checkOpen('recordVerification')) return;
    const value = validate(attemptVerificationSchema, input, 'Attempt.recordVerification', this.host.reporter);
    if (value === undefined) return;
    this.verificationAttributes = this.host.recordVerification(value, this.number, trace.setSpan(ROOT_CONTEXT, this.span));
  }

  /** Ends the attempt, optionally with its usage and change. A second call is reported and ignored. */
  end(input: AttemptEndInput = {}): void {
    if (!this.checkOpen('end')) return;
    // The attempt happened, so it ends even when its input is invalid.
    const value = validate(attemptEndSchema, input, 'Attempt.end', this.host.reporter, 'fields');
    if (value === undefined) {
      this.finish(new Date());
      return;
    }
    this.applyUsage(value);
    if (value.change !== undefined) this.applyChange(value.change);

    let endTime = value.endTime ?? new Date();
    if (endTime.getTime() < this.startMillis) {
      this.host.reporter.droppedFields(1, `Attempt.end: endTime ${endTime.toISOString()} is before attempt ${this.number} started; the attempt ends at its start instead.`);
      endTime = new Date(this.startMillis);
    }
    this.finish(endTime);
  }

  /** @internal Ends the attempt because its callback threw; records the error's type, never its message. */
  endWithError(error: unknown): void {
    if (this.ended || this.inert) return;
    const type = errorType(error);
    this.span.setAttribute('error.type', type);
    this.span.setStatus({ code: SpanStatusCode.ERROR, message: type });
    this.finish(new Date());
  }

  /** @internal The record the Run keeps; updated by the Run when a verification is recorded. */
  get state(): AttemptRecord {
    return this.record;
  }

  /** Whether `end()` was called. */
  get isEnded(): boolean {
    return this.ended;
  }

  private finish(endTime: Date): void {
    this.ended = true;
    this.span.setAttributes(this.host.limit(this.verificationAttributes));
    this.untrack();
    this.host.onEnd(this.record, endTime.getTime());
    this.span.end(endTime);
  }

  private applyUsage(value: { inputTokens?: number; outputTokens?: number; cacheReadInputTokens?: number; cacheCreationInputTokens?: number; costUsd?: number }): void {
    const attributes: Attributes = {};
    if (value.inputTokens !== undefined) attributes[sc.ATTR_GEN_AI_USAGE_INPUT_TOKENS] = value.inputTokens;
    if (value.outputTokens !== undefined) attributes[sc.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS] = value.outputTokens;
    if (value.cacheReadInputTokens !== undefined) attributes[sc.ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] = value.cacheReadInputTokens;
    if (value.cacheCreationInputTokens !== undefined) attributes[sc.ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS] = value.cacheCreationInputTokens;
    if (value.costUsd !== undefined) {
      attributes[sc.ATTR_FACTORY_ATTEMPT_COST_USD] = value.costUsd;
      this.record.costUsd = value.costUsd;
    }
    this.span.setAttributes(this.host.limit(attributes));
  }

  private applyChange(value: { hash?: string; files?: Array<{ path: string; hash: string; bytes?: number }>; bytes?: number; linesAdded?: number; linesRemoved?: number }): void {
    const fingerprint = fingerprintChange(value);
    this.record.change = fingerprint;

    const bytes = value.bytes ?? (value.files?.every((file) => file.bytes !== undefined) ? value.files.reduce((sum, file) => sum + (file.bytes ?? 0), 0) : undefined);
    const attributes: Attributes = {};
    if (value.hash !== undefined) attributes[sc.ATTR_FACTORY_CHANGE_HASH] = value.hash;
    if (value.files !== undefined) attributes[sc.ATTR_FACTORY_CHANGE_FILES] = fingerprint.files.size;
    if (bytes !== undefined) attributes[sc.ATTR_FACTORY_CHANGE_BYTES] = bytes;
    if (value.linesAdded !== undefined) attributes[sc.ATTR_FACTORY_CHANGE_LINES_ADDED] = value.linesAdded;
    if (value.linesRemoved !== undefined) attributes[sc.ATTR_FACTORY_CHANGE_LINES_REMOVED] = value.linesRemoved;

    const previous = this.host.previous(this.number)?.change;
    if (previous !== undefined) {
      const comparison = compareChanges(fingerprint, previous);
      if (comparison.same !== undefined) attributes[sc.ATTR_FACTORY_CHANGE_SAME_AS_PREVIOUS] = comparison.same;
      if (comparison.overlap !== undefined) attributes[sc.ATTR_FACTORY_CHANGE_OVERLAP_WITH_PREVIOUS] = comparison.overlap;
    }
    this.span.setAttributes(this.host.limit(attributes));
  }

  private checkOpen(method: string): boolean {
    if (this.inert) return false;
    if (!this.ended) return true;
    this.host.reporter.warn(`Attempt.${method}: attempt ${this.number} has already ended; the call was ignored.`);
    return false;
  }
}

// An error's type for `error.type`: its name when that is a plain identifier,
// since a name is code the host controls and could carry anything. Reading the
// name is guarded, because the host's own error must reach it unchanged.
function errorType(error: unknown): string {
  if (error === null) return 'null';
  if (typeof error !== 'object' && typeof error !== 'function') return typeof error;
  try {
    const name: unknown = (error as { name?: unknown }).name;
    if (typeof name === 'string' && /^[A-Za-z_$][\w$.]{0,63}$/.test(name)) return name;
  } catch {
    // A throwing getter: fall through to the generic type.
  }
  return error instanceof Error ? 'Error' : 'object';
}
