import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bridge } from '../../bridge/index.js';
import { deliver, post, settle, sign, startSpanReceiver, startTestBridge, type SpanReceiver } from './helpers.js';
import { checkSuiteEvent, deploymentStatusEvent, pullRequestEvent, reviewEvent, sha } from './payloads.js';

let receiver: SpanReceiver;
let bridge: Bridge;

beforeAll(async () => {
  receiver = await startSpanReceiver();
  bridge = await startTestBridge(receiver, { database: ':memory:', maxBodyBytes: 64 * 1024, maxRequestsPerSecond: 100_000, burstRequests: 100_000 });
});

afterAll(async () => {
  await bridge.close();
  await receiver.close();
});

// A small seeded generator (mulberry32), so that a failing case can be replayed.
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}

const EVENTS = ['pull_request', 'pull_request_review', 'check_suite', 'workflow_run', 'deployment_status', 'push', 'issues', ''];
const VALID = [
  pullRequestEvent('opened', { number: 90, headSha: sha('f1') }),
  pullRequestEvent('closed', { number: 90, closedAt: '2026-11-02T10:00:00Z', mergedAt: '2026-11-02T10:00:00Z', mergeSha: sha('m90') }),
  reviewEvent('approved', 900, { number: 90 }, '2026-11-02T09:30:00Z'),
  checkSuiteEvent(sha('f1'), 'success', '2026-11-02T09:10:00Z'),
  deploymentStatusEvent(sha('m90'), 'success', '2026-11-02T11:00:00Z'),
];

function randomValue(next: () => number, depth: number): unknown {
  const pick = Math.floor(next() * (depth > 3 ? 5 : 8));
  switch (pick) {
    case 0:
      return null;
    case 1:
      return next() > 0.5;
    case 2:
      return Math.floor(next() * 2 ** 40) * (next() > 0.5 ? -1 : 1);
    case 3:
      return String.fromCharCode(...Array.from({ length: Math.floor(next() * 20) }, () => Math.floor(next() * 0xffff)));
    case 4:
      return ['opened', 'closed', 'completed', 'submitted', 'success', '2026-11-02T10:00:00Z', sha('x')][Math.floor(next() * 7)];
    case 5:
      return Array.from({ length: Math.floor(next() * 4) }, () => randomValue(next, depth + 1));
    default: {
      const keys = ['action', 'pull_request', 'number', 'head', 'sha', 'ref', 'review', 'state', 'repository', 'full_name', 'deployment', 'created_at', 'body'];
      const object: Record<string, unknown> = {};
      for (let index = Math.floor(next() * 5); index > 0; index -= 1) object[keys[Math.floor(next() * keys.length)]!] = randomValue(next, depth + 1);
      return object;
    }
  }
}

// Replaces one value somewhere in a valid payload with a random one.
function mutate(payload: unknown, next: () => number): unknown {
  const copy = JSON.parse(JSON.stringify(payload)) as Record<string, unknown>;
  let node: Record<string, unknown> = copy;
  for (;;) {
    const keys = Object.keys(node);
    if (keys.length === 0) break;
    const key = keys[Math.floor(next() * keys.length)]!;
    const child = node[key];
    if (child !== null && typeof child === 'object' && !Array.isArray(child) && next() > 0.4) {
      node = child as Record<string, unknown>;
      continue;
    }
    node[key] = randomValue(next, 0);
    break;
  }
  return copy;
}

describe('fuzzed requests', () => {
  it('get a clear status each and leave the server up', async () => {
    const next = random(20261202);
    const allowed = new Set([200, 202, 400, 401, 413, 422]);
    const seen = new Map<number, number>();

    for (let index = 0; index < 600; index += 1) {
      const base = VALID[Math.floor(next() * VALID.length)]!;
      const event = next() > 0.3 ? base.event : EVENTS[Math.floor(next() * EVENTS.length)]!;
      const kind = Math.floor(next() * 5);
      let body: Buffer;
      if (kind === 0) body = Buffer.from(Array.from({ length: Math.floor(next() * 2000) }, () => Math.floor(next() * 256)));
      else if (kind === 1) {
        const text = JSON.stringify(base.payload);
        body = Buffer.from(text.slice(0, Math.floor(next() * text.length)));
      } else if (kind === 2) body = Buffer.from(JSON.stringify(randomValue(next, 0)));
      else if (kind === 3) body = Buffer.from(JSON.stringify(mutate(base.payload, next)));
      else body = Buffer.alloc(64 * 1024 + 1 + Math.floor(next() * 1000), 0x7b);

      const signed = next() > 0.1;
      const headers: Record<string, string> = { 'content-type': 'application/json', 'x-github-delivery': `fuzz-${index}` };
      if (event !== '') headers['x-github-event'] = event;
      if (signed) headers['x-hub-signature-256'] = sign(body);
      const path = next() > 0.8 ? '/events' : '/github';

      const reply = await post(`${bridge.url}${path}`, body, headers);
      expect(allowed.has(reply.status), `request ${index} (${kind}, ${event}, ${path}) got ${reply.status}: ${reply.body.detail}`).toBe(true);
      expect(typeof reply.body.detail, `request ${index} has no detail`).toBe('string');
      seen.set(reply.status, (seen.get(reply.status) ?? 0) + 1);
    }
    for (const status of [200, 400, 401, 413, 422]) expect(seen.get(status) ?? 0, `no request got ${status}`).toBeGreaterThan(0);

    expect((await fetch(`${bridge.url}/healthz`)).status).toBe(200);
    for (const delivery of VALID) expect((await deliver(bridge, { ...delivery, delivery: `after-fuzz-${delivery.delivery}` })).status).toBe(200);
    await settle(bridge);
    expect(bridge.stats().responses['500']).toBeUndefined();
  });
});
