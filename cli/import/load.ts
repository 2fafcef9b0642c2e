import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { findRunLink } from '../../sdk/index.js';
import { readAidevFolder } from './aidev.js';
import { readGithubPulls, type GithubPullRequestFiles } from './github.js';
import type { ImportedPullRequest, ImportProblem } from './pull-requests.js';

/** File I/O of the two history layouts; the readers in aidev.ts and github.ts parse. */

export interface LoadedPullRequests {
  pullRequests: ImportedPullRequest[];
  problems: ImportProblem[];
  /** Rows left out by design, such as AIDev rows of pull requests outside the dataset's sample. */
  ignored: ImportProblem[];
  /** What was read: agent folder names (AIDev) or the directory (GitHub). */
  sources: string[];
}

const AIDEV_PR_FILES = ['prs.csv', 'prs_no_body.csv'];

/**
 * Reads an AIDev directory: one agent folder (with prs.csv or prs_no_body.csv),
 * or a folder whose subfolders are agent folders. Throws when neither is found or
 * a file lacks a required column.
 */
export function loadAidev(dir: string): LoadedPullRequests {
  const folders = isAidevAgentFolder(dir)
    ? [dir]
    : readdirSync(dir)
        .sort()
        .map((name) => join(dir, name))
        .filter((path) => statSync(path).isDirectory() && isAidevAgentFolder(path));
  if (folders.length === 0) {
    throw new Error(`${dir} is not an AIDev folder: expected prs.csv or prs_no_body.csv in it or in its subfolders (one per agent, such as Copilot/)`);
  }

  const result: LoadedPullRequests = { pullRequests: [], problems: [], ignored: [], sources: [] };
  for (const folder of folders) {
    const read = (name: string): string | undefined => (existsSync(join(folder, name)) ? readFileSync(join(folder, name), 'utf8') : undefined);
    const prs = read('prs.csv') ?? read('prs_no_body.csv')!;
    const timelines = read('pr_timelines.csv');
    if (timelines === undefined) throw new Error(`${folder} has no pr_timelines.csv; every AIDev agent folder has one`);
    const parsed = readAidevFolder({ agentFolder: basename(folder), prs, timelines, reviews: read('pr_reviews.csv'), commits: read('pr_commits.csv') });
    result.pullRequests.push(...parsed.pullRequests);
    result.problems.push(...parsed.problems);
    result.ignored.push(...parsed.outsideSample);
    result.sources.push(basename(folder));
  }
  return result;
}

/**
 * Reads a directory of GitHub REST API responses (pulls.json and
 * pulls/<number>/{timeline,reviews,commits}.json). A pull request with a run-id
 * marker in its body or branch name is an agent run under that id.
 */
export function loadGithub(dir: string, agentLogins: readonly string[]): LoadedPullRequests {
  const pullsPath = join(dir, 'pulls.json');
  if (!existsSync(pullsPath)) throw new Error(`${dir} has no pulls.json; save GET /repos/{owner}/{repo}/pulls?state=all there`);
  const pulls = parseJson(pullsPath);
  const problems: ImportProblem[] = [];

  const filesFor = (number: number): GithubPullRequestFiles => {
    const files: GithubPullRequestFiles = {};
    for (const name of ['timeline', 'reviews', 'commits'] as const) {
      const path = join(dir, 'pulls', String(number), `${name}.json`);
      if (!existsSync(path)) continue;
      try {
        files[name] = parseJson(path);
      } catch (error) {
        problems.push({ where: path, message: `${(error as Error).message}; the pull request is imported without it` });
      }
    }
    return files;
  };
  const parsed = readGithubPulls(pulls, filesFor, {
    agentLogins,
    findRunId: ({ body, branch }) => findRunLink({ body, branch })?.link.runId,
  });
  return { pullRequests: parsed.pullRequests, problems: [...problems, ...parsed.problems], ignored: [], sources: [dir] };
}

function isAidevAgentFolder(path: string): boolean {
  return AIDEV_PR_FILES.some((name) => existsSync(join(path, name)));
}

function parseJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`invalid JSON in ${path}: ${(error as Error).message}`);
  }
}
