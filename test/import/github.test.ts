import { describe, expect, it } from 'vitest';
import { readGithubPulls, type GithubPullRequestFiles } from '../../cli/import/github.js';

// Entries shaped like GitHub's REST responses, made for the tests.
function pull(number: number, login: string, fields: Record<string, unknown> = {}) {
  return {
    number,
    user: { login, type: 'User' },
    body: null,
    created_at: '2026-10-01T09:00:00Z',
    closed_at: '2026-10-02T09:00:00Z',
    merged_at: '2026-10-02T09:00:00Z',
    head: { ref: `feature-${number}` },
    base: { repo: { full_name: 'acme/api' } },
    ...fields,
  };
}

const FILES: Record<number, GithubPullRequestFiles> = {
  1: {
    timeline: [
      { event: 'copilot_work_started', created_at: '2026-10-01T09:01:00Z' },
      { event: 'copilot_work_finished', created_at: '2026-10-01T09:30:00Z' },
      { event: 'commented', created_at: '2026-10-01T10:00:00Z' },
    ],
    reviews: [{ state: 'APPROVED', submitted_at: '2026-10-02T08:00:00Z' }],
    commits: [{ author: { login: 'Copilot' } }, { author: null }],
  },
  2: { commits: [{ author: { login: 'Copilot' } }, { author: { login: 'maintainer' } }] },
};

describe('readGithubPulls', () => {
  const options = { agentLogins: ['Copilot'] };

  it('maps agent and human pull requests', () => {
    const pulls = [pull(1, 'Copilot'), pull(2, 'Copilot'), pull(3, 'dev', { merged_at: null })];
    const { pullRequests, problems } = readGithubPulls(pulls, (n) => FILES[n] ?? {}, options);
    expect(problems).toEqual([]);
    expect(pullRequests.map((pr) => [pr.runId, pr.authorKind, pr.agent, pr.merged, pr.humanModified, pr.sessions.length, pr.reviews.length])).toEqual([
      ['github:acme/api/pull/1', 'agent', 'Copilot', true, false, 1, 1],
      ['github:acme/api/pull/2', 'agent', 'Copilot', true, true, 0, 0],
      ['github:acme/api/pull/3', 'human', undefined, false, undefined, 0, 0],
    ]);
  });

  it('uses a run id that the SDK wrote into the pull request', () => {
    const findRunId = ({ body }: { body: string | null }) => /run-id: (\S+)/.exec(body ?? '')?.[1];
    const { pullRequests } = readGithubPulls([pull(4, 'dev', { body: 'run-id: run-42' })], () => ({}), { ...options, findRunId });
    expect(pullRequests[0]).toMatchObject({ runId: 'run-42', authorKind: 'agent', agent: undefined });
  });

  it('skips an entry that does not match the API shape and names the field', () => {
    const { pullRequests, problems } = readGithubPulls([pull(5, 'dev', { created_at: 'soon' }), { number: 'six' }, pull(1, 'dev'), pull(1, 'dev')], () => ({}), options);
    expect(pullRequests).toHaveLength(1);
    expect(problems).toEqual([
      { where: 'pulls.json entry 0 (#5)', message: 'created_at "soon" is not an ISO 8601 time such as 2025-06-19T01:41:54Z' },
      { where: 'pulls.json entry 1', message: 'number: Invalid input: expected number, received string' },
      { where: 'pulls.json entry 3 (#1)', message: 'run github:acme/api/pull/1 appears in an earlier entry' },
    ]);
  });

  it('rejects a pulls file that is not an array', () => {
    expect(() => readGithubPulls({ message: 'Not Found' }, () => ({}), options)).toThrow('pulls.json is not a JSON array');
  });
});
