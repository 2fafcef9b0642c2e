/**
 * Webhook payloads made for the tests, in the shape GitHub sends them, with only
 * invented accounts and repositories. Each builder returns a delivery with a
 * fresh id unless one is given.
 */
import type { Delivery } from './helpers.js';

export const REPOSITORY = 'example-org/checkout-service';
export const AGENT = 'factory-agent[bot]';
export const REVIEWER = 'reviewer-one';
export const DEVELOPER = 'developer-two';

let sequence = 0;
/** Returns a new delivery id in GitHub's UUID form. */
export function deliveryId(): string {
  sequence += 1;
  return `00000000-0000-4000-8000-${String(sequence).padStart(12, '0')}`;
}

export interface PullRequestShape {
  number: number;
  body?: string | null;
  headRef?: string;
  headSha?: string;
  author?: string;
  createdAt?: string;
  updatedAt?: string;
  closedAt?: string | null;
  mergedAt?: string | null;
  mergeSha?: string | null;
  labels?: string[];
  additions?: number;
  deletions?: number;
}

/** Builds a pull_request object as webhook payloads embed it. */
export function pullRequest(shape: PullRequestShape) {
  const merged = shape.mergedAt !== undefined && shape.mergedAt !== null;
  return {
    url: `https://api.github.com/repos/${REPOSITORY}/pulls/${shape.number}`,
    id: 1_000_000 + shape.number,
    number: shape.number,
    state: shape.closedAt ? 'closed' : 'open',
    title: `Change ${shape.number}`,
    body: shape.body ?? null,
    user: { login: shape.author ?? AGENT, id: 1, type: 'Bot' },
    created_at: shape.createdAt ?? '2026-11-02T09:00:00Z',
    updated_at: shape.updatedAt ?? shape.closedAt ?? shape.createdAt ?? '2026-11-02T09:00:00Z',
    closed_at: shape.closedAt ?? null,
    merged_at: shape.mergedAt ?? null,
    merged,
    merge_commit_sha: shape.mergeSha ?? null,
    head: { ref: shape.headRef ?? `feature/${shape.number}`, sha: shape.headSha ?? sha(`head-${shape.number}`), label: 'example-org:feature' },
    base: { ref: 'main', sha: sha('base'), label: 'example-org:main' },
    labels: (shape.labels ?? []).map((name, index) => ({ id: index + 1, name })),
    additions: shape.additions ?? 40,
    deletions: shape.deletions ?? 10,
    changed_files: 3,
  };
}

const repository = { id: 42, name: 'checkout-service', full_name: REPOSITORY, private: true, owner: { login: 'example-org' } };

export function pullRequestEvent(action: string, shape: PullRequestShape, extra: { sender?: string; after?: string; delivery?: string } = {}): Delivery {
  return {
    event: 'pull_request',
    delivery: extra.delivery ?? deliveryId(),
    payload: {
      action,
      number: shape.number,
      pull_request: pullRequest(shape),
      repository,
      sender: { login: extra.sender ?? shape.author ?? AGENT },
      ...(extra.after !== undefined ? { before: sha('before'), after: extra.after } : {}),
    },
  };
}

export function reviewEvent(state: 'approved' | 'changes_requested' | 'commented', reviewId: number, shape: PullRequestShape, submittedAt: string, delivery?: string): Delivery {
  return {
    event: 'pull_request_review',
    delivery: delivery ?? deliveryId(),
    payload: {
      action: 'submitted',
      review: { id: reviewId, state, user: { login: REVIEWER }, submitted_at: submittedAt, body: null },
      pull_request: pullRequest(shape),
      repository,
      sender: { login: REVIEWER },
    },
  };
}

export function checkSuiteEvent(headSha: string, conclusion: string, completedAt: string, app = 'ci-app'): Delivery {
  return {
    event: 'check_suite',
    delivery: deliveryId(),
    payload: {
      action: 'completed',
      check_suite: { id: 7, head_sha: headSha, head_branch: 'feature', status: 'completed', conclusion, app: { slug: app, name: app }, created_at: shiftIso(completedAt, -600_000), updated_at: completedAt },
      repository,
      sender: { login: 'ci-app[bot]' },
    },
  };
}

export function workflowRunEvent(headSha: string, conclusion: string, completedAt: string, name = 'build'): Delivery {
  return {
    event: 'workflow_run',
    delivery: deliveryId(),
    payload: {
      action: 'completed',
      workflow_run: { id: 9, name, head_sha: headSha, status: 'completed', conclusion, run_started_at: shiftIso(completedAt, -300_000), updated_at: completedAt },
      repository,
      sender: { login: 'ci-app[bot]' },
    },
  };
}

export function deploymentStatusEvent(deployedSha: string, state: string, at: string, options: { environment?: string; ref?: string; createdAt?: string } = {}): Delivery {
  const environment = options.environment ?? 'production';
  return {
    event: 'deployment_status',
    delivery: deliveryId(),
    payload: {
      action: 'created',
      deployment_status: { id: 5, state, environment, created_at: at },
      deployment: { id: 4, sha: deployedSha, ref: options.ref ?? deployedSha, environment, created_at: options.createdAt ?? shiftIso(at, -120_000) },
      repository,
      sender: { login: 'deployer[bot]' },
    },
  };
}

export function pushEvent(branch: string, messages: string[]): Delivery {
  return {
    event: 'push',
    delivery: deliveryId(),
    payload: {
      ref: `refs/heads/${branch}`,
      before: sha('before'),
      after: sha(`push-${branch}`),
      commits: messages.map((message, index) => ({ id: sha(`${branch}-${index}`), message, author: { name: 'Agent', email: 'agent@example.invalid' } })),
      head_commit: null,
      repository,
      pusher: { name: AGENT },
      sender: { login: AGENT },
    },
  };
}

/** Returns a deterministic 40-digit hex SHA for a label. */
export function sha(label: string): string {
  let hex = '';
  let state = 0x811c9dc5;
  while (hex.length < 40) {
    for (const char of `${label}/${hex.length}`) state = Math.imul(state ^ char.charCodeAt(0), 0x01000193) >>> 0;
    hex += state.toString(16).padStart(8, '0');
  }
  return hex.slice(0, 40);
}

function shiftIso(iso: string, millis: number): string {
  return new Date(Date.parse(iso) + millis).toISOString();
}
