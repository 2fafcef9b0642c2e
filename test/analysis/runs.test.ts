import { describe, expect, it } from 'vitest';

import { attemptChain, collectRuns, finalOutcome } from '../../analysis/index.js';
import { outcome, span } from './spans.js';

describe('collectRuns', () => {
  it('merges spans of one run from several processes', async () => {
    const { runs, spansWithoutRunId } = await collectRuns([
      span('factory.run', 'r1', { 'gen_ai.request.model': 'm1', 'factory.team': 'core' }),
      { ...span('factory.review', 'r1', { 'vcs.change.state': 'merged' }, { seconds: 60 }), serviceName: 'webhook' },
      outcome('r1', { model: 'm1' }, { 'factory.outcome.status': 'merged' }),
      span('factory.run', 'r2', {}),
      { ...span('factory.run', 'ignored', {}), attributes: {} },
    ]);
    expect(spansWithoutRunId).toBe(1);
    expect([...runs.keys()]).toEqual(['r1', 'r2']);
    const run = runs.get('r1')!;
    expect(run.labels).toMatchObject({ model: 'm1', team: 'core' });
    expect(run.reviews[0]?.serviceName).toBe('webhook');
    expect(run.reviews[0]?.labels.team).toBe('');
    expect(run.reviews[0]?.durationSeconds).toBe(60);
  });

  it('keeps a stage recorded twice', async () => {
    const { runs } = await collectRuns([
      outcome('r1', {}, { 'factory.outcome.status': 'closed' }, 3),
      outcome('r1', {}, { 'factory.outcome.status': 'merged' }, 2),
    ]);
    const run = runs.get('r1')!;
    expect(run.outcomes).toHaveLength(2);
    expect(finalOutcome(run)?.status).toBe('merged');
  });
});

describe('attemptChain', () => {
  it('lets the last verification decide', async () => {
    const { runs } = await collectRuns([
      span('factory.attempt', 'r1', { 'factory.attempt.number': 2 }),
      span('factory.attempt', 'r1', { 'factory.attempt.number': 1 }),
      span('factory.verification', 'r1', { 'factory.attempt.number': 1, 'cicd.pipeline.result': 'failure' }, { endHoursAgo: 3 }),
      span('factory.verification', 'r1', { 'factory.attempt.number': 1, 'cicd.pipeline.result': 'success' }, { endHoursAgo: 2 }),
      span('factory.verification', 'r1', { 'factory.attempt.number': 2, 'cicd.pipeline.result': 'failure' }),
    ]);
    const chain = attemptChain(runs.get('r1')!);
    expect(chain.map((link) => [link.number, link.result, link.verifications.length])).toEqual([
      [1, 'success', 2],
      [2, 'failure', 1],
    ]);
  });
});
