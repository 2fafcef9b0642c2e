import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadAidev, loadGithub } from '../../cli/import/load.js';
import { pullRequestMarker } from '../../sdk/index.js';

// Files shaped like GitHub's REST responses and the AIDev CSV layout, made for the tests.
function githubDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'github-import-'));
  const pull = (number: number, login: string, body: string | null) => ({
    number,
    user: { login },
    body,
    created_at: '2026-10-01T09:00:00Z',
    closed_at: '2026-10-02T09:00:00Z',
    merged_at: null,
    head: { ref: `feature-${number}` },
    base: { repo: { full_name: 'acme/api' } },
  });
  writeFileSync(join(dir, 'pulls.json'), JSON.stringify([pull(1, 'Copilot', null), pull(2, 'dev', pullRequestMarker({ runId: 'run-7' })!), pull(3, 'dev', null)]));
  mkdirSync(join(dir, 'pulls', '1'), { recursive: true });
  writeFileSync(
    join(dir, 'pulls', '1', 'timeline.json'),
    JSON.stringify([
      { event: 'copilot_work_started', created_at: '2026-10-01T09:01:00Z' },
      { event: 'copilot_work_finished', created_at: '2026-10-01T09:20:00Z' },
      { event: 'copilot_work_started', created_at: '2026-10-01T12:00:00Z' },
      { event: 'copilot_work_finished_failure', created_at: '2026-10-01T12:30:00Z' },
    ]),
  );
  writeFileSync(join(dir, 'pulls', '1', 'reviews.json'), '{ not json');
  return dir;
}

const PRS = `id,number,title,user,user_id_hash,state,created_at,closed_at,merged_at,repo_url,html_url,body_chars
101,7,Add retries,user-aaa,h1,closed,2025-06-01T10:00:00Z,2025-06-02T10:00:00Z,2025-06-02T10:00:00Z,https://api.github.com/repos/acme/api,https://github.com/acme/api/pull/7,10
`;
const TIMELINES = `pr_id,event,created_at,actor,commit_id,assignee,label,message_chars
101,merged,2025-06-02T10:00:00Z,user-aaa,,,,0
999,commented,2025-06-02T10:00:00Z,user-aaa,,,,0
`;

function aidevDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'aidev-import-'));
  for (const [folder, prsFile] of [['Claude_Code', 'prs.csv'], ['OpenAI_Codex', 'prs_no_body.csv']] as const) {
    mkdirSync(join(dir, folder));
    writeFileSync(join(dir, folder, prsFile), PRS);
    writeFileSync(join(dir, folder, 'pr_timelines.csv'), TIMELINES);
  }
  mkdirSync(join(dir, 'notes'));
  return dir;
}

describe('loadGithub', () => {
  it('reads pulls and their timelines', () => {
    const { pullRequests } = loadGithub(githubDir(), ['Copilot']);
    expect(pullRequests.map((pr) => [pr.runId, pr.authorKind, pr.agent])).toEqual([
      ['github:acme/api/pull/1', 'agent', 'Copilot'],
      ['run-7', 'agent', undefined],
      ['github:acme/api/pull/3', 'human', undefined],
    ]);
    expect(pullRequests[0]!.sessions).toHaveLength(2);
    expect(pullRequests[0]!.sessions[1]!.failed).toBe(true);
  });

  it('reports an invalid per-PR file', () => {
    const dir = githubDir();
    const { problems, pullRequests } = loadGithub(dir, ['Copilot']);
    expect(pullRequests[0]!.reviews).toEqual([]);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.where).toBe(join(dir, 'pulls', '1', 'reviews.json'));
    expect(problems[0]!.message).toMatch(/^invalid JSON in .*; the pull request is imported without it$/);
  });
});

describe('loadAidev', () => {
  it('reads every agent folder', () => {
    const { pullRequests, sources, problems, ignored } = loadAidev(aidevDir());
    expect(sources).toEqual(['Claude_Code', 'OpenAI_Codex']);
    expect(pullRequests.map((pr) => pr.agent)).toEqual(['Claude Code', 'OpenAI Codex']);
    expect(problems).toEqual([]);
    expect(ignored.map((note) => note.where)).toEqual(['Claude_Code/pr_timelines.csv', 'OpenAI_Codex/pr_timelines.csv']);
  });

  it('reads one agent folder', () => {
    const { pullRequests, sources } = loadAidev(join(aidevDir(), 'OpenAI_Codex'));
    expect(sources).toEqual(['OpenAI_Codex']);
    expect(pullRequests).toHaveLength(1);
  });
});
