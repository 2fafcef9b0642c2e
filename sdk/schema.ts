import { z } from 'zod';
import {
  ATTEMPT_TRIGGERS,
  CICD_PIPELINE_RESULTS,
  CONTEXT_SOURCES,
  FAILURE_CLASSES,
  OUTCOME_STATUSES,
  REVIEW_END_STATES,
  TASK_COMPLEXITIES,
} from './semconv.js';

/**
 * zod schemas for every value that enters the SDK. Types exported from here are
 * the SDK's public input types; see index.ts.
 */

// Times accept a Date, epoch milliseconds or an ISO 8601 string with an offset.
const time = z
  .union([z.date(), z.number().finite().nonnegative(), z.iso.datetime({ offset: true })], {
    error: 'expected a Date, epoch milliseconds, or an ISO 8601 string with a time zone such as 2026-12-01T09:00:00Z',
  })
  .transform((value) => new Date(value))
  .refine((date) => !Number.isNaN(date.getTime()), 'expected a valid time');

const label = (max: number) =>
  z
    .string()
    .min(1, 'expected a non-empty string')
    .max(max, `expected at most ${max} characters`)
    .regex(/^[^\p{Cc}]*$/u, 'expected no control characters');

const count = z.number().int('expected an integer').nonnegative('expected 0 or more');

export const runIdSchema = label(256);

export const runIdentitySchema = z.object({
  runId: runIdSchema.optional(),
  repository: label(512),
  changeId: z
    .union([label(128), z.number().int().nonnegative()], { error: 'expected a pull request number or a non-empty string' })
    .transform(String)
    .optional(),
  model: label(256),
  provider: label(128).optional(),
  complexity: z.enum(TASK_COMPLEXITIES),
  team: label(256).optional(),
  experiment: z.object({ name: label(256), arm: label(256) }).optional(),
  startTime: time.optional(),
  /** Extra attributes for the root span; nested objects are flattened to dotted keys. */
  attributes: z.record(z.string(), z.unknown()).optional(),
});

// A process that resumes a run may know only part of its identity.
export const resumedIdentitySchema = runIdentitySchema
  .omit({ runId: true, startTime: true, attributes: true })
  .partial();

export const contextSchema = z
  .object({
    /** Token count of each context source that went in; the keys form the source set. */
    sources: z.partialRecord(z.enum(CONTEXT_SOURCES), count).optional(),
    /** The harness's own judgement that the context was complete for the task. */
    complete: z.boolean().optional(),
    inputTokens: count.optional(),
    startTime: time.optional(),
    endTime: time.optional(),
  })
  .refine(endNotBeforeStart('startTime', 'endTime'), {
    path: ['endTime'],
    message: 'expected endTime at or after startTime',
  });

export const attemptStartSchema = z.object({
  number: z.number().int().min(1, 'expected 1 or more').optional(),
  trigger: z.enum(ATTEMPT_TRIGGERS).optional(),
  startTime: time.optional(),
});

const hash = z
  .string()
  .min(1, 'expected a non-empty hash')
  .max(256, 'expected at most 256 characters')
  .regex(/^[0-9A-Za-z+/=:_-]+$/, 'expected a hash (hex or base64), not content');

/**
 * The attempt's change, described by hashes and sizes only, because the SDK never receives
 * the diff itself.
 */
export const changeSchema = z.object({
  /** A hash of the whole change, e.g. the diff's SHA-256 or the tree's git hash. */
  hash: hash.optional(),
  /** One entry per changed file: the path (hashed before recording) and a hash of its new content. */
  files: z.array(z.object({ path: z.string().min(1).max(4096), hash, bytes: count.optional() })).max(100_000).optional(),
  bytes: count.optional(),
  linesAdded: count.optional(),
  linesRemoved: count.optional(),
});

export const usageSchema = z.object({
  inputTokens: count.optional(),
  outputTokens: count.optional(),
  cacheReadInputTokens: count.optional(),
  cacheCreationInputTokens: count.optional(),
  /** Cost of the attempt in US dollars. */
  costUsd: z.number().finite().nonnegative('expected 0 or more').optional(),
});

export const attemptEndSchema = usageSchema.extend({
  endTime: time.optional(),
  change: changeSchema.optional(),
});

const verificationFields = {
  result: z.enum(CICD_PIPELINE_RESULTS),
  /** Overrides the class that the classifier derives from `output`. */
  failureClass: z.enum(FAILURE_CLASSES).optional(),
  /**
   * The CI output the attempt got back. Used only to compute the failure
   * signature, class and feedback specificity; never recorded.
   */
  output: z
    .union([z.string(), z.instanceof(Uint8Array).transform((bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'))], {
      error: 'expected the CI output as a string or a Buffer',
    })
    .pipe(z.string().max(64 * 1024 * 1024, 'expected at most 64 MiB of CI output'))
    .optional(),
  /** A failure signature computed elsewhere (e.g. by `failureSignature`); overrides `output`. */
  signature: label(128).optional(),
  /** The previous attempt's signature, when another process recorded it; `null` when it passed. */
  previousSignature: z.union([label(128), z.null()]).optional(),
  /** Overrides the specificity derived from `output`. */
  feedbackSpecific: z.boolean().optional(),
  pipelineName: label(256).optional(),
  startTime: time.optional(),
  endTime: time.optional(),
};

export const attemptVerificationSchema = z
  .object(verificationFields)
  .refine(endNotBeforeStart('startTime', 'endTime'), {
    path: ['endTime'],
    message: 'expected endTime at or after startTime',
  });

export const verificationSchema = z
  .object({ attempt: z.number().int().min(1, 'expected 1 or more'), ...verificationFields })
  .refine(endNotBeforeStart('startTime', 'endTime'), {
    path: ['endTime'],
    message: 'expected endTime at or after startTime',
  });

export const reviewSchema = z
  .object({
    openedAt: time,
    closedAt: time,
    state: z.enum(REVIEW_END_STATES),
    humanModified: z.boolean(),
    /** Review rounds (changes requested, then updated). */
    rounds: count.optional(),
    approvals: count.optional(),
    /** A reviewer's verdict on why the run's code fell short, e.g. requirements_gap. */
    failureClass: z.enum(FAILURE_CLASSES).optional(),
  })
  .refine(endNotBeforeStart('openedAt', 'closedAt'), {
    path: ['closedAt'],
    message: 'expected closedAt at or after openedAt',
  });

export const deploymentSchema = z
  .object({
    commitAt: time,
    deployedAt: time,
    environment: label(128).default('production'),
    succeeded: z.boolean().default(true),
    revision: label(128).optional(),
  })
  .refine(endNotBeforeStart('commitAt', 'deployedAt'), {
    path: ['deployedAt'],
    message: 'expected deployedAt at or after commitAt',
  });

export const outcomeSchema = z.object({
  status: z.enum(OUTCOME_STATUSES),
  at: time.optional(),
  attempts: count.optional(),
  firstAttemptPassed: z.boolean().optional(),
  humanModified: z.boolean().optional(),
  /** Total AI cost of the run in US dollars; default the sum of the attempts' costs recorded in this process. */
  costUsd: z.number().finite().nonnegative('expected 0 or more').optional(),
  /** Whether the run's context was complete; default the value recordContext recorded in this process. */
  contextComplete: z.boolean().optional(),
});

export type RunIdentity = z.input<typeof runIdentitySchema>;
export type ResumedIdentity = z.input<typeof resumedIdentitySchema>;
export type ContextInput = z.input<typeof contextSchema>;
export type AttemptStartInput = z.input<typeof attemptStartSchema>;
export type AttemptEndInput = z.input<typeof attemptEndSchema>;
export type UsageInput = z.input<typeof usageSchema>;
export type ChangeInput = z.input<typeof changeSchema>;
export type AttemptVerificationInput = z.input<typeof attemptVerificationSchema>;
/** A verification after validation, with times as Dates. */
export type AttemptVerification = z.output<typeof attemptVerificationSchema>;
export type VerificationInput = z.input<typeof verificationSchema>;
export type ReviewInput = z.input<typeof reviewSchema>;
export type DeploymentInput = z.input<typeof deploymentSchema>;
export type OutcomeInput = z.input<typeof outcomeSchema>;
/** A point in time: a Date, epoch milliseconds, or an ISO 8601 string with an offset. */
export type TimeInput = z.input<typeof time>;

/** Schema of a single point in time, for calls that take only a time. */
export const timeSchema = time;

function endNotBeforeStart(startKey: string, endKey: string) {
  return (value: Record<string, unknown>): boolean => {
    const start = value[startKey];
    const end = value[endKey];
    if (!(start instanceof Date) || !(end instanceof Date)) return true;
    return end.getTime() >= start.getTime();
  };
}
