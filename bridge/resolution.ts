import { parseRunBranchName, TASK_COMPLEXITIES, type AuthorKind, type PullRequestLink, type TaskComplexity } from '../sdk/index.js';
import type { RecordedIdentity, Recording } from './recording.js';
import type { DeploymentRow, PullRequestRow } from './store.js';

/** How the bridge decides who is the agent and which deployments count. */
export interface ResolutionPolicy {
  /**
   * GitHub logins of the agents. A push by any other login to an agent's pull
   * request is a human modification. Empty: the pull request's author is the agent.
   */
  agentLogins: readonly string[];
  /** Environments whose successful deployment ends stage F. */
  productionEnvironments: readonly string[];
  /** Whether completed check suites and workflow runs become factory.verification spans. */
  recordVerifications: boolean;
}

/** Everything the state store has about a pull request when it resolves. */
export interface ResolutionInput {
  row: PullRequestRow;
  status: 'merged' | 'closed' | 'abandoned';
  now: number;
  branchLinkRunId: string | null;
  /** Head commits in push order, with who pushed them. */
  heads: { sha: string; pusher: string; pushed_at: number }[];
  reviews: string[];
  checks: { sha: string; name: string; conclusion: string; started_at: number | null; completed_at: number }[];
}

export interface Resolution {
  runId: string;
  recorded: { identity: RecordedIdentity; authorKind: AuthorKind };
  recordings: Recording[];
}

/** Model name of the runs recorded for pull requests with no run id. */
export const HUMAN_MODEL = 'human';

// CI conclusions that do not fail a commit.
const PASSING_CONCLUSIONS = new Set(['success', 'neutral', 'skipped']);

/**
 * Decides the run of a resolved pull request and the SDK calls that record it.
 *
 * - Linked (body marker, `factory/<run id>` branch, or a pushed `Factory-Run-Id`
 *   trailer): the agent's run. Attempts are the distinct head commits the agent
 *   pushed; a head commit pushed by anyone else is a human modification; the first
 *   attempt passed when every completed CI pipeline on its commit passed, and at
 *   least one did.
 * - Not linked: a human baseline run `github:<owner>/<name>/pull/<number>` with
 *   model `human`, recorded with a root span and a review but no outcome, so that
 *   it never enters the success ratios.
 */
export function resolvePullRequest(input: ResolutionInput, policy: ResolutionPolicy): Resolution {
  const { row, status, now } = input;
  const bodyLink = row.body_link === null ? undefined : (JSON.parse(row.body_link) as PullRequestLink);
  const linkedRunId = bodyLink?.runId ?? parseRunBranchName(row.head_ref) ?? input.branchLinkRunId ?? undefined;
  const authorKind: AuthorKind = linkedRunId === undefined ? 'human' : 'agent';
  const runId = linkedRunId ?? `github:${row.repository}/pull/${row.number}`;

  const labels = JSON.parse(row.labels) as string[];
  const complexity = bodyLink?.complexity ?? complexityFromLabels(labels) ?? (authorKind === 'human' ? complexityFromSize(row.lines_changed) : undefined);
  const identity: RecordedIdentity = {
    repository: row.repository,
    changeId: String(row.number),
    ...(authorKind === 'human' ? { model: HUMAN_MODEL } : {}),
    ...(bodyLink?.model !== undefined ? { model: bodyLink.model } : {}),
    ...(bodyLink?.provider !== undefined ? { provider: bodyLink.provider } : {}),
    ...(complexity !== undefined ? { complexity } : {}),
  };
  const base = { runId, authorKind, identity };

  const agents = new Set(policy.agentLogins.length > 0 ? policy.agentLogins : [row.author]);
  const agentHeads = input.heads.filter((head) => agents.has(head.pusher));
  // NOTE: the pusher decides, not the commit author: a person's "Update branch" merge counts as a human change, and a person's commit pushed by the agent does not.
  const humanModified = authorKind === 'human' || input.heads.some((head) => !agents.has(head.pusher));
  const attempts = Math.max(1, agentHeads.length);
  const firstSha = agentHeads[0]?.sha;
  const firstChecks = input.checks.filter((check) => check.sha === firstSha);
  const firstAttemptPassed = firstChecks.length > 0 && firstChecks.every((check) => PASSING_CONCLUSIONS.has(check.conclusion));

  const endTime = row.closed_at ?? now;
  const recordings: Recording[] = [];
  if (authorKind === 'human') recordings.push({ ...base, kind: 'run', startTime: row.opened_at, endTime: Math.max(endTime, row.opened_at) });

  if (policy.recordVerifications) {
    for (const check of input.checks) {
      const attempt = attemptOf(check.sha, input.heads, agents);
      recordings.push({
        ...base,
        kind: 'verification',
        attempt,
        result: pipelineResult(check.conclusion),
        pipelineName: check.name,
        startTime: check.started_at !== null && check.started_at <= check.completed_at ? check.started_at : null,
        endTime: check.completed_at,
      });
    }
  }

  if (status !== 'abandoned') {
    recordings.push({
      ...base,
      kind: 'review',
      openedAt: row.opened_at,
      closedAt: Math.max(endTime, row.opened_at),
      state: status,
      humanModified,
      rounds: input.reviews.filter((state) => state === 'changes_requested').length,
      approvals: input.reviews.filter((state) => state === 'approved').length,
    });
  }
  if (authorKind === 'agent') {
    recordings.push({ ...base, kind: 'outcome', status, at: status === 'abandoned' ? now : endTime, attempts, firstAttemptPassed, humanModified });
  }
  return { runId, recorded: { identity, authorKind }, recordings };
}

/**
 * Whether a successful deployment contains a merged pull request's commit: it
 * deployed the merge commit, lists it among its commits, or deployed the base
 * branch by name after the merge. The last rule assumes the base branch only
 * moves forward, as protected branches do.
 */
export function matchesDeployment(row: PullRequestRow, deployment: DeploymentRow): boolean {
  if (row.repository !== deployment.repository || row.merged_at === null || deployment.deployed_at < row.merged_at) return false;
  if (row.merge_sha !== null && deployment.sha === row.merge_sha) return true;
  if (row.merge_sha !== null && (JSON.parse(deployment.commits) as string[]).includes(row.merge_sha)) return true;
  return deployment.ref !== null && deployment.ref === row.base_ref && deployment.created_at >= row.merged_at;
}

// A commit's attempt: the agent pushes up to and including it, at least 1.
function attemptOf(sha: string, heads: ResolutionInput['heads'], agents: Set<string>): number {
  const index = heads.findIndex((head) => head.sha === sha);
  const upTo = index === -1 ? heads : heads.slice(0, index + 1);
  return Math.max(1, upTo.filter((head) => agents.has(head.pusher)).length);
}

function pipelineResult(conclusion: string): Extract<Recording, { kind: 'verification' }>['result'] {
  switch (conclusion) {
    case 'success':
    case 'neutral':
      return 'success';
    case 'skipped':
      return 'skip';
    case 'cancelled':
      return 'cancellation';
    case 'timed_out':
      return 'timeout';
    case 'failure':
      return 'failure';
    default:
      return 'error';
  }
}

/** Reads a `complexity:<value>` or `complexity/<value>` label. */
function complexityFromLabels(labels: string[]): TaskComplexity | undefined {
  for (const label of labels) {
    const match = /^complexity[:/]\s*([a-z]+)$/i.exec(label.trim());
    const value = match?.[1]?.toLowerCase();
    if (value !== undefined && (TASK_COMPLEXITIES as readonly string[]).includes(value)) return value as TaskComplexity;
  }
  return undefined;
}

/**
 * Estimates a human pull request's complexity from its changed lines, so that it
 * can be compared with agent runs: up to 10 lines trivial, up to 200 standard, up
 * to 1000 complex, more architectural.
 */
export function complexityFromSize(linesChanged: number | null): TaskComplexity | undefined {
  if (linesChanged === null) return undefined;
  if (linesChanged <= 10) return 'trivial';
  if (linesChanged <= 200) return 'standard';
  if (linesChanged <= 1000) return 'complex';
  return 'architectural';
}
