import { z } from 'zod';
import {
  CICD_PIPELINE_RESULTS,
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
  .union([
    z.date(),
    z.number().finite().nonnegative(),
    z.iso.datetime({ offset: true }),
  ])
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
  changeId: z.union([label(128), z.number().int().nonnegative()]).transform(String).optional(),
  model: label(256),
  provider: label(128).optional(),
  complexity: z.enum(TASK_COMPLEXITIES),
  team: label(256).optional(),
  experiment: z.object({ name: label(256), arm: label(256) }).optional(),
  startTime: time.optional(),
});

// A process that resumes a run may know only part of its identity.
export const resumedIdentitySchema = runIdentitySchema
  .omit({ runId: true, startTime: true })
  .partial();

export const contextSchema = z
  .object({
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
  startTime: time.optional(),
});

export const attemptEndSchema = z.object({
  endTime: time.optional(),
  inputTokens: count.optional(),
  outputTokens: count.optional(),
  costUsd: z.number().finite().nonnegative('expected 0 or more').optional(),
});

export const verificationSchema = z
  .object({
    attempt: z.number().int().min(1, 'expected 1 or more'),
    result: z.enum(CICD_PIPELINE_RESULTS),
    failureClass: z.enum(FAILURE_CLASSES).optional(),
    pipelineName: label(256).optional(),
    startTime: time.optional(),
    endTime: time.optional(),
  })
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
});

export type RunIdentity = z.input<typeof runIdentitySchema>;
export type ResumedIdentity = z.input<typeof resumedIdentitySchema>;
export type ContextInput = z.input<typeof contextSchema>;
export type AttemptStartInput = z.input<typeof attemptStartSchema>;
export type AttemptEndInput = z.input<typeof attemptEndSchema>;
export type VerificationInput = z.input<typeof verificationSchema>;
export type ReviewInput = z.input<typeof reviewSchema>;
export type DeploymentInput = z.input<typeof deploymentSchema>;
export type OutcomeInput = z.input<typeof outcomeSchema>;
/** A point in time: a Date, epoch milliseconds, or an ISO 8601 string with an offset. */
export type TimeInput = z.input<typeof time>;

function endNotBeforeStart(startKey: string, endKey: string) {
  return (value: Record<string, unknown>): boolean => {
    const start = value[startKey];
    const end = value[endKey];
    if (!(start instanceof Date) || !(end instanceof Date)) return true;
    return end.getTime() >= start.getTime();
  };
}
