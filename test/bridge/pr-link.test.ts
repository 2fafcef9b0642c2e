import { describe, expect, it } from 'vitest';
import {
  findRunLink,
  parsePullRequestMarker,
  parseRunBranchName,
  parseRunIdTrailer,
  pullRequestMarker,
  runBranchName,
  runIdTrailer,
} from '../../sdk/index.js';

describe('pullRequestMarker', () => {
  it('round-trips the run id and identity', () => {
    const marker = pullRequestMarker({ runId: 'run 42/a-->b', model: 'frontier-1', provider: 'example-ai', complexity: 'complex' })!;
    expect(marker.startsWith('<!-- factory.run.id=')).toBe(true);
    expect(marker.indexOf('-->')).toBe(marker.length - 3);
    expect(parsePullRequestMarker(`Fixes the refund rounding.\n\n${marker}\n`)).toEqual({
      runId: 'run 42/a-->b',
      model: 'frontier-1',
      provider: 'example-ai',
      complexity: 'complex',
    });
  });

  it('rejects an invalid run id', () => {
    expect(pullRequestMarker({ runId: '' })).toBeUndefined();
    expect(pullRequestMarker({ runId: 'a\nb' })).toBeUndefined();
    expect(parsePullRequestMarker('<!-- factory.run.id=%0A -->')).toBeUndefined();
  });

  it('leaves out an unknown complexity and ignores unknown keys', () => {
    expect(parsePullRequestMarker('<!-- factory.run.id=r1 factory.task.complexity=huge other.key=1 -->')).toEqual({ runId: 'r1' });
  });

  it('returns undefined for a body without a marker', () => {
    expect(parsePullRequestMarker('Plain description')).toBeUndefined();
    expect(parsePullRequestMarker(null)).toBeUndefined();
  });
});

describe('runBranchName', () => {
  it('round-trips a UUID with and without a suffix', () => {
    const runId = '0b8d1c7e-4f55-4d37-9a1e-3c2f1b0a9d88';
    expect(parseRunBranchName(runBranchName(runId))).toBe(runId);
    expect(parseRunBranchName(`refs/heads/${runBranchName(runId, 'fix-refunds')}`)).toBe(runId);
  });

  it('refuses run ids that git forbids in branch names', () => {
    for (const runId of ['a b', 'a..b', 'x.lock', '-lead', 'a:b']) expect(runBranchName(runId), runId).toBeUndefined();
    expect(parseRunBranchName('feature/factory/run-1')).toBeUndefined();
    expect(parseRunBranchName('factory/')).toBeUndefined();
  });
});

describe('runIdTrailer', () => {
  it('round-trips through a commit message, last trailer winning', () => {
    const message = `Fix rounding\n\nLonger text.\n\n${runIdTrailer('run-old')}\nfactory-run-id:   run-new  \n`;
    expect(parseRunIdTrailer(message)).toBe('run-new');
  });

  it('refuses a run id with surrounding whitespace', () => {
    expect(runIdTrailer(' run-1')).toBeUndefined();
    expect(parseRunIdTrailer('Subject only')).toBeUndefined();
  });
});

describe('findRunLink', () => {
  it('prefers the body marker, then the branch, then a trailer', () => {
    const body = pullRequestMarker({ runId: 'from-body' });
    const commitMessages = ['First\n\nFactory-Run-Id: from-trailer'];
    expect(findRunLink({ body, branch: 'factory/from-branch', commitMessages })).toEqual({ link: { runId: 'from-body' }, source: 'body' });
    expect(findRunLink({ body: 'none', branch: 'factory/from-branch', commitMessages })).toEqual({ link: { runId: 'from-branch' }, source: 'branch' });
    expect(findRunLink({ body: 'none', branch: 'main', commitMessages })).toEqual({ link: { runId: 'from-trailer' }, source: 'trailer' });
    expect(findRunLink({ body: 'none', branch: 'main' })).toBeUndefined();
  });
});
