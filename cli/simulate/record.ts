import type { FactoryTelemetry, ResumedIdentity } from '../../sdk/index.js';
import type { RunPlan } from './plan.js';

/**
 * Recording: replays run plans through the public SDK, split the way a real
 * factory splits them between processes. The harness starts each run and
 * records its context, attempts and CI runs. A webhook handler resumes the run
 * by its id and records the review and the outcome. A deploy job resumes it and
 * records the deployments. Each role gets its own FactoryTelemetry, so the
 * roles can run in one process (recordPlans) or in three (live mode).
 */

export const ROLES = ['harness', 'webhook', 'deploy'] as const;
export type Role = (typeof ROLES)[number];

/** One FactoryTelemetry per role. */
export type RoleTelemetry = Record<Role, FactoryTelemetry>;

export interface RecordOptions {
  /**
   * Pending spans in a telemetry's own export queue above which recording
   * waits for the exporter, so that a fast simulation does not overflow the
   * queue. Default 4000. Has no effect on a telemetry that records through a
   * provider it was given.
   */
  maxPendingSpans?: number;
  /** Called after every `progressEvery` runs with the number recorded so far. */
  onProgress?: (recorded: number) => void;
  /** Default 1000. */
  progressEvery?: number;
}

/** Records every plan with each role's telemetry. Resolves when all are recorded; does not flush. */
export async function recordPlans(plans: readonly RunPlan[], roles: RoleTelemetry, options: RecordOptions = {}): Promise<void> {
  await forEachRun(plans, [roles.harness, roles.webhook, roles.deploy], options, (plan) => {
    recordHarness(roles.harness, plan);
    recordWebhook(roles.webhook, plan);
    recordDeploy(roles.deploy, plan);
  });
}

/** Records one role's part of every plan, as one process of the live mode does. */
export async function recordRole(role: Role, plans: readonly RunPlan[], telemetry: FactoryTelemetry, options: RecordOptions = {}): Promise<void> {
  const record = RECORDERS[role];
  await forEachRun(plans, [telemetry], options, (plan) => record(telemetry, plan));
}

/** Records the harness's part: starts the run, records its context, attempts and their CI runs, and ends it. */
export function recordHarness(telemetry: FactoryTelemetry, plan: RunPlan): void {
  const run = telemetry.startRun({
    runId: plan.runId,
    repository: plan.repository,
    changeId: plan.changeId,
    model: plan.model,
    provider: plan.provider,
    complexity: plan.complexity,
    team: plan.team,
    experiment: plan.experiment,
    startTime: plan.startTime,
  });
  run.recordContext({ sources: plan.context.sources, complete: plan.context.complete, startTime: plan.context.startTime, endTime: plan.context.endTime });

  for (const planned of plan.attempts) {
    const attempt = run.startAttempt({ number: planned.number, trigger: planned.trigger, startTime: planned.startTime });
    const verification = planned.verification;
    attempt.recordVerification({
      result: verification.result,
      failureClass: verification.failureClass,
      signature: verification.signature,
      feedbackSpecific: verification.feedbackSpecific,
      pipelineName: 'ci',
      startTime: verification.startTime,
      endTime: verification.endTime,
    });
    attempt.end({ endTime: planned.endTime, inputTokens: planned.inputTokens, outputTokens: planned.outputTokens, costUsd: planned.costUsd });
  }
  run.end(plan.harnessEnd);
}

/**
 * Records the webhook handler's part: the review from pull request opened to
 * merged or closed, and the outcome. It did not see the attempts, so it passes their
 * facts to recordOutcome, as a real handler reads them from the pull request.
 */
export function recordWebhook(telemetry: FactoryTelemetry, plan: RunPlan): void {
  const run = telemetry.resumeRun(plan.runId, resumedIdentity(plan));
  const review = plan.review;
  run.recordReview({
    openedAt: review.openedAt,
    closedAt: review.closedAt,
    state: review.state,
    humanModified: review.humanModified,
    rounds: review.rounds,
    approvals: review.approvals,
    failureClass: review.failureClass,
  });
  const outcome = plan.outcome;
  run.recordOutcome({
    status: outcome.status,
    at: outcome.at,
    attempts: outcome.attempts,
    firstAttemptPassed: outcome.firstAttemptPassed,
    humanModified: outcome.humanModified,
    costUsd: outcome.costUsd,
    contextComplete: outcome.contextComplete,
  });
}

/** Records the deploy job's part: each production deployment of the merged commit, failed ones included. */
export function recordDeploy(telemetry: FactoryTelemetry, plan: RunPlan): void {
  if (plan.deployments.length === 0) return;
  const run = telemetry.resumeRun(plan.runId, resumedIdentity(plan));
  for (const deployment of plan.deployments) {
    run.recordDeployment({ commitAt: deployment.commitAt, deployedAt: deployment.deployedAt, environment: 'production', succeeded: deployment.succeeded });
  }
}

const RECORDERS: Record<Role, (telemetry: FactoryTelemetry, plan: RunPlan) => void> = {
  harness: recordHarness,
  webhook: recordWebhook,
  deploy: recordDeploy,
};

function resumedIdentity(plan: RunPlan): ResumedIdentity {
  return {
    repository: plan.repository,
    changeId: plan.changeId,
    model: plan.model,
    provider: plan.provider,
    complexity: plan.complexity,
    team: plan.team,
    experiment: plan.experiment,
  };
}

const YIELD_EVERY = 200;

// Records in slices, yielding to the event loop between them so that the
// exporters can send, and waits while an export queue is fuller than allowed.
async function forEachRun(plans: readonly RunPlan[], telemetries: FactoryTelemetry[], options: RecordOptions, record: (plan: RunPlan) => void): Promise<void> {
  const maxPending = options.maxPendingSpans ?? 4000;
  const progressEvery = options.progressEvery ?? 1000;
  for (let index = 0; index < plans.length; index += 1) {
    record(plans[index]!);
    const recorded = index + 1;
    if (options.onProgress !== undefined && recorded % progressEvery === 0) options.onProgress(recorded);
    if (recorded % YIELD_EVERY !== 0) continue;
    await new Promise((resolve) => setImmediate(resolve));
    while (telemetries.some((telemetry) => (telemetry.stats().export?.pending ?? 0) > maxPending)) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
}
