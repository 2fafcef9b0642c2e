import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Bridge } from '../../bridge/index.js';
import { pullRequestMarker } from '../../sdk/index.js';
import { deliver, memoryLogger, post, settle, sign, startSpanReceiver, startTestBridge, type SpanReceiver } from './helpers.js';
import { AGENT, checkSuiteEvent, deploymentStatusEvent, pullRequestEvent, reviewEvent, sha, type PullRequestShape } from './payloads.js';

let receiver: SpanReceiver;
let directory: string;
const bridges: Bridge[] = [];

beforeEach(async () => {
  receiver = await startSpanReceiver();
  directory = mkdtempSync(join(tmpdir(), 'bridge-test-'));
});

afterEach(async () => {
  for (const bridge of bridges.splice(0)) await bridge.close();
  await receiver.close();
  rmSync(directory, { recursive: true, force: true });
});

async function start(options: Parameters<typeof startTestBridge>[1] = { database: join(directory, 'state.db') }): Promise<Bridge> {
  const bridge = await startTestBridge(receiver, { agentLogins: [AGENT], ...options });
  bridges.push(bridge);
  return bridge;
}

const marker = pullRequestMarker({ runId: 'run-dup', model: 'frontier-1', complexity: 'complex' });
const opened: PullRequestShape = { number: 21, body: marker, headSha: sha('d1'), createdAt: '2026-11-02T09:00:00Z' };
const merged: PullRequestShape = { ...opened, closedAt: '2026-11-02T17:00:00Z', mergedAt: '2026-11-02T17:00:00Z', mergeSha: sha('merge-21') };

function count(name: string): number {
  return receiver.spans.filter((span) => span.name === name).length;
}

describe('duplicate deliveries', () => {
  it('change no count', async () => {
    const bridge = await start();
    const approval = reviewEvent('approved', 700, opened, '2026-11-02T12:00:00Z');
    const stream = [pullRequestEvent('opened', opened), approval, reviewEvent('approved', 701, opened, '2026-11-02T13:00:00Z'), pullRequestEvent('closed', merged)];
    for (const delivery of stream) expect((await deliver(bridge, delivery)).status).toBe(200);

    for (const delivery of stream) {
      const reply = await deliver(bridge, delivery);
      expect(reply.status).toBe(200);
      expect(reply.body.result).toBe('duplicate');
    }
    // The same review under a new delivery id, as a replay tool would send it.
    expect((await deliver(bridge, { ...approval, delivery: 'replayed-approval' })).body.result).toBe('recorded');
    await settle(bridge);
    await deliver(bridge, pullRequestEvent('closed', merged));
    await settle(bridge);

    expect(count('factory.outcome')).toBe(1);
    expect(count('factory.review')).toBe(1);
    const review = receiver.spans.find((span) => span.name === 'factory.review')!;
    expect(review.attributes['factory.review.approvals']).toBe(2);
  });
});

describe('out-of-order events', () => {
  it('records a deployment that arrives before the merge', async () => {
    const bridge = await start();
    await deliver(bridge, deploymentStatusEvent(sha('merge-21'), 'success', '2026-11-02T19:00:00Z'));
    await deliver(bridge, pullRequestEvent('closed', merged));
    await deliver(bridge, pullRequestEvent('opened', opened));
    await settle(bridge);

    const deployment = receiver.spans.find((span) => span.name === 'factory.deployment');
    expect(deployment?.endMillis).toBe(Date.parse('2026-11-02T19:00:00Z'));
    expect(deployment?.startMillis).toBe(Date.parse('2026-11-02T17:00:00Z'));
    const review = receiver.spans.find((span) => span.name === 'factory.review');
    expect(review?.startMillis).toBe(Date.parse('2026-11-02T09:00:00Z'));
    expect(review?.attributes['vcs.change.state']).toBe('merged');
  });

  it('counts a review delivered after the close within the settle time', async () => {
    const bridge = await start({ database: join(directory, 'state.db'), settleMillis: 60_000 });
    await deliver(bridge, pullRequestEvent('opened', opened));
    await deliver(bridge, pullRequestEvent('closed', merged));
    await deliver(bridge, reviewEvent('approved', 710, merged, '2026-11-02T16:00:00Z'));
    await settle(bridge);
    expect(count('factory.review')).toBe(0);

    await bridge.close();
    const later = await start({ database: join(directory, 'state.db'), settleMillis: 60_000, now: () => Date.now() + 61_000 });
    await settle(later);
    const review = receiver.spans.find((span) => span.name === 'factory.review');
    expect(review?.attributes['factory.review.approvals']).toBe(1);
  });

  it('answers a review after the run was recorded as late and changes nothing', async () => {
    const bridge = await start();
    await deliver(bridge, pullRequestEvent('opened', opened));
    await deliver(bridge, pullRequestEvent('closed', merged));
    await settle(bridge);
    const reply = await deliver(bridge, reviewEvent('approved', 720, merged, '2026-11-02T18:00:00Z'));
    await settle(bridge);

    expect(reply.body.result).toBe('late');
    expect(count('factory.review')).toBe(1);
    expect(receiver.spans.find((span) => span.name === 'factory.review')!.attributes['factory.review.approvals']).toBe(0);
  });

  it('uses a check result that arrives before the pull request', async () => {
    const bridge = await start();
    await deliver(bridge, checkSuiteEvent(sha('d1'), 'success', '2026-11-02T08:50:00Z'));
    await deliver(bridge, pullRequestEvent('opened', opened));
    await deliver(bridge, pullRequestEvent('closed', { ...merged, headSha: sha('d1') }));
    await settle(bridge);
    expect(receiver.spans.find((span) => span.name === 'factory.outcome')!.attributes['factory.outcome.one_shot']).toBe(true);
  });
});

describe('restart in the middle of a stream', () => {
  it('loses nothing and records nothing twice', async () => {
    const database = join(directory, 'state.db');
    const first = await start({ database });
    const stream = [
      pullRequestEvent('opened', opened),
      reviewEvent('changes_requested', 730, opened, '2026-11-02T10:00:00Z'),
      reviewEvent('approved', 731, opened, '2026-11-02T12:00:00Z'),
      pullRequestEvent('closed', merged),
      deploymentStatusEvent(sha('merge-21'), 'success', '2026-11-02T20:00:00Z'),
    ];
    for (const delivery of stream.slice(0, 2)) await deliver(first, delivery);
    // Stopping with a collector that rejects everything leaves recordings in the outbox.
    receiver.failWith = 400;
    await deliver(first, stream[2]!);
    await deliver(first, stream[3]!);
    await settle(first);
    expect(count('factory.review')).toBe(0);
    await first.close();

    receiver.failWith = undefined;
    const second = await start({ database });
    for (const delivery of stream) await deliver(second, delivery);
    await settle(second);

    expect(count('factory.review')).toBe(1);
    expect(count('factory.outcome')).toBe(1);
    expect(count('factory.deployment')).toBe(1);
    const review = receiver.spans.find((span) => span.name === 'factory.review')!;
    expect(review.attributes['factory.review.rounds']).toBe(1);
    expect(review.attributes['factory.review.approvals']).toBe(1);
    expect(second.stats().store.outbox).toBe(0);
  });

  it('rejects a port in use with the address', async () => {
    const first = await start({ database: ':memory:' });
    await expect(start({ database: ':memory:', port: first.port })).rejects.toThrow(`cannot listen on 127.0.0.1:${first.port}`);
  });

  it('rejects a second bridge on the same database', async () => {
    const database = join(directory, 'state.db');
    await start({ database });
    await expect(start({ database })).rejects.toThrow(/in use by another bridge process/);
  });
});

describe('rejected requests', () => {
  it('answers 401 to bad signatures, logged once', async () => {
    const logger = memoryLogger();
    const bridge = await start({ database: ':memory:', logger });
    const delivery = pullRequestEvent('opened', opened, { delivery: 'bad-signature-1' });

    expect((await deliver(bridge, delivery, { signature: sign('other body') })).status).toBe(401);
    expect((await deliver(bridge, delivery, { signature: null })).status).toBe(401);
    expect((await deliver(bridge, delivery, { signature: 'sha256=zz' })).status).toBe(401);
    expect((await deliver(bridge, delivery, { signature: sign(JSON.stringify(delivery.payload), 'another-secret-0123456789') })).status).toBe(401);

    const lines = logger.lines.filter((line) => line.includes('bad-signature-1'));
    expect(lines).toHaveLength(4);
    expect(lines.every((line) => line.startsWith('warn request rejected') && line.includes('"status":401'))).toBe(true);
    expect(logger.lines.join('\n')).not.toContain('test-secret');
  });

  it('answers 413 to a 10 MB body without reading all of it', async () => {
    const bridge = await start({ database: ':memory:' });
    const body = Buffer.alloc(10 * 1024 * 1024, 0x20);
    const reply = await post(`${bridge.url}/github`, body, {
      'content-type': 'application/json',
      'x-github-event': 'pull_request',
      'x-github-delivery': 'big-1',
      'x-hub-signature-256': sign(body),
    });
    expect(reply.status).toBe(413);

    const chunked = await postChunked(`${bridge.url}/github`, 10 * 1024 * 1024);
    expect(chunked).toBe(413);
    expect((await fetch(`${bridge.url}/healthz`)).status).toBe(200);
  });

  it('answers 400 to malformed JSON and 202 to an unknown event', async () => {
    const bridge = await start({ database: ':memory:' });
    const broken = '{"action": "opened", ';
    const headers = { 'content-type': 'application/json', 'x-github-delivery': 'malformed-1', 'x-hub-signature-256': sign(broken) };
    expect((await post(`${bridge.url}/github`, broken, { ...headers, 'x-github-event': 'pull_request' })).status).toBe(400);

    const reply = await deliver(bridge, { event: 'star', delivery: 'star-1', payload: { action: 'created' } });
    expect(reply.status).toBe(202);
    expect(reply.body.result).toBe('ignored');
  });

  it('answers 400 to a signed body that is not UTF-8', async () => {
    const bridge = await start({ database: ':memory:' });
    const bytes = Buffer.from([0xff, 0xfe, 0x7b, 0x7d]);
    const headers = { 'content-type': 'application/json', 'x-github-delivery': 'bytes-1', 'x-github-event': 'pull_request', 'x-hub-signature-256': sign(bytes) };
    const reply = await post(`${bridge.url}/github`, bytes, headers);
    expect(reply.status).toBe(400);
    expect(reply.body.detail).toBe('the body is not valid UTF-8; send the JSON event as UTF-8');
  });

  it('answers 429 beyond the request rate', async () => {
    const bridge = await start({ database: ':memory:', maxRequestsPerSecond: 1, burstRequests: 3 });
    const statuses: number[] = [];
    for (let index = 0; index < 6; index += 1) statuses.push((await deliver(bridge, { event: 'ping', delivery: `ping-${index}`, payload: { zen: 'x' } })).status);
    expect(statuses.slice(0, 3)).toEqual([202, 202, 202]);
    expect(statuses.slice(3)).toContain(429);
  });

  it('answers 503 when the outbox is full, and applies the redelivery later', async () => {
    const bridge = await start({ database: join(directory, 'state.db'), maxOutbox: 1 });
    receiver.failWith = 400;
    await deliver(bridge, pullRequestEvent('opened', opened));
    await deliver(bridge, pullRequestEvent('closed', merged));
    bridge.sweep();
    const next = pullRequestEvent('opened', { ...opened, number: 22 });
    const full = await deliver(bridge, next);
    expect(full.status).toBe(503);

    receiver.failWith = undefined;
    await settle(bridge);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await settle(bridge);
    expect((await deliver(bridge, next)).body.result).toBe('recorded');
  });
});

// Sends a body of `size` bytes in chunks with no content-length; returns the status.
async function postChunked(url: string, size: number): Promise<number> {
  const { request } = await import('node:http');
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ action: 'opened' });
    const outgoing = request(url, { method: 'POST', headers: { 'x-github-event': 'pull_request', 'x-github-delivery': 'big-2', 'x-hub-signature-256': sign(body) } }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    outgoing.on('error', reject);
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    let sent = 0;
    const write = () => {
      while (sent < size) {
        sent += chunk.length;
        if (!outgoing.write(chunk)) {
          outgoing.once('drain', write);
          return;
        }
      }
      outgoing.end();
    };
    write();
  });
}

describe('state retention', () => {
  it('keeps old check and deployment events across a sweep', async () => {
    // Event times two months before the bridge's clock, as a redelivery can have them.
    const bridge = await start({ database: ':memory:', now: () => Date.parse('2027-01-05T00:00:00Z') });
    await deliver(bridge, checkSuiteEvent(sha('d1'), 'success', '2026-11-02T08:50:00Z'));
    await deliver(bridge, deploymentStatusEvent(sha('merge-21'), 'success', '2026-11-02T19:00:00Z'));
    await settle(bridge);
    await deliver(bridge, pullRequestEvent('opened', opened));
    await deliver(bridge, pullRequestEvent('closed', { ...merged, headSha: sha('d1') }));
    await settle(bridge);

    expect(count('factory.verification')).toBe(1);
    expect(count('factory.deployment')).toBe(1);
  });
});

describe('state store size', () => {
  it('caps check results waiting for a pull request', async () => {
    const bridge = await start({ database: ':memory:', maxPullRequests: 2 });
    for (let index = 0; index < 30; index += 1) await deliver(bridge, checkSuiteEvent(sha(`orphan-${index}`), 'success', '2026-11-02T08:50:00Z'));
    await settle(bridge);
    expect(bridge.stats().store.checks).toBe(20);
  });

  it('answers 503 to a new pull request beyond maxPullRequests', async () => {
    const bridge = await start({ database: ':memory:', maxPullRequests: 1 });
    expect((await deliver(bridge, pullRequestEvent('opened', opened))).status).toBe(200);
    const second = await deliver(bridge, pullRequestEvent('opened', { ...opened, number: 99 }));
    expect(second.status).toBe(503);
    expect(second.body.detail).toMatch(/maxPullRequests 1/);
  });
});

describe('resolved pull requests', () => {
  it('stay resolved after a sweep prunes their details', async () => {
    const bridge = await start({ database: ':memory:' });
    await deliver(bridge, pullRequestEvent('opened', opened));
    await deliver(bridge, pullRequestEvent('closed', { ...opened, closedAt: '2026-11-02T12:00:00Z' }));
    await settle(bridge);
    await settle(bridge);
    const late = await deliver(bridge, reviewEvent('approved', 740, { ...opened, closedAt: '2026-11-02T12:00:00Z' }, '2026-11-02T13:00:00Z'));
    await settle(bridge);

    expect(late.body.result).toBe('late');
    expect(count('factory.review')).toBe(1);
    expect(count('factory.outcome')).toBe(1);
  });

  it('make room for new ones at maxPullRequests', async () => {
    const bridge = await start({ database: ':memory:', maxPullRequests: 1 });
    await deliver(bridge, pullRequestEvent('opened', opened));
    await deliver(bridge, pullRequestEvent('closed', { ...opened, closedAt: '2026-11-02T12:00:00Z' }));
    await settle(bridge);
    expect((await deliver(bridge, pullRequestEvent('opened', { ...opened, number: 98 }))).status).toBe(200);
  });
});
