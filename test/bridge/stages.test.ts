import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Bridge } from '../../bridge/index.js';
import { deriveRunIds, pullRequestMarker } from '../../sdk/index.js';
import { deliver, settle, startSpanReceiver, startTestBridge, type CapturedSpan, type SpanReceiver } from './helpers.js';
import {
  AGENT,
  DEVELOPER,
  checkSuiteEvent,
  deploymentStatusEvent,
  pullRequestEvent,
  pushEvent,
  reviewEvent,
  sha,
  workflowRunEvent,
  type PullRequestShape,
} from './payloads.js';

let receiver: SpanReceiver;
let bridge: Bridge;

beforeEach(async () => {
  receiver = await startSpanReceiver();
  bridge = await startTestBridge(receiver, { database: ':memory:', agentLogins: [AGENT] });
});

afterEach(async () => {
  await bridge.close();
  await receiver.close();
});

const RUN_ID = 'run-7f3a';
const marker = pullRequestMarker({ runId: RUN_ID, model: 'frontier-1', provider: 'example-ai', complexity: 'standard' });
const opened: PullRequestShape = { number: 17, body: `Adds refunds.\n\n${marker}`, headSha: sha('a1'), createdAt: '2026-11-02T09:00:00Z' };
const merged: PullRequestShape = {
  ...opened,
  headSha: sha('a2'),
  closedAt: '2026-11-03T15:00:00Z',
  mergedAt: '2026-11-03T15:00:00Z',
  mergeSha: sha('merge-17'),
};

function spansNamed(name: string): CapturedSpan[] {
  return receiver.spans.filter((span) => span.name === name);
}

describe('agent pull request', () => {
  it('records review, verifications, outcome and deployment on the run', async () => {
    const stream = [
      pullRequestEvent('opened', opened),
      checkSuiteEvent(sha('a1'), 'failure', '2026-11-02T09:20:00Z'),
      reviewEvent('changes_requested', 501, opened, '2026-11-02T12:00:00Z'),
      pullRequestEvent('synchronize', { ...opened, headSha: sha('a2'), updatedAt: '2026-11-02T14:00:00Z' }, { sender: AGENT, after: sha('a2') }),
      workflowRunEvent(sha('a2'), 'success', '2026-11-02T14:20:00Z'),
      reviewEvent('approved', 502, opened, '2026-11-03T10:00:00Z'),
      pullRequestEvent('closed', merged),
      deploymentStatusEvent(sha('merge-17'), 'success', '2026-11-03T18:00:00Z'),
    ];
    for (const delivery of stream) {
      const reply = await deliver(bridge, delivery);
      expect(reply.status, `${delivery.event}: ${reply.body.detail}`).toBe(200);
    }
    await settle(bridge);

    const traceId = deriveRunIds(RUN_ID).traceId;
    for (const span of receiver.spans) {
      expect(span.traceId).toBe(traceId);
      expect(span.attributes['factory.run.id']).toBe(RUN_ID);
      expect(span.attributes['factory.author.kind']).toBe('agent');
      expect(span.attributes['gen_ai.request.model']).toBe('frontier-1');
      expect(span.attributes['factory.task.complexity']).toBe('standard');
    }

    const [review] = spansNamed('factory.review');
    expect(spansNamed('factory.review')).toHaveLength(1);
    expect(review!.endMillis - review!.startMillis).toBe(30 * 3600_000);
    expect(review!.attributes['vcs.change.state']).toBe('merged');
    expect(review!.attributes['factory.review.rounds']).toBe(1);
    expect(review!.attributes['factory.review.approvals']).toBe(1);
    expect(review!.attributes['factory.review.human_modified']).toBe(false);

    const verifications = spansNamed('factory.verification').map((span) => [span.attributes['factory.attempt.number'], span.attributes['cicd.pipeline.result']]);
    expect(verifications.sort()).toEqual([
      [1, 'failure'],
      [2, 'success'],
    ]);

    const [outcome] = spansNamed('factory.outcome');
    expect(spansNamed('factory.outcome')).toHaveLength(1);
    expect(outcome!.attributes['factory.outcome.status']).toBe('merged');
    expect(outcome!.attributes['factory.outcome.attempts']).toBe(2);
    expect(outcome!.attributes['factory.outcome.one_shot']).toBe(false);
    expect(outcome!.attributes['factory.outcome.autonomous']).toBe(true);

    const [deployment] = spansNamed('factory.deployment');
    expect(spansNamed('factory.deployment')).toHaveLength(1);
    expect(deployment!.endMillis - deployment!.startMillis).toBe(3 * 3600_000);
    expect(deployment!.attributes['deployment.environment.name']).toBe('production');
    expect(deployment!.attributes['vcs.ref.head.revision']).toBe(sha('merge-17'));
  });

  it('marks a push by another login as human modification', async () => {
    await deliver(bridge, pullRequestEvent('opened', opened));
    await deliver(bridge, checkSuiteEvent(sha('a1'), 'success', '2026-11-02T09:20:00Z'));
    await deliver(bridge, pullRequestEvent('synchronize', { ...opened, headSha: sha('h1'), updatedAt: '2026-11-02T13:00:00Z' }, { sender: DEVELOPER, after: sha('h1') }));
    await deliver(bridge, pullRequestEvent('closed', { ...merged, headSha: sha('h1') }));
    await settle(bridge);

    const [outcome] = spansNamed('factory.outcome');
    expect(outcome!.attributes['factory.review.human_modified']).toBe(true);
    expect(outcome!.attributes['factory.outcome.attempts']).toBe(1);
    expect(outcome!.attributes['factory.outcome.autonomous']).toBe(false);
    expect(spansNamed('factory.review')[0]!.attributes['factory.review.human_modified']).toBe(true);
  });

  it('counts a passing first attempt as one-shot', async () => {
    await deliver(bridge, pullRequestEvent('opened', { ...opened, headSha: sha('a1') }));
    await deliver(bridge, checkSuiteEvent(sha('a1'), 'success', '2026-11-02T09:20:00Z'));
    await deliver(bridge, pullRequestEvent('closed', { ...merged, headSha: sha('a1') }));
    await settle(bridge);

    const [outcome] = spansNamed('factory.outcome');
    expect(outcome!.attributes['factory.outcome.one_shot']).toBe(true);
  });

  it('records a closed pull request as closed, without deployment', async () => {
    await deliver(bridge, pullRequestEvent('opened', opened));
    await deliver(bridge, pullRequestEvent('closed', { ...opened, closedAt: '2026-11-04T09:00:00Z' }));
    await deliver(bridge, deploymentStatusEvent(sha('head-17'), 'success', '2026-11-05T09:00:00Z'));
    await settle(bridge);

    expect(spansNamed('factory.outcome')[0]!.attributes['factory.outcome.status']).toBe('closed');
    expect(spansNamed('factory.review')[0]!.attributes['vcs.change.state']).toBe('closed');
    expect(spansNamed('factory.deployment')).toHaveLength(0);
  });

  it('links by branch name and by pushed commit trailer', async () => {
    const byBranch: PullRequestShape = { number: 30, headRef: 'factory/run-branch-1', createdAt: '2026-11-02T09:00:00Z' };
    const byTrailer: PullRequestShape = { number: 31, headRef: 'feature/trailer', createdAt: '2026-11-02T09:00:00Z' };
    await deliver(bridge, pushEvent('feature/trailer', ['Fix rounding\n\nFactory-Run-Id: run-trailer-1']));
    for (const shape of [byBranch, byTrailer]) {
      await deliver(bridge, pullRequestEvent('opened', shape));
      await deliver(bridge, pullRequestEvent('closed', { ...shape, closedAt: '2026-11-02T10:00:00Z' }));
    }
    await settle(bridge);

    const runIds = spansNamed('factory.outcome').map((span) => span.attributes['factory.run.id']).sort();
    expect(runIds).toEqual(['run-branch-1', 'run-trailer-1']);
  });
});

describe('pull request with no run id', () => {
  it('is recorded as a human baseline run without an outcome', async () => {
    const human: PullRequestShape = { number: 40, author: DEVELOPER, createdAt: '2026-11-02T09:00:00Z', additions: 120, deletions: 30 };
    await deliver(bridge, pullRequestEvent('opened', human));
    await deliver(bridge, reviewEvent('approved', 601, human, '2026-11-02T11:00:00Z'));
    await deliver(bridge, pullRequestEvent('closed', { ...human, closedAt: '2026-11-02T12:00:00Z', mergedAt: '2026-11-02T12:00:00Z', mergeSha: sha('merge-40') }));
    await deliver(bridge, deploymentStatusEvent(sha('merge-40'), 'success', '2026-11-02T13:00:00Z'));
    await settle(bridge);

    const runId = `github:${'example-org/checkout-service'}/pull/40`;
    expect(spansNamed('factory.outcome')).toHaveLength(0);
    expect(spansNamed('factory.run')).toHaveLength(1);
    const root = spansNamed('factory.run')[0]!;
    expect(root.spanId).toBe(deriveRunIds(runId).rootSpanId);
    for (const span of receiver.spans) {
      expect(span.attributes['factory.run.id']).toBe(runId);
      expect(span.attributes['factory.author.kind']).toBe('human');
      expect(span.attributes['gen_ai.request.model']).toBe('human');
      expect(span.attributes['factory.task.complexity']).toBe('standard');
    }
    expect(spansNamed('factory.review')[0]!.endMillis - spansNamed('factory.review')[0]!.startMillis).toBe(3 * 3600_000);
    expect(spansNamed('factory.deployment')).toHaveLength(1);
  });
});

describe('CI events', () => {
  it('count a GitHub Actions run once', async () => {
    await deliver(bridge, pullRequestEvent('opened', opened));
    const suite = await deliver(bridge, checkSuiteEvent(sha('a1'), 'success', '2026-11-02T09:20:00Z', 'github-actions'));
    await deliver(bridge, workflowRunEvent(sha('a1'), 'success', '2026-11-02T09:20:00Z'));
    await deliver(bridge, pullRequestEvent('closed', { ...merged, headSha: sha('a1') }));
    await settle(bridge);

    expect(suite.status).toBe(202);
    expect(spansNamed('factory.verification')).toHaveLength(1);
  });
});

describe('pull request size', () => {
  it('survives a review snapshot without line counts', async () => {
    const human: PullRequestShape = { number: 41, author: DEVELOPER, createdAt: '2026-11-02T09:00:00Z', additions: 900, deletions: 50 };
    const closed = { ...human, closedAt: '2026-11-02T12:00:00Z' };
    await deliver(bridge, pullRequestEvent('opened', human));
    await deliver(bridge, pullRequestEvent('closed', closed));
    // Review payloads embed the pull request without its line counts; this one is the newest snapshot.
    const review = reviewEvent('commented', 602, { ...closed, updatedAt: '2026-11-02T12:30:00Z' }, '2026-11-02T11:00:00Z');
    const pullRequest = (review.payload as { pull_request: Record<string, unknown> }).pull_request;
    delete pullRequest.additions;
    delete pullRequest.deletions;
    await deliver(bridge, review);
    await settle(bridge);

    expect(spansNamed('factory.review')[0]!.attributes['factory.task.complexity']).toBe('complex');
  });
});

describe('deployment environments', () => {
  it('match production ignoring case and skip others', async () => {
    await deliver(bridge, pullRequestEvent('opened', opened));
    await deliver(bridge, pullRequestEvent('closed', merged));
    const staging = await deliver(bridge, deploymentStatusEvent(sha('merge-17'), 'success', '2026-11-03T16:00:00Z', { environment: 'staging' }));
    await deliver(bridge, deploymentStatusEvent(sha('merge-17'), 'success', '2026-11-03T17:00:00Z', { environment: 'Production' }));
    await settle(bridge);

    expect(staging.body.detail).toMatch(/not a production environment/);
    const deployments = spansNamed('factory.deployment');
    expect(deployments).toHaveLength(1);
    expect(deployments[0]!.attributes['deployment.environment.name']).toBe('production');
  });
});
