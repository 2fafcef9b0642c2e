import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBridge, type Bridge } from '../../bridge/index.js';
import { queryScalar, waitUntil } from '../../cli/prometheus.js';
import { pullRequestMarker } from '../../sdk/index.js';
import { startTestStack } from '../e2e/stack.js';
import { SECRET, deliver, memoryLogger, settle } from './helpers.js';
import { AGENT, DEVELOPER, checkSuiteEvent, deploymentStatusEvent, pullRequestEvent, reviewEvent, sha } from './payloads.js';

// Webhooks through the bridge, the real collector and Prometheus: the labels and
// durations that the recording rules and dashboards read.
describe('bridge through the collector and Prometheus', () => {
  let stack: Awaited<ReturnType<typeof startTestStack>>;
  let bridge: Bridge;
  let prometheusUrl: string;
  const directory = mkdtempSync(join(tmpdir(), 'bridge-e2e-'));
  const hour = 3600_000;
  const iso = (hoursAgo: number) => new Date(Date.now() - hoursAgo * hour).toISOString();

  beforeAll(async () => {
    stack = await startTestStack('bridge');
    prometheusUrl = stack.info.prometheusUrl;
    const endpoint = stack.info.otlpHttpEndpoint;
    const target = (path: string) => ({ url: `${endpoint}${path}`, headers: {}, protocol: 'http/protobuf' as const, timeoutMillis: 10_000, compression: 'none' as const });
    bridge = await startBridge({
      secret: SECRET,
      database: join(directory, 'state.db'),
      port: 0,
      settleMillis: 0,
      agentLogins: [AGENT],
      target: target('/v1/traces'),
      metricsTarget: target('/v1/metrics'),
      logger: memoryLogger(),
    });

    const agent = { number: 1, body: pullRequestMarker({ runId: 'e2e-agent-run', model: 'frontier-1', complexity: 'standard' }), headSha: sha('e1'), createdAt: iso(10) };
    const agentMerged = { ...agent, closedAt: iso(4), mergedAt: iso(4), mergeSha: sha('e-merge-1') };
    const human = { number: 2, author: DEVELOPER, headSha: sha('e2'), createdAt: iso(10), additions: 90, deletions: 10 };
    const humanMerged = { ...human, closedAt: iso(8), mergedAt: iso(8), mergeSha: sha('e-merge-2') };
    const stream = [
      pullRequestEvent('opened', agent),
      pullRequestEvent('opened', human),
      checkSuiteEvent(sha('e1'), 'success', iso(9)),
      reviewEvent('approved', 1, agent, iso(5)),
      pullRequestEvent('closed', agentMerged),
      pullRequestEvent('closed', humanMerged),
      deploymentStatusEvent(sha('e-merge-1'), 'success', iso(1)),
    ];
    for (const delivery of stream) expect((await deliver(bridge, delivery)).status).toBe(200);
    await settle(bridge);
    expect(bridge.stats().store.outbox).toBe(0);

    const arrived = await waitUntil(async () => (await queryScalar(prometheusUrl, 'factory:runs_resolved:increase_7d')) === 1, 120_000);
    expect(arrived, 'factory:runs_resolved:increase_7d never reached 1').toBe(true);
  });

  afterAll(async () => {
    await bridge?.close();
    await stack?.stop();
    rmSync(directory, { recursive: true, force: true });
  });

  it('labels review calls with the author kind', async () => {
    const agentReviews = await queryScalar(prometheusUrl, 'sum(factory_span_calls_total{span_name="factory.review", factory_author_kind="agent"})');
    const humanReviews = await queryScalar(prometheusUrl, 'sum(factory_span_calls_total{span_name="factory.review", factory_author_kind="human"})');
    expect(agentReviews).toBe(1);
    expect(humanReviews).toBe(1);
  });

  it('records review durations by model, human included', async () => {
    const agent = await queryScalar(prometheusUrl, 'sum(factory_span_duration_seconds_sum{span_name="factory.review", gen_ai_request_model="frontier-1"})');
    const human = await queryScalar(prometheusUrl, 'sum(factory_span_duration_seconds_sum{span_name="factory.review", gen_ai_request_model="human"})');
    expect(agent).toBeCloseTo(6 * 3600, 0);
    expect(human).toBeCloseTo(2 * 3600, 0);
  });

  it('counts only the agent run as resolved and autonomous', async () => {
    expect(await queryScalar(prometheusUrl, 'factory:runs_resolved:increase_7d')).toBe(1);
    expect(await queryScalar(prometheusUrl, 'factory:runs_one_shot:increase_7d')).toBe(1);
  });

  it('records the MLTC of the agent run', async () => {
    const deployment = await queryScalar(prometheusUrl, 'sum(factory_span_duration_seconds_sum{span_name="factory.deployment", gen_ai_request_model="frontier-1"})');
    expect(deployment).toBeCloseTo(3 * 3600, 0);
  });
});
