import { describe, expect, it } from 'vitest';
import { aidevAgentName, readAidevFolder } from '../../cli/import/aidev.js';

// Rows made for the tests, in the AIDev column layout; no real users or repositories.
const PRS = `id,number,title,user,user_id_hash,state,created_at,closed_at,merged_at,repo_url,html_url,body_chars
101,7,Add retries,user-aaa,h1,closed,2025-06-01T10:00:00Z,2025-06-02T10:00:00Z,2025-06-02T10:00:00Z,https://api.github.com/repos/acme/api,https://github.com/acme/api/pull/7,10
102,8,Fix typo,user-bbb,h2,closed,2025-06-03T10:00:00Z,2025-06-03T12:00:00Z,,https://api.github.com/repos/acme/web,https://github.com/acme/web/pull/8,5
103,9,Still open,user-aaa,h1,open,2025-06-04T10:00:00Z,,,https://api.github.com/repos/acme/api,https://github.com/acme/api/pull/9,5
`;

const TIMELINES = `pr_id,event,created_at,actor,commit_id,assignee,label,message_chars
101,copilot_work_started,2025-06-01T10:01:00Z,user-x,,,,0
101,copilot_work_finished_failure,2025-06-01T10:20:00Z,user-x,,,,0
101,copilot_work_started,2025-06-01T11:00:00Z,user-x,,,,0
101,copilot_work_finished,2025-06-01T11:30:00Z,user-x,,,,0
101,reviewed,2025-06-01T12:00:00Z,user-r,,,,0
102,copilot_work_started,2025-06-03T10:01:00Z,user-x,,,,0
999,committed,,,abc,,,3
`;

const REVIEWS = `pr_id,id,user,state,submitted_at,body_chars
101,1,user-r,CHANGES_REQUESTED,2025-06-01T12:00:00Z,0
101,2,user-r,APPROVED,2025-06-02T09:00:00Z,0
`;

const COMMITS = `pr_id,sha,author,committer,message_chars
101,s1,user-aaa,user-aaa,4
101,s2,user-bot,user-bot,4
102,s3,user-bbb,user-bbb,4
102,s4,user-zzz,user-zzz,4
`;

describe('readAidevFolder', () => {
  it('maps pull requests, sessions, reviews and commits', () => {
    const { pullRequests, problems, outsideSample } = readAidevFolder({ agentFolder: 'Copilot', prs: PRS, timelines: TIMELINES, reviews: REVIEWS, commits: COMMITS, agentAuthors: ['user-bot'] });
    expect(problems).toEqual([]);
    expect(outsideSample).toEqual([{ where: 'Copilot/pr_timelines.csv', message: '1 rows name a pull request that prs.csv does not list; they were skipped' }]);
    const [merged, closed, open] = pullRequests;

    expect(merged).toMatchObject({ runId: 'github:acme/api/pull/7', repository: 'acme/api', number: 7, agent: 'Copilot', authorKind: 'agent', merged: true, humanModified: false });
    expect(merged!.closedAt?.toISOString()).toBe('2025-06-02T10:00:00.000Z');
    expect(merged!.sessions.map((s) => [s.startedAt.toISOString(), s.endedAt?.toISOString(), s.failed])).toEqual([
      ['2025-06-01T10:01:00.000Z', '2025-06-01T10:20:00.000Z', true],
      ['2025-06-01T11:00:00.000Z', '2025-06-01T11:30:00.000Z', false],
    ]);
    // pr_reviews.csv wins over the timeline's stateless `reviewed` events.
    expect(merged!.reviews.map((r) => r.state)).toEqual(['CHANGES_REQUESTED', 'APPROVED']);

    expect(closed).toMatchObject({ merged: false, humanModified: true });
    expect(closed!.sessions).toEqual([{ startedAt: new Date('2025-06-03T10:01:00Z'), endedAt: undefined, failed: false }]);
    expect(open).toMatchObject({ closedAt: undefined, merged: false });
  });

  it('falls back without reviews and commits files', () => {
    const { pullRequests } = readAidevFolder({ agentFolder: 'OpenAI_Codex', prs: PRS, timelines: TIMELINES });
    expect(pullRequests[0]!.reviews).toEqual([{ state: undefined, submittedAt: new Date('2025-06-01T12:00:00Z') }]);
    expect(pullRequests[0]!.humanModified).toBeUndefined();
    expect(pullRequests[0]!.agent).toBe('OpenAI Codex');
  });

  it('skips and names bad rows', () => {
    const bad = `${PRS}104,10,x,user-a,h,closed,yesterday,,,https://api.github.com/repos/acme/api,u,1
105,11,x,user-a,h,closed,2025-06-05T10:00:00Z,,,https://github.com/acme/api,u,1
106,12,x,user-a,h,closed,2025-06-05T10:00:00Z,2025-06-04T10:00:00Z,,https://api.github.com/repos/acme/api,u,1
101,13,x,user-a,h,closed,2025-06-05T10:00:00Z,,,https://api.github.com/repos/acme/api,u,1
`;
    const { pullRequests, problems } = readAidevFolder({ agentFolder: 'Cursor', prs: bad, timelines: 'pr_id,event,created_at\n' });
    expect(pullRequests).toHaveLength(3);
    expect(problems).toEqual([
      { where: 'Cursor/prs.csv line 5', message: 'created_at "yesterday" is not an ISO 8601 time such as 2025-06-19T01:41:54Z' },
      { where: 'Cursor/prs.csv line 6', message: 'repo_url "https://github.com/acme/api" is not an API address such as https://api.github.com/repos/owner/name' },
      { where: 'Cursor/prs.csv line 7', message: 'the pull request closed (2025-06-04T10:00:00.000Z) before it was created (2025-06-05T10:00:00.000Z)' },
      { where: 'Cursor/prs.csv line 8', message: 'pull request id 101 appears on an earlier line' },
    ]);
  });

  it('throws when a file lacks a required column', () => {
    expect(() => readAidevFolder({ agentFolder: 'Cursor', prs: 'id,number\n1,2\n', timelines: '' })).toThrow(
      'Cursor/prs.csv has no column user, state, created_at, closed_at, merged_at, repo_url; expected at least id, number, user, state, created_at, closed_at, merged_at, repo_url',
    );
  });

  it('names agents after their folder', () => {
    expect(aidevAgentName('Claude_Code')).toBe('Claude Code');
  });
});
