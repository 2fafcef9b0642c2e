import { z } from 'zod';
import { pullRequestRunId } from './aidev.js';
import { pairSessions, parseTime, type ImportedPullRequest, type ImportedReview, type ImportProblem, type ReviewState } from './pull-requests.js';

/**
 * Reads a team's past pull requests as GitHub's REST API returns them, saved as
 * JSON files, so that an import runs offline:
 *
 *   pulls.json                    GET /repos/{owner}/{repo}/pulls?state=all (one array; pages concatenated)
 *   pulls/<number>/timeline.json  GET /repos/{owner}/{repo}/issues/{number}/timeline
 *   pulls/<number>/reviews.json   GET /repos/{owner}/{repo}/pulls/{number}/reviews
 *   pulls/<number>/commits.json   GET /repos/{owner}/{repo}/pulls/{number}/commits
 *
 * The three per-PR files are optional: without a timeline there are no agent
 * sessions, without reviews no review counts, without commits no human
 * modification. The caller reads the files; this module parses them.
 */

export interface GithubPullRequestFiles {
  /** Parsed content of one PR's files; undefined where the file is absent. */
  timeline?: unknown;
  reviews?: unknown;
  commits?: unknown;
}

export interface GithubReadOptions {
  /**
   * Logins of the coding agents (for example `Copilot` or `devin-ai-integration[bot]`).
   * A PR opened by one of them is an agent PR; a commit by anyone else is a human change.
   */
  agentLogins: readonly string[];
  /** Finds a run id that the SDK wrote into the PR (body marker, branch name); undefined if none. */
  findRunId?: (pr: { body: string | null; branch: string }) => string | undefined;
}

export interface GithubReadResult {
  pullRequests: ImportedPullRequest[];
  problems: ImportProblem[];
}

const userSchema = z.object({ login: z.string() }).nullable();

const pullSchema = z.object({
  number: z.number().int().positive(),
  user: userSchema,
  body: z.string().nullable().optional(),
  created_at: z.string(),
  closed_at: z.string().nullable(),
  merged_at: z.string().nullable(),
  head: z.object({ ref: z.string() }),
  base: z.object({ repo: z.object({ full_name: z.string().regex(/^[^/\s]+\/[^/\s]+$/, 'expected owner/name') }) }),
});

const reviewSchema = z.object({ state: z.string(), submitted_at: z.string().nullable().optional() });
const commitSchema = z.object({ author: userSchema.optional(), commit: z.object({ author: z.object({ name: z.string().optional() }).nullable().optional() }).optional() });
const timelineEventSchema = z.object({ event: z.string().optional(), created_at: z.string().nullable().optional() });

const SESSION_EVENTS: Readonly<Record<string, 'started' | 'finished' | 'failed'>> = {
  copilot_work_started: 'started',
  copilot_work_finished: 'finished',
  copilot_work_finished_failure: 'failed',
};
const REVIEW_STATES: ReadonlySet<string> = new Set<ReviewState>(['APPROVED', 'CHANGES_REQUESTED', 'COMMENTED', 'DISMISSED']);

/**
 * Parses `pulls.json` and each PR's files. A PR whose entry does not match the
 * API's shape is skipped and named in `problems` with the field at fault.
 * Throws when `pulls` is not an array.
 */
export function readGithubPulls(
  pulls: unknown,
  filesFor: (number: number) => GithubPullRequestFiles,
  options: GithubReadOptions,
): GithubReadResult {
  if (!Array.isArray(pulls)) throw new Error('pulls.json is not a JSON array; expected the response of GET /repos/{owner}/{repo}/pulls?state=all');
  const agents = new Set(options.agentLogins);
  const problems: ImportProblem[] = [];
  const pullRequests: ImportedPullRequest[] = [];
  const seen = new Set<string>();

  for (const [index, entry] of pulls.entries()) {
    const where = `pulls.json entry ${index}`;
    const parsed = pullSchema.safeParse(entry);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      problems.push({ where, message: `${issue.path.join('.') || 'entry'}: ${issue.message}` });
      continue;
    }
    const pull = parsed.data;
    try {
      const pr = pullRequestFromApi(pull, filesFor(pull.number), agents, options.findRunId);
      if (seen.has(pr.runId)) throw new Error(`run ${pr.runId} appears in an earlier entry`);
      seen.add(pr.runId);
      pullRequests.push(pr);
    } catch (error) {
      problems.push({ where: `${where} (#${pull.number})`, message: (error as Error).message });
    }
  }
  return { pullRequests, problems };
}

function pullRequestFromApi(
  pull: z.infer<typeof pullSchema>,
  files: GithubPullRequestFiles,
  agents: ReadonlySet<string>,
  findRunId: GithubReadOptions['findRunId'],
): ImportedPullRequest {
  const repository = pull.base.repo.full_name;
  const createdAt = parseTime(pull.created_at, 'created_at')!;
  const mergedAt = parseTime(pull.merged_at, 'merged_at');
  const closedAt = mergedAt ?? parseTime(pull.closed_at, 'closed_at');
  if (closedAt !== undefined && closedAt.getTime() < createdAt.getTime()) {
    throw new Error(`the pull request closed (${closedAt.toISOString()}) before it was created (${createdAt.toISOString()})`);
  }

  const login = pull.user?.login;
  const linkedRunId = findRunId?.({ body: pull.body ?? null, branch: pull.head.ref });
  const agent = login !== undefined && agents.has(login) ? login : undefined;

  return {
    runId: linkedRunId ?? pullRequestRunId(repository, pull.number),
    repository,
    number: pull.number,
    authorKind: agent !== undefined || linkedRunId !== undefined ? 'agent' : 'human',
    agent,
    createdAt,
    closedAt,
    merged: mergedAt !== undefined,
    reviews: files.reviews === undefined ? [] : reviewsFrom(files.reviews),
    sessions: files.timeline === undefined ? [] : sessionsFrom(files.timeline),
    humanModified: files.commits === undefined ? undefined : hasForeignCommit(files.commits, login, agents),
  };
}

function reviewsFrom(value: unknown): ImportedReview[] {
  const reviews = z.array(reviewSchema).parse(value, { error: () => 'reviews.json is not an array of reviews' });
  return reviews.map((review) => ({
    state: REVIEW_STATES.has(review.state) ? (review.state as ReviewState) : undefined,
    submittedAt: parseTime(review.submitted_at, 'submitted_at'),
  }));
}

function sessionsFrom(value: unknown): ReturnType<typeof pairSessions> {
  const events = z.array(timelineEventSchema).parse(value, { error: () => 'timeline.json is not an array of timeline events' });
  const sessionEvents: Array<{ kind: 'started' | 'finished' | 'failed'; at: Date }> = [];
  for (const event of events) {
    const kind = SESSION_EVENTS[event.event ?? ''];
    const at = parseTime(event.created_at, `${event.event} created_at`);
    if (kind !== undefined && at !== undefined) sessionEvents.push({ kind, at });
  }
  return pairSessions(sessionEvents);
}

// A commit with no linked GitHub account (author null) cannot be attributed, so
// it does not count as a human change.
function hasForeignCommit(value: unknown, prAuthor: string | undefined, agents: ReadonlySet<string>): boolean {
  const commits = z.array(commitSchema).parse(value, { error: () => 'commits.json is not an array of commits' });
  return commits.some((commit) => {
    const login = commit.author?.login;
    return login !== undefined && login !== prAuthor && !agents.has(login);
  });
}
