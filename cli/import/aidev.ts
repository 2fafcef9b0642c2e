import { parse } from 'csv-parse/sync';
import {
  pairSessions,
  parseTime,
  type ImportedPullRequest,
  type ImportedReview,
  type ImportProblem,
  type ReviewState,
} from './pull-requests.js';

/**
 * Reads one agent's folder of the AIDev dataset: pull requests opened by a coding
 * agent, with their timelines and, for some agents, their reviews and commits.
 *
 *   prs.csv or prs_no_body.csv  id, number, user, state, created_at, closed_at, merged_at, repo_url, ...
 *   pr_timelines.csv            pr_id, event, created_at, actor, commit_id, ...
 *   pr_reviews.csv (optional)   pr_id, id, user, state, submitted_at, ...
 *   pr_commits.csv (optional)   pr_id, sha, author, committer, ...
 *
 * The caller reads the files and passes their text, so this module does no I/O.
 */

export interface AidevFiles {
  /** The folder name, such as `Claude_Code` or `Copilot`; it names the agent. */
  agentFolder: string;
  prs: string;
  timelines: string;
  reviews?: string;
  commits?: string;
  /**
   * Commit authors that are the agent itself, besides the PR's author (for
   * example the identity a background agent commits under). Commits by anyone
   * else count as human modification.
   */
  agentAuthors?: readonly string[];
}

export interface AidevReadResult {
  pullRequests: ImportedPullRequest[];
  problems: ImportProblem[];
  /**
   * Rows of pull requests that prs.csv does not list, per file. The dataset's
   * files hold them by design (its PR list is a sample), so they are not problems.
   */
  outsideSample: ImportProblem[];
}

export const AIDEV_PR_COLUMNS = ['id', 'number', 'user', 'state', 'created_at', 'closed_at', 'merged_at', 'repo_url'] as const;
export const AIDEV_TIMELINE_COLUMNS = ['pr_id', 'event', 'created_at'] as const;
export const AIDEV_REVIEW_COLUMNS = ['pr_id', 'state', 'submitted_at'] as const;
export const AIDEV_COMMIT_COLUMNS = ['pr_id', 'author'] as const;

/** The agent's name as recorded in `gen_ai.agent.name`: the folder name with spaces, e.g. `Claude Code`. */
export function aidevAgentName(folder: string): string {
  return folder.replace(/_/g, ' ');
}

/** Run id of a pull request that carries no run-id marker: stable across importers and re-imports. */
export function pullRequestRunId(repository: string, number: number): string {
  return `github:${repository}/pull/${number}`;
}

const REVIEW_STATES: ReadonlySet<string> = new Set<ReviewState>(['APPROVED', 'CHANGES_REQUESTED', 'COMMENTED', 'DISMISSED']);
const SESSION_EVENTS: Readonly<Record<string, 'started' | 'finished' | 'failed'>> = {
  copilot_work_started: 'started',
  copilot_work_finished: 'finished',
  copilot_work_finished_failure: 'failed',
};

/**
 * Parses one agent folder. A pull request row with an invalid value is skipped
 * and named in `problems`. Throws when a file lacks a required column.
 */
export function readAidevFolder(files: AidevFiles): AidevReadResult {
  const problems: ImportProblem[] = [];
  const agent = aidevAgentName(files.agentFolder);
  const prs = rows(files.prs, AIDEV_PR_COLUMNS, `${files.agentFolder}/prs.csv`);

  const byId = new Map<string, { pr: ImportedPullRequest; author: string }>();
  for (const { line, row } of prs) {
    const where = `${files.agentFolder}/prs.csv line ${line}`;
    try {
      const pr = pullRequestFromRow(row, agent);
      if (byId.has(row.id!)) throw new Error(`pull request id ${row.id} appears on an earlier line`);
      byId.set(row.id!, { pr, author: row.user ?? '' });
    } catch (error) {
      problems.push({ where, message: (error as Error).message });
    }
  }

  // The dataset's timeline, review and commit files also hold rows of pull
  // requests outside its prs.csv sample; they are counted in `outsideSample`.
  const orphans = { timelines: 0, reviews: 0, commits: 0 };
  const agentAuthors = new Set(files.agentAuthors ?? []);

  const sessionEvents = new Map<string, Array<{ kind: 'started' | 'finished' | 'failed'; at: Date }>>();
  const timelineReviews = new Map<string, ImportedReview[]>();
  for (const { line, row } of rows(files.timelines, AIDEV_TIMELINE_COLUMNS, `${files.agentFolder}/pr_timelines.csv`)) {
    const where = `${files.agentFolder}/pr_timelines.csv line ${line}`;
    if (!byId.has(row.pr_id!)) {
      orphans.timelines += 1;
      continue;
    }
    const kind = SESSION_EVENTS[row.event ?? ''];
    try {
      if (kind !== undefined) {
        const at = parseTime(row.created_at, 'created_at');
        if (at === undefined) throw new Error(`${row.event} event has no created_at`);
        push(sessionEvents, row.pr_id!, { kind, at });
      } else if (row.event === 'reviewed') {
        push(timelineReviews, row.pr_id!, { state: undefined, submittedAt: parseTime(row.created_at, 'created_at') });
      }
    } catch (error) {
      problems.push({ where, message: (error as Error).message });
    }
  }

  // pr_reviews.csv has each review's state; without it, the timeline's
  // `reviewed` events give the number of reviews but not their verdicts.
  const csvReviews = files.reviews === undefined ? undefined : new Map<string, ImportedReview[]>();
  if (files.reviews !== undefined) {
    for (const { line, row } of rows(files.reviews, AIDEV_REVIEW_COLUMNS, `${files.agentFolder}/pr_reviews.csv`)) {
      const where = `${files.agentFolder}/pr_reviews.csv line ${line}`;
      if (!byId.has(row.pr_id!)) {
        orphans.reviews += 1;
        continue;
      }
      try {
        const state = row.state ?? '';
        if (!REVIEW_STATES.has(state)) throw new Error(`review state ${JSON.stringify(state)} is not one of ${[...REVIEW_STATES].join(', ')}`);
        push(csvReviews!, row.pr_id!, { state: state as ReviewState, submittedAt: parseTime(row.submitted_at, 'submitted_at') });
      } catch (error) {
        problems.push({ where, message: (error as Error).message });
      }
    }
  }

  // A commit authored by anyone but the PR's author or a listed agent identity is
  // a human change. Agents such as Claude Code commit under the name of the
  // developer who runs them, so the PR author stands for the agent.
  const foreignCommits = files.commits === undefined ? undefined : new Map<string, number>();
  if (files.commits !== undefined) {
    for (const { row } of rows(files.commits, AIDEV_COMMIT_COLUMNS, `${files.agentFolder}/pr_commits.csv`)) {
      const entry = byId.get(row.pr_id!);
      if (entry === undefined) {
        orphans.commits += 1;
        continue;
      }
      const author = row.author ?? '';
      const foreign = author !== '' && author !== entry.author && !agentAuthors.has(author) ? 1 : 0;
      foreignCommits!.set(row.pr_id!, (foreignCommits!.get(row.pr_id!) ?? 0) + foreign);
    }
  }

  const outsideSample: ImportProblem[] = [];
  for (const [file, count] of Object.entries(orphans)) {
    if (count > 0) outsideSample.push({ where: `${files.agentFolder}/pr_${file}.csv`, message: `${count} rows name a pull request that prs.csv does not list; they were skipped` });
  }

  const pullRequests: ImportedPullRequest[] = [];
  for (const [id, { pr }] of byId) {
    pr.sessions = pairSessions(sessionEvents.get(id) ?? []);
    pr.reviews = csvReviews !== undefined ? (csvReviews.get(id) ?? []) : (timelineReviews.get(id) ?? []);
    pr.humanModified = foreignCommits === undefined ? undefined : (foreignCommits.get(id) ?? 0) > 0;
    pullRequests.push(pr);
  }
  return { pullRequests, problems, outsideSample };
}

function pullRequestFromRow(row: Record<string, string>, agent: string): ImportedPullRequest {
  const repository = /^https:\/\/api\.github\.com\/repos\/([^/\s]+\/[^/\s]+)$/.exec(row.repo_url ?? '')?.[1];
  if (repository === undefined) {
    throw new Error(`repo_url ${JSON.stringify(row.repo_url)} is not an API address such as https://api.github.com/repos/owner/name`);
  }
  const number = /^[1-9][0-9]*$/.test(row.number ?? '') ? Number(row.number) : Number.NaN;
  if (!Number.isSafeInteger(number)) throw new Error(`number ${JSON.stringify(row.number)} is not a pull request number`);
  if (!/^[0-9]+$/.test(row.id ?? '')) throw new Error(`id ${JSON.stringify(row.id)} is not a numeric pull request id`);

  const createdAt = parseTime(row.created_at, 'created_at');
  if (createdAt === undefined) throw new Error('created_at is empty');
  const mergedAt = parseTime(row.merged_at, 'merged_at');
  const closedAt = mergedAt ?? parseTime(row.closed_at, 'closed_at');
  if (closedAt !== undefined && closedAt.getTime() < createdAt.getTime()) {
    throw new Error(`the pull request closed (${closedAt.toISOString()}) before it was created (${createdAt.toISOString()})`);
  }
  return {
    runId: pullRequestRunId(repository, number),
    repository,
    number,
    // Every pull request in the dataset was opened by the folder's agent.
    authorKind: 'agent',
    agent,
    createdAt,
    closedAt,
    merged: mergedAt !== undefined,
    reviews: [],
    sessions: [],
    humanModified: undefined,
  };
}

function rows(text: string, required: readonly string[], file: string): Array<{ line: number; row: Record<string, string> }> {
  const records = parse(text, {
    bom: true,
    info: true,
    columns: true,
    record_delimiter: ['\r\n', '\n'],
    skip_empty_lines: true,
  }) as unknown as Array<{ record: Record<string, string>; info: { lines: number } }>;
  const header = records[0] === undefined ? required : Object.keys(records[0].record);
  const missing = required.filter((column) => !header.includes(column));
  if (missing.length > 0) throw new Error(`${file} has no column ${missing.join(', ')}; expected at least ${required.join(', ')}`);
  return records.map(({ record, info }) => ({ line: info.lines, row: record }));
}

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}
