/**
 * Webhook deliveries for the bridge benchmark: for each of `pullRequests`
 * invented pull requests, in five phases, opened, a completed check suite, an
 * approving review, the merge, and the production deployment of the merge
 * commit. Bodies are signed in advance, so the load generator only sends.
 */
import { createHmac } from 'node:crypto';
import { pullRequestMarker } from '../sdk/index.js';

export interface SignedDelivery {
  event: string;
  delivery: string;
  body: string;
  signature: string;
}

/** Spans the bridge records per pull request of this scenario: verification, review, outcome, deployment. */
export const SPANS_PER_PULL_REQUEST = 4;

const REPOSITORY = { id: 1, name: 'bench-service', full_name: 'bench-org/bench-service', owner: { login: 'bench-org' } };
const AGENT = 'bench-agent[bot]';

/** Returns the deliveries of each phase; every phase contains one delivery per pull request. */
export function benchmarkPhases(pullRequests: number, secret: string, round: number): SignedDelivery[][] {
  const phases: SignedDelivery[][] = [[], [], [], [], []];
  const base = Date.parse('2026-11-02T09:00:00Z');
  for (let index = 0; index < pullRequests; index += 1) {
    const number = round * 1_000_000 + index + 1;
    const headSha = hex(`head-${number}`);
    const mergeSha = hex(`merge-${number}`);
    const at = (minutes: number) => new Date(base + index * 1000 + minutes * 60_000).toISOString();
    const pr = (closed: boolean) => ({
      number,
      body: `Benchmark change.\n\n${pullRequestMarker({ runId: `bench-${round}-${index}`, model: 'bench-model', complexity: 'standard' })}`,
      user: { login: AGENT },
      created_at: at(0),
      updated_at: closed ? at(120) : at(0),
      closed_at: closed ? at(120) : null,
      merged_at: closed ? at(120) : null,
      merged: closed,
      merge_commit_sha: closed ? mergeSha : null,
      head: { ref: `feature/${number}`, sha: headSha },
      base: { ref: 'main' },
      labels: [],
      additions: 30,
      deletions: 5,
    });
    const add = (phase: number, event: string, payload: unknown) => {
      const body = JSON.stringify(payload);
      phases[phase]!.push({ event, delivery: `bench-${round}-${index}-${phase}`, body, signature: sign(body, secret) });
    };
    add(0, 'pull_request', { action: 'opened', number, pull_request: pr(false), repository: REPOSITORY, sender: { login: AGENT } });
    add(1, 'check_suite', {
      action: 'completed',
      check_suite: { head_sha: headSha, conclusion: 'success', app: { slug: 'ci', name: 'ci' }, created_at: at(5), updated_at: at(15) },
      repository: REPOSITORY,
    });
    add(2, 'pull_request_review', {
      action: 'submitted',
      review: { id: number, state: 'approved', submitted_at: at(60) },
      pull_request: pr(false),
      repository: REPOSITORY,
    });
    add(3, 'pull_request', { action: 'closed', number, pull_request: pr(true), repository: REPOSITORY, sender: { login: 'bench-reviewer' } });
    add(4, 'deployment_status', {
      action: 'created',
      deployment_status: { state: 'success', environment: 'production', created_at: at(180) },
      deployment: { sha: mergeSha, ref: 'main', environment: 'production', created_at: at(170) },
      repository: REPOSITORY,
    });
  }
  return phases;
}

function sign(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

function hex(label: string): string {
  return createHmac('sha1', 'bench').update(label).digest('hex');
}
