import type { z } from 'zod';
import {
  attemptEndSchema,
  attemptStartSchema,
  attemptVerificationSchema,
  contextSchema,
  deploymentSchema,
  outcomeSchema,
  resumedIdentitySchema,
  reviewSchema,
  runIdSchema,
  runIdentitySchema,
  timeSchema,
  usageSchema,
  verificationSchema,
} from './schema.js';
import {
  ATTEMPT_TRIGGERS,
  CICD_PIPELINE_RESULTS,
  CONTEXT_SOURCES,
  FAILURE_CLASSES,
  OUTCOME_STATUSES,
  REVIEW_END_STATES,
  TASK_COMPLEXITIES,
  type AttemptTrigger,
  type CicdPipelineResult,
  type ContextSource,
  type FailureClass,
  type OutcomeStatus,
  type ReviewEndState,
  type TaskComplexity,
} from './semconv.js';

/**
 * Hand-written parsers for the schemas that every run goes through. zod took
 * about a tenth of the time to record a run in the overhead benchmark's CPU
 * profile (bench/profile.ts). Each parser accepts only plain objects of valid
 * values, and returns what its schema's `safeParse` returns for them: a new
 * object, times as new Dates, defaults filled in. For anything else it returns
 * undefined, and `validate` runs the schema, which accepts the input or writes
 * the error report. So a parser may defer more than needed, but must never
 * accept what its schema rejects.
 *
 * One difference from the schema's output, which the SDK never reads: a key
 * given with the value undefined is left out, where zod keeps it as undefined.
 * test/sdk/fast-parse.test.ts compares every parser with its schema on
 * generated input.
 */
export const FAST_PARSERS: ReadonlyMap<z.ZodType, (input: unknown) => unknown> = new Map([
  entry(runIdSchema, parseRunId),
  entry(runIdentitySchema, parseRunIdentity),
  entry(resumedIdentitySchema, parseResumedIdentity),
  entry(contextSchema, parseContext),
  entry(attemptStartSchema, parseAttemptStart),
  entry(attemptVerificationSchema, parseAttemptVerification),
  entry(verificationSchema, parseVerification),
  entry(usageSchema, parseUsage),
  entry(attemptEndSchema, parseAttemptEnd),
  entry(reviewSchema, parseReview),
  entry(deploymentSchema, parseDeployment),
  entry(outcomeSchema, parseOutcome),
  entry(timeSchema, toDate),
]);

// Ties each parser's return type to its schema's output type.
function entry<S extends z.ZodType>(schema: S, parse: (input: unknown) => z.output<S> | undefined): [z.ZodType, (input: unknown) => unknown] {
  return [schema, parse];
}

type Output<S extends z.ZodType> = z.output<S>;
type Fields = Record<string, unknown>;

const TASK_COMPLEXITY_SET: ReadonlySet<TaskComplexity> = new Set(TASK_COMPLEXITIES);
const CONTEXT_SOURCE_SET: ReadonlySet<ContextSource> = new Set(CONTEXT_SOURCES);
const ATTEMPT_TRIGGER_SET: ReadonlySet<AttemptTrigger> = new Set(ATTEMPT_TRIGGERS);
const PIPELINE_RESULT_SET: ReadonlySet<CicdPipelineResult> = new Set(CICD_PIPELINE_RESULTS);
const FAILURE_CLASS_SET: ReadonlySet<FailureClass> = new Set(FAILURE_CLASSES);
const REVIEW_END_STATE_SET: ReadonlySet<ReviewEndState> = new Set(REVIEW_END_STATES);
const OUTCOME_STATUS_SET: ReadonlySet<OutcomeStatus> = new Set(OUTCOME_STATUSES);

// The largest CI output the schema accepts, in UTF-16 code units.
const MAX_OUTPUT_LENGTH = 64 * 1024 * 1024;
// Same as the labels' pattern in schema.ts, negated.
const CONTROL_CHARACTER = /\p{Cc}/u;

function parseRunId(input: unknown): Output<typeof runIdSchema> | undefined {
  return isLabel(input, 256) ? input : undefined;
}

function parseRunIdentity(input: unknown): Output<typeof runIdentitySchema> | undefined {
  if (!isPlainObject(input)) return undefined;
  const { runId, startTime, attributes } = input;
  // The schema copies custom attributes as a record; that case is left to it.
  if (attributes !== undefined) return undefined;
  if (runId !== undefined && !isLabel(runId, 256)) return undefined;
  const identity = parseIdentityFields(input);
  if (identity === undefined || identity.repository === undefined || identity.model === undefined || identity.complexity === undefined) return undefined;

  const value: Output<typeof runIdentitySchema> = { repository: identity.repository, model: identity.model, complexity: identity.complexity };
  if (runId !== undefined) value.runId = runId;
  if (identity.changeId !== undefined) value.changeId = identity.changeId;
  if (identity.provider !== undefined) value.provider = identity.provider;
  if (identity.team !== undefined) value.team = identity.team;
  if (identity.experiment !== undefined) value.experiment = identity.experiment;
  if (startTime !== undefined) {
    const date = toDate(startTime);
    if (date === undefined) return undefined;
    value.startTime = date;
  }
  return value;
}

function parseResumedIdentity(input: unknown): Output<typeof resumedIdentitySchema> | undefined {
  return isPlainObject(input) ? parseIdentityFields(input) : undefined;
}

// The identity fields shared by startRun and resumeRun, all optional here.
function parseIdentityFields(input: Fields): Output<typeof resumedIdentitySchema> | undefined {
  const { repository, changeId, model, provider, complexity, team, experiment } = input;
  const value: Output<typeof resumedIdentitySchema> = {};
  if (repository !== undefined) {
    if (!isLabel(repository, 512)) return undefined;
    value.repository = repository;
  }
  if (changeId !== undefined) {
    if (isLabel(changeId, 128)) value.changeId = changeId;
    else if (isCount(changeId)) value.changeId = String(changeId);
    else return undefined;
  }
  if (model !== undefined) {
    if (!isLabel(model, 256)) return undefined;
    value.model = model;
  }
  if (provider !== undefined) {
    if (!isLabel(provider, 128)) return undefined;
    value.provider = provider;
  }
  if (complexity !== undefined) {
    if (!isMember(TASK_COMPLEXITY_SET, complexity)) return undefined;
    value.complexity = complexity;
  }
  if (team !== undefined) {
    if (!isLabel(team, 256)) return undefined;
    value.team = team;
  }
  if (experiment !== undefined) {
    if (!isPlainObject(experiment)) return undefined;
    const { name, arm } = experiment;
    if (!isLabel(name, 256) || !isLabel(arm, 256)) return undefined;
    value.experiment = { name, arm };
  }
  return value;
}

function parseContext(input: unknown): Output<typeof contextSchema> | undefined {
  if (!isPlainObject(input)) return undefined;
  const { sources, complete, inputTokens } = input;
  const value: Output<typeof contextSchema> = {};
  if (sources !== undefined) {
    // The schema's record reads own enumerable string keys and rejects symbol keys.
    if (!isPlainObject(sources) || Object.getOwnPropertySymbols(sources).length > 0) return undefined;
    const counts: Record<string, number> = {};
    for (const name of Object.keys(sources)) {
      const tokens = sources[name];
      if (!isMember(CONTEXT_SOURCE_SET, name) || !isCount(tokens)) return undefined;
      counts[name] = tokens;
    }
    value.sources = counts;
  }
  if (complete !== undefined) {
    if (typeof complete !== 'boolean') return undefined;
    value.complete = complete;
  }
  if (inputTokens !== undefined) {
    if (!isCount(inputTokens)) return undefined;
    value.inputTokens = inputTokens;
  }
  return parseTimes(input, value) ? value : undefined;
}

function parseAttemptStart(input: unknown): Output<typeof attemptStartSchema> | undefined {
  if (!isPlainObject(input)) return undefined;
  const { number, trigger, startTime } = input;
  const value: Output<typeof attemptStartSchema> = {};
  if (number !== undefined) {
    if (!isCount(number) || number < 1) return undefined;
    value.number = number;
  }
  if (trigger !== undefined) {
    if (!isMember(ATTEMPT_TRIGGER_SET, trigger)) return undefined;
    value.trigger = trigger;
  }
  if (startTime !== undefined) {
    const date = toDate(startTime);
    if (date === undefined) return undefined;
    value.startTime = date;
  }
  return value;
}

function parseAttemptVerification(input: unknown): Output<typeof attemptVerificationSchema> | undefined {
  return isPlainObject(input) ? parseVerificationFields(input) : undefined;
}

function parseVerification(input: unknown): Output<typeof verificationSchema> | undefined {
  if (!isPlainObject(input)) return undefined;
  const attempt = input.attempt;
  if (!isCount(attempt) || attempt < 1) return undefined;
  const value = parseVerificationFields(input);
  return value === undefined ? undefined : Object.assign(value, { attempt });
}

function parseVerificationFields(input: Fields): Output<typeof attemptVerificationSchema> | undefined {
  const { result, failureClass, output, signature, previousSignature, feedbackSpecific, pipelineName } = input;
  if (!isMember(PIPELINE_RESULT_SET, result)) return undefined;
  const value: Output<typeof attemptVerificationSchema> = { result };
  if (failureClass !== undefined) {
    if (!isMember(FAILURE_CLASS_SET, failureClass)) return undefined;
    value.failureClass = failureClass;
  }
  if (output !== undefined) {
    // A Buffer is decoded by the schema.
    if (typeof output !== 'string' || output.length > MAX_OUTPUT_LENGTH) return undefined;
    value.output = output;
  }
  if (signature !== undefined) {
    if (!isLabel(signature, 128)) return undefined;
    value.signature = signature;
  }
  if (previousSignature !== undefined) {
    if (previousSignature !== null && !isLabel(previousSignature, 128)) return undefined;
    value.previousSignature = previousSignature;
  }
  if (feedbackSpecific !== undefined) {
    if (typeof feedbackSpecific !== 'boolean') return undefined;
    value.feedbackSpecific = feedbackSpecific;
  }
  if (pipelineName !== undefined) {
    if (!isLabel(pipelineName, 256)) return undefined;
    value.pipelineName = pipelineName;
  }
  return parseTimes(input, value) ? value : undefined;
}

function parseUsage(input: unknown): Output<typeof usageSchema> | undefined {
  if (!isPlainObject(input)) return undefined;
  const value: Output<typeof usageSchema> = {};
  return parseUsageFields(input, value) ? value : undefined;
}

function parseAttemptEnd(input: unknown): Output<typeof attemptEndSchema> | undefined {
  if (!isPlainObject(input)) return undefined;
  const { endTime, change } = input;
  // A change is a list of files, which is left to the schema.
  if (change !== undefined) return undefined;
  const value: Output<typeof attemptEndSchema> = {};
  if (!parseUsageFields(input, value)) return undefined;
  if (endTime !== undefined) {
    const date = toDate(endTime);
    if (date === undefined) return undefined;
    value.endTime = date;
  }
  return value;
}

// Copies the usage fields of `input` into `value`. Returns false when one is invalid.
function parseUsageFields(input: Fields, value: Output<typeof usageSchema>): boolean {
  const { inputTokens, outputTokens, cacheReadInputTokens, cacheCreationInputTokens, costUsd } = input;
  if (inputTokens !== undefined) {
    if (!isCount(inputTokens)) return false;
    value.inputTokens = inputTokens;
  }
  if (outputTokens !== undefined) {
    if (!isCount(outputTokens)) return false;
    value.outputTokens = outputTokens;
  }
  if (cacheReadInputTokens !== undefined) {
    if (!isCount(cacheReadInputTokens)) return false;
    value.cacheReadInputTokens = cacheReadInputTokens;
  }
  if (cacheCreationInputTokens !== undefined) {
    if (!isCount(cacheCreationInputTokens)) return false;
    value.cacheCreationInputTokens = cacheCreationInputTokens;
  }
  if (costUsd !== undefined) {
    if (!isAmount(costUsd)) return false;
    value.costUsd = costUsd;
  }
  return true;
}

function parseReview(input: unknown): Output<typeof reviewSchema> | undefined {
  if (!isPlainObject(input)) return undefined;
  const { state, humanModified, rounds, approvals, failureClass } = input;
  const openedAt = toDate(input.openedAt);
  const closedAt = toDate(input.closedAt);
  if (openedAt === undefined || closedAt === undefined || closedAt.getTime() < openedAt.getTime()) return undefined;
  if (!isMember(REVIEW_END_STATE_SET, state) || typeof humanModified !== 'boolean') return undefined;

  const value: Output<typeof reviewSchema> = { openedAt, closedAt, state, humanModified };
  if (rounds !== undefined) {
    if (!isCount(rounds)) return undefined;
    value.rounds = rounds;
  }
  if (approvals !== undefined) {
    if (!isCount(approvals)) return undefined;
    value.approvals = approvals;
  }
  if (failureClass !== undefined) {
    if (!isMember(FAILURE_CLASS_SET, failureClass)) return undefined;
    value.failureClass = failureClass;
  }
  return value;
}

function parseDeployment(input: unknown): Output<typeof deploymentSchema> | undefined {
  if (!isPlainObject(input)) return undefined;
  const { environment = 'production', succeeded = true, revision } = input;
  const commitAt = toDate(input.commitAt);
  const deployedAt = toDate(input.deployedAt);
  if (commitAt === undefined || deployedAt === undefined || deployedAt.getTime() < commitAt.getTime()) return undefined;
  if (!isLabel(environment, 128) || typeof succeeded !== 'boolean') return undefined;

  const value: Output<typeof deploymentSchema> = { commitAt, deployedAt, environment, succeeded };
  if (revision !== undefined) {
    if (!isLabel(revision, 128)) return undefined;
    value.revision = revision;
  }
  return value;
}

function parseOutcome(input: unknown): Output<typeof outcomeSchema> | undefined {
  if (!isPlainObject(input)) return undefined;
  const { status, at, attempts, firstAttemptPassed, humanModified, costUsd, contextComplete } = input;
  if (!isMember(OUTCOME_STATUS_SET, status)) return undefined;
  const value: Output<typeof outcomeSchema> = { status };
  if (at !== undefined) {
    const date = toDate(at);
    if (date === undefined) return undefined;
    value.at = date;
  }
  if (attempts !== undefined) {
    if (!isCount(attempts)) return undefined;
    value.attempts = attempts;
  }
  if (firstAttemptPassed !== undefined) {
    if (typeof firstAttemptPassed !== 'boolean') return undefined;
    value.firstAttemptPassed = firstAttemptPassed;
  }
  if (humanModified !== undefined) {
    if (typeof humanModified !== 'boolean') return undefined;
    value.humanModified = humanModified;
  }
  if (costUsd !== undefined) {
    if (!isAmount(costUsd)) return undefined;
    value.costUsd = costUsd;
  }
  if (contextComplete !== undefined) {
    if (typeof contextComplete !== 'boolean') return undefined;
    value.contextComplete = contextComplete;
  }
  return value;
}

// Copies the optional startTime and endTime of `input` into `value`. Returns
// false when one is invalid or the end comes before the start.
function parseTimes(input: Fields, value: { startTime?: Date | undefined; endTime?: Date | undefined }): boolean {
  const { startTime, endTime } = input;
  if (startTime !== undefined) {
    const date = toDate(startTime);
    if (date === undefined) return false;
    value.startTime = date;
  }
  if (endTime !== undefined) {
    const date = toDate(endTime);
    if (date === undefined) return false;
    value.endTime = date;
  }
  return value.startTime === undefined || value.endTime === undefined || value.endTime.getTime() >= value.startTime.getTime();
}

// A time as the schema turns it into a new Date. ISO 8601 strings are left to
// the schema, which checks their format.
function toDate(value: unknown): Date | undefined {
  let millis: number;
  if (value instanceof Date) millis = value.getTime();
  else if (typeof value === 'number' && Number.isFinite(value) && value >= 0) millis = value;
  else return undefined;
  const date = new Date(millis);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function isPlainObject(value: unknown): value is Fields {
  if (value === null || typeof value !== 'object') return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function isLabel(value: unknown, max: number): value is string {
  return typeof value === 'string' && value.length >= 1 && value.length <= max && !CONTROL_CHARACTER.test(value);
}

// zod's int() accepts safe integers only.
function isCount(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

function isAmount(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

function isMember<T extends string>(set: ReadonlySet<T>, value: unknown): value is T {
  return (set as ReadonlySet<unknown>).has(value);
}
