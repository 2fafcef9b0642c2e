/**
 * A team's past pull requests, as the history importers read them from GitHub's
 * REST API output or from the AIDev CSV layout. Both readers produce this shape,
 * and one recorder turns it into runs, so the two sources cannot drift apart.
 */

export interface ImportedPullRequest {
  /** The run id: the PR's run-id marker if it has one, else derived from the PR. */
  runId: string;
  /** `owner/name`. */
  repository: string;
  number: number;
  /** `agent` for a PR a coding agent opened (by login or run-id marker), else `human`. */
  authorKind: 'agent' | 'human';
  /** The coding agent's name (for example `Copilot`), where the source names it. */
  agent: string | undefined;
  createdAt: Date;
  /** When the PR was merged or closed; undefined while it is open. */
  closedAt: Date | undefined;
  merged: boolean;
  reviews: ImportedReview[];
  /** Agent work sessions, in order (Copilot's copilot_work_started and _finished events). */
  sessions: AgentSession[];
  /**
   * Whether someone other than the agent pushed a commit to the PR; undefined
   * when the source does not say who wrote each commit.
   */
  humanModified: boolean | undefined;
}

export type ReviewState = 'APPROVED' | 'CHANGES_REQUESTED' | 'COMMENTED' | 'DISMISSED';

export interface ImportedReview {
  state: ReviewState | undefined;
  submittedAt: Date | undefined;
}

export interface AgentSession {
  startedAt: Date;
  /** Undefined when the session's end is not in the timeline. */
  endedAt: Date | undefined;
  failed: boolean;
}

/** One rejected input row or file, with where it was and why. */
export interface ImportProblem {
  where: string;
  message: string;
}

/**
 * Review rounds: each CHANGES_REQUESTED review starts one, as the SDK's
 * `rounds` counts "changes requested, then updated".
 */
export function reviewRounds(reviews: readonly ImportedReview[]): number {
  return reviews.filter((review) => review.state === 'CHANGES_REQUESTED').length;
}

export function approvals(reviews: readonly ImportedReview[]): number {
  return reviews.filter((review) => review.state === 'APPROVED').length;
}

/**
 * Pairs work-session events into sessions. A start with no end before the next
 * start (or the end of the timeline) is a session whose end is unknown; an end
 * with no start is ignored, because its start time, and so its duration, is unknown.
 */
export function pairSessions(events: ReadonlyArray<{ kind: 'started' | 'finished' | 'failed'; at: Date }>): AgentSession[] {
  const ordered = [...events].sort((a, b) => a.at.getTime() - b.at.getTime());
  const sessions: AgentSession[] = [];
  let open: Date | undefined;
  for (const event of ordered) {
    if (event.kind === 'started') {
      if (open !== undefined) sessions.push({ startedAt: open, endedAt: undefined, failed: false });
      open = event.at;
      continue;
    }
    if (open === undefined) continue;
    sessions.push({ startedAt: open, endedAt: event.at, failed: event.kind === 'failed' });
    open = undefined;
  }
  if (open !== undefined) sessions.push({ startedAt: open, endedAt: undefined, failed: false });
  return sessions;
}

/** Parses an ISO 8601 time, or returns undefined for an empty field. Throws on anything else. */
export function parseTime(value: string | null | undefined, field: string): Date | undefined {
  if (value === undefined || value === null || value.trim() === '') return undefined;
  const date = new Date(value);
  if (Number.isNaN(date.getTime()) || !/^\d{4}-\d{2}-\d{2}T/.test(value.trim())) {
    throw new Error(`${field} ${JSON.stringify(value)} is not an ISO 8601 time such as 2025-06-19T01:41:54Z`);
  }
  return date;
}
