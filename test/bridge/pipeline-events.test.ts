import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Bridge } from '../../bridge/index.js';
import { pullRequestMarker } from '../../sdk/index.js';
import { deliver, post, settle, sign, startSpanReceiver, startTestBridge, type SpanReceiver } from './helpers.js';
import { AGENT, REPOSITORY, pullRequestEvent, sha, type PullRequestShape } from './payloads.js';

let receiver: SpanReceiver;
let bridge: Bridge;
let clock = Date.parse('2026-11-02T09:00:00Z');

beforeEach(async () => {
  receiver = await startSpanReceiver();
  clock = Date.parse('2026-11-02T09:00:00Z');
  bridge = await startTestBridge(receiver, { database: ':memory:', agentLogins: [AGENT], idleMillis: 3600_000, now: () => clock });
});

afterEach(async () => {
  await bridge.close();
  await receiver.close();
});

function postEvent(event: unknown) {
  const body = JSON.stringify(event);
  return post(`${bridge.url}/events`, body, { 'content-type': 'application/json', 'x-hub-signature-256': sign(body) });
}

const opened: PullRequestShape = {
  number: 60,
  body: pullRequestMarker({ runId: 'run-pipeline', model: 'frontier-1', complexity: 'standard' }),
  headSha: sha('p1'),
  createdAt: '2026-11-02T09:00:00Z',
};
const merged: PullRequestShape = { ...opened, closedAt: '2026-11-02T11:00:00Z', mergedAt: '2026-11-02T11:00:00Z', mergeSha: sha('p-merge') };

describe('POST /events', () => {
  it('records a CI result and a deployment that lists the merge commit', async () => {
    const ci = { id: 'ci-1', type: 'ci', repository: REPOSITORY, sha: sha('p1'), name: 'integration', conclusion: 'success', startedAt: '2026-11-02T09:05:00Z', completedAt: '2026-11-02T09:15:00Z' };
    expect((await postEvent(ci)).status).toBe(200);
    expect((await postEvent(ci)).body.result).toBe('duplicate');
    await deliver(bridge, pullRequestEvent('opened', opened));
    await deliver(bridge, pullRequestEvent('closed', merged));
    const deployment = {
      id: 'deploy-1',
      type: 'deployment',
      repository: REPOSITORY,
      sha: sha('later-release'),
      environment: 'production',
      status: 'success',
      deployedAt: '2026-11-02T15:00:00Z',
      commits: [sha('p-merge')],
    };
    expect((await postEvent(deployment)).status).toBe(200);
    await settle(bridge);

    const verification = receiver.spans.find((span) => span.name === 'factory.verification');
    expect(verification?.attributes['cicd.pipeline.name']).toBe('integration');
    expect(receiver.spans.find((span) => span.name === 'factory.outcome')?.attributes['factory.outcome.one_shot']).toBe(true);
    const recorded = receiver.spans.find((span) => span.name === 'factory.deployment');
    expect(recorded?.endMillis).toBe(Date.parse('2026-11-02T15:00:00Z'));
    expect(recorded?.attributes['vcs.ref.head.revision']).toBe(sha('later-release'));
  });

  it('answers 422 with the field for an invalid event', async () => {
    const reply = await postEvent({ id: 'bad-1', type: 'deployment', repository: REPOSITORY, sha: 'not-a-sha', environment: 'production', status: 'success', deployedAt: '2026-11-02T15:00:00Z' });
    expect(reply.status).toBe(422);
    expect(reply.body.detail).toMatch(/sha: expected a lowercase hex commit SHA/);
    expect((await postEvent({ id: 'bad-2', type: 'build' })).body.detail).toMatch(/expected type "ci" or "deployment"/);
  });
});

describe('form-encoded webhooks', () => {
  it('are read from their payload field', async () => {
    const delivery = pullRequestEvent('opened', opened);
    const body = `payload=${encodeURIComponent(JSON.stringify(delivery.payload))}`;
    const reply = await post(`${bridge.url}/github`, body, {
      'content-type': 'application/x-www-form-urlencoded',
      'x-github-event': 'pull_request',
      'x-github-delivery': delivery.delivery,
      'x-hub-signature-256': sign(body),
    });
    expect(reply.status).toBe(200);
    expect(reply.body.result).toBe('recorded');
  });
});

describe('idle pull requests', () => {
  it('are recorded as abandoned after the idle time', async () => {
    await deliver(bridge, pullRequestEvent('opened', opened));
    await settle(bridge);
    expect(receiver.spans).toHaveLength(0);

    clock += 3600_000 + 1;
    await settle(bridge);
    const outcome = receiver.spans.find((span) => span.name === 'factory.outcome');
    expect(outcome?.attributes['factory.outcome.status']).toBe('abandoned');
    expect(receiver.spans.some((span) => span.name === 'factory.review')).toBe(false);
  });
});
