import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Bridge } from '../../bridge/index.js';
import { pullRequestMarker } from '../../sdk/index.js';
import { SECRET, deliver, startSpanReceiver, type SpanReceiver } from './helpers.js';
import { AGENT, pullRequestEvent, reviewEvent, sha } from './payloads.js';

// The bridge is killed with SIGKILL, so it runs as the built command in a child
// process; `npm test` builds it first.
const CLI = join(import.meta.dirname, '..', '..', 'dist', 'cli', 'main.js');
if (!existsSync(CLI)) console.warn(`skipping the bridge SIGKILL tests: ${CLI} is missing; run npm run build first`);

let receiver: SpanReceiver;
let directory: string;
const children: ChildProcess[] = [];

beforeEach(async () => {
  receiver = await startSpanReceiver();
  directory = mkdtempSync(join(tmpdir(), 'bridge-crash-'));
});

afterEach(async () => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  await receiver.close();
  rmSync(directory, { recursive: true, force: true });
});

/** Starts the built bridge command and resolves with its URL once it listens. */
async function startChild(settleSeconds: number): Promise<{ child: ChildProcess; bridge: Bridge }> {
  const child = spawn(
    process.execPath,
    [CLI, 'bridge', '--port', '0', '--db', join(directory, 'state.db'), '--agent-login', AGENT, '--settle-seconds', String(settleSeconds)],
    {
      env: {
        ...process.env,
        FACTORY_BRIDGE_SECRET: SECRET,
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  children.push(child);
  const url = await new Promise<string>((resolve, reject) => {
    let output = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const match = /msg="bridge listening" url=(\S+)/.exec(output);
      if (match !== null) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`the bridge exited with ${code} before listening: ${output}`)));
  });
  // Only the URL is used by deliver().
  return { child, bridge: { url } as Bridge };
}

async function kill(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

async function waitFor(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const opened = { number: 51, body: pullRequestMarker({ runId: 'run-crash', model: 'frontier-1', complexity: 'trivial' }), headSha: sha('c1'), createdAt: '2026-11-02T09:00:00Z' };
const merged = { ...opened, closedAt: '2026-11-02T11:00:00Z', mergedAt: '2026-11-02T11:00:00Z', mergeSha: sha('merge-51') };

describe.skipIf(!existsSync(CLI))('bridge killed with SIGKILL', { timeout: 30_000 }, () => {
  it('keeps every acknowledged webhook', async () => {
    // A long settle time keeps the pull request unresolved when the process dies.
    const first = await startChild(3600);
    for (const delivery of [pullRequestEvent('opened', opened), reviewEvent('approved', 801, opened, '2026-11-02T10:00:00Z'), pullRequestEvent('closed', merged)]) {
      expect((await deliver(first.bridge, delivery)).status).toBe(200);
    }
    await kill(first.child);

    const second = await startChild(0);
    await waitFor(() => receiver.spans.some((span) => span.name === 'factory.outcome'), 'the outcome span');
    const review = receiver.spans.filter((span) => span.name === 'factory.review');
    expect(review).toHaveLength(1);
    expect(review[0]!.attributes['factory.review.approvals']).toBe(1);
    await kill(second.child);
  });

  it('sends recordings again whose export was not confirmed', async () => {
    receiver.hold = true;
    const first = await startChild(0);
    await deliver(first.bridge, pullRequestEvent('opened', opened));
    await deliver(first.bridge, pullRequestEvent('closed', merged));
    // The sweep every 5 s resolves the pull request and hands its spans to the SDK.
    await waitFor(() => receiver.held > 0, 'an export request');
    await kill(first.child);

    receiver.hold = false;
    const second = await startChild(0);
    await waitFor(() => receiver.spans.some((span) => span.name === 'factory.outcome'), 'the outcome span');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(receiver.spans.filter((span) => span.name === 'factory.outcome')).toHaveLength(1);
    expect(receiver.spans.filter((span) => span.name === 'factory.review')).toHaveLength(1);
    await kill(second.child);
  });
});
