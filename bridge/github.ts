import type { EmitterWebhookEvent } from '@octokit/webhooks';
import { z } from 'zod';
import { parseRunIdTrailer } from '../sdk/index.js';
import type { BridgeEvent, PullRequestFacts } from './events.js';

/**
 * Turns a verified GitHub webhook payload into a bridge event. The payload types
 * come from @octokit/webhooks; zod checks at run time the fields the bridge reads,
 * because a correct signature proves who sent a payload, not that it has them.
 */

/** The result of parsing a payload: an event, a reason to ignore it, or a validation error. */
export type ParsedDelivery =
  | { kind: 'event'; event: BridgeEvent }
  | { kind: 'ignored'; reason: string }
  | { kind: 'invalid'; message: string };

/** The GitHub events the bridge subscribes to; everything else is acknowledged with 202 and ignored. */
export const GITHUB_EVENTS = ['pull_request', 'pull_request_review', 'check_suite', 'workflow_run', 'deployment_status', 'push', 'ping'] as const;

// Every GitHub Actions workflow run also completes a check suite of this app, which would count the run twice.
const GITHUB_ACTIONS_APP = 'github-actions';

const PULL_REQUEST_ACTIONS = ['opened', 'reopened', 'synchronize', 'closed', 'edited', 'ready_for_review', 'labeled', 'unlabeled'] as const;

/** Parses the payload of the GitHub event `name`. */
export function parseGithubEvent(name: string, payload: unknown): ParsedDelivery {
  switch (name) {
    case 'pull_request':
      return parsePullRequest(payload as EmitterWebhookEvent<'pull_request'>['payload']);
    case 'pull_request_review':
      return parseReview(payload as EmitterWebhookEvent<'pull_request_review'>['payload']);
    case 'check_suite':
      return parseCheckSuite(payload as EmitterWebhookEvent<'check_suite'>['payload']);
    case 'workflow_run':
      return parseWorkflowRun(payload as EmitterWebhookEvent<'workflow_run'>['payload']);
    case 'deployment_status':
      return parseDeploymentStatus(payload as EmitterWebhookEvent<'deployment_status'>['payload']);
    case 'push':
      return parsePush(payload as EmitterWebhookEvent<'push'>['payload']);
    case 'ping':
      return { kind: 'ignored', reason: 'ping' };
    default:
      return { kind: 'ignored', reason: `event ${name} is not used by the bridge` };
  }
}

const time = z.string().refine((text) => !Number.isNaN(Date.parse(text)), 'expected an ISO 8601 time');
const optionalTime = time.nullable().optional();
const sha = z.string().regex(/^[0-9a-f]{7,64}$/, 'expected a commit SHA');

const repositorySchema = z.object({ full_name: z.string().min(1).max(512) });

const pullRequestSchema = z.object({
  number: z.number().int().positive(),
  body: z.string().nullable().optional(),
  user: z.object({ login: z.string() }).nullable(),
  created_at: time,
  updated_at: optionalTime,
  closed_at: optionalTime,
  merged_at: optionalTime,
  merged: z.boolean().nullable().optional(),
  merge_commit_sha: z.string().nullable().optional(),
  head: z.object({ ref: z.string(), sha }),
  base: z.object({ ref: z.string() }),
  labels: z.array(z.object({ name: z.string() })).optional(),
  additions: z.number().int().nonnegative().optional(),
  deletions: z.number().int().nonnegative().optional(),
});

const senderSchema = z.object({ login: z.string() }).nullable().optional();

// Built once: zod compiles a schema on its first use.
const pullRequestEventSchema = z.object({ pull_request: pullRequestSchema, repository: repositorySchema, sender: senderSchema, after: sha.nullable().optional() });

const reviewEventSchema = z.object({
  action: z.enum(['submitted', 'edited', 'dismissed']),
  review: z.object({ id: z.number().int(), state: z.string(), submitted_at: optionalTime }),
  pull_request: pullRequestSchema,
  repository: repositorySchema,
});

const checkSuiteEventSchema = z.object({
  check_suite: z.object({
    head_sha: sha,
    conclusion: z.string().nullable(),
    app: z.object({ slug: z.string().optional(), name: z.string() }).nullable().optional(),
    created_at: optionalTime,
    updated_at: time,
  }),
  repository: repositorySchema,
});

const workflowRunEventSchema = z.object({
  workflow_run: z.object({
    head_sha: sha,
    name: z.string().nullable().optional(),
    conclusion: z.string().nullable(),
    run_started_at: optionalTime,
    updated_at: time,
  }),
  repository: repositorySchema,
});

const deploymentStatusEventSchema = z.object({
  deployment_status: z.object({ state: z.string(), created_at: time, environment: z.string().optional() }),
  deployment: z.object({ sha, ref: z.string().nullable().optional(), environment: z.string(), created_at: time }),
  repository: repositorySchema,
});

const pushEventSchema = z.object({
  ref: z.string(),
  repository: repositorySchema,
  commits: z.array(z.object({ message: z.string() })).optional(),
  head_commit: z.object({ message: z.string() }).nullable().optional(),
});

function parsePullRequest(payload: EmitterWebhookEvent<'pull_request'>['payload']): ParsedDelivery {
  const action = z.string().safeParse((payload as { action?: unknown })?.action);
  if (!action.success) return invalid('pull_request', action.error);
  if (!(PULL_REQUEST_ACTIONS as readonly string[]).includes(action.data)) {
    return { kind: 'ignored', reason: `pull_request action ${action.data} does not change a stage` };
  }

  const parsed = pullRequestEventSchema.safeParse(payload);
  if (!parsed.success) return invalid(`pull_request.${action.data}`, parsed.error);
  const { pull_request: pr, repository, sender } = parsed.data;
  return {
    kind: 'event',
    event: {
      type: 'pull_request',
      action: action.data as (typeof PULL_REQUEST_ACTIONS)[number],
      pullRequest: pullRequestFacts(repository.full_name, pr),
      sender: sender?.login ?? '',
      afterSha: parsed.data.after ?? (action.data === 'synchronize' ? pr.head.sha : null),
    },
  };
}

function parseReview(payload: EmitterWebhookEvent<'pull_request_review'>['payload']): ParsedDelivery {
  const parsed = reviewEventSchema.safeParse(payload);
  if (!parsed.success) {
    const action = (payload as { action?: unknown })?.action;
    if (typeof action === 'string' && !['submitted', 'edited', 'dismissed'].includes(action)) {
      return { kind: 'ignored', reason: `pull_request_review action ${action} does not change a stage` };
    }
    return invalid('pull_request_review', parsed.error);
  }
  const { action, review, pull_request: pr, repository } = parsed.data;
  return {
    kind: 'event',
    event: {
      type: 'review',
      action,
      pullRequest: pullRequestFacts(repository.full_name, pr),
      reviewId: String(review.id),
      state: action === 'dismissed' ? 'dismissed' : review.state.toLowerCase(),
      submittedAt: millis(review.submitted_at),
    },
  };
}

function parseCheckSuite(payload: EmitterWebhookEvent<'check_suite'>['payload']): ParsedDelivery {
  const action = (payload as { action?: unknown })?.action;
  if (action !== 'completed') return { kind: 'ignored', reason: `check_suite action ${String(action)} is not completed` };
  const parsed = checkSuiteEventSchema.safeParse(payload);
  if (!parsed.success) return invalid('check_suite.completed', parsed.error);
  const suite = parsed.data.check_suite;
  if (suite.app?.slug === GITHUB_ACTIONS_APP) {
    return { kind: 'ignored', reason: 'check suites of GitHub Actions are recorded from their workflow_run events' };
  }
  return {
    kind: 'event',
    event: {
      type: 'check',
      repository: parsed.data.repository.full_name,
      sha: suite.head_sha,
      name: suite.app?.slug ?? suite.app?.name ?? 'check_suite',
      conclusion: suite.conclusion ?? 'stale',
      startedAt: millis(suite.created_at),
      completedAt: Date.parse(suite.updated_at),
    },
  };
}

function parseWorkflowRun(payload: EmitterWebhookEvent<'workflow_run'>['payload']): ParsedDelivery {
  const action = (payload as { action?: unknown })?.action;
  if (action !== 'completed') return { kind: 'ignored', reason: `workflow_run action ${String(action)} is not completed` };
  const parsed = workflowRunEventSchema.safeParse(payload);
  if (!parsed.success) return invalid('workflow_run.completed', parsed.error);
  const run = parsed.data.workflow_run;
  return {
    kind: 'event',
    event: {
      type: 'check',
      repository: parsed.data.repository.full_name,
      sha: run.head_sha,
      name: run.name ?? 'workflow_run',
      conclusion: run.conclusion ?? 'stale',
      startedAt: millis(run.run_started_at),
      completedAt: Date.parse(run.updated_at),
    },
  };
}

function parseDeploymentStatus(payload: EmitterWebhookEvent<'deployment_status'>['payload']): ParsedDelivery {
  const parsed = deploymentStatusEventSchema.safeParse(payload);
  if (!parsed.success) return invalid('deployment_status', parsed.error);
  const { deployment_status: status, deployment, repository } = parsed.data;
  if (status.state !== 'success' && status.state !== 'failure' && status.state !== 'error') {
    return { kind: 'ignored', reason: `deployment_status state ${status.state} is not final` };
  }
  return {
    kind: 'event',
    event: {
      type: 'deployment',
      repository: repository.full_name,
      sha: deployment.sha,
      ref: deployment.ref ?? null,
      environment: status.environment ?? deployment.environment,
      succeeded: status.state === 'success',
      deployedAt: Date.parse(status.created_at),
      createdAt: Date.parse(deployment.created_at),
      commits: [],
    },
  };
}

function parsePush(payload: EmitterWebhookEvent<'push'>['payload']): ParsedDelivery {
  const parsed = pushEventSchema.safeParse(payload);
  if (!parsed.success) return invalid('push', parsed.error);
  if (!parsed.data.ref.startsWith('refs/heads/')) return { kind: 'ignored', reason: `push to ${parsed.data.ref} is not a branch` };
  const messages = [...(parsed.data.commits ?? []).map((commit) => commit.message), parsed.data.head_commit?.message ?? ''];
  const runId = messages.map((message) => parseRunIdTrailer(message)).find((id) => id !== undefined);
  if (runId === undefined) return { kind: 'ignored', reason: 'push has no Factory-Run-Id trailer' };
  return {
    kind: 'event',
    event: { type: 'push', repository: parsed.data.repository.full_name, branch: parsed.data.ref.slice('refs/heads/'.length), runId },
  };
}

function pullRequestFacts(repository: string, pr: z.output<typeof pullRequestSchema>): PullRequestFacts {
  const merged = pr.merged === true || (pr.merged_at !== null && pr.merged_at !== undefined);
  return {
    repository,
    number: pr.number,
    body: pr.body ?? null,
    headRef: pr.head.ref,
    headSha: pr.head.sha,
    baseRef: pr.base.ref,
    author: pr.user?.login ?? '',
    createdAt: Date.parse(pr.created_at),
    updatedAt: millis(pr.updated_at) ?? Date.parse(pr.created_at),
    closedAt: millis(pr.closed_at),
    mergedAt: merged ? (millis(pr.merged_at) ?? millis(pr.closed_at)) : null,
    mergeSha: merged ? (pr.merge_commit_sha ?? null) : null,
    labels: (pr.labels ?? []).map((label) => label.name),
    linesChanged: pr.additions !== undefined && pr.deletions !== undefined ? pr.additions + pr.deletions : null,
  };
}

function millis(text: string | null | undefined): number | null {
  return text === null || text === undefined ? null : Date.parse(text);
}

function invalid(what: string, error: z.ZodError): ParsedDelivery {
  const issues = error.issues.slice(0, 3).map((issue) => `${issue.path.join('.') || '(payload)'}: ${issue.message}`);
  return { kind: 'invalid', message: `invalid ${what} payload: ${issues.join('; ')}` };
}
