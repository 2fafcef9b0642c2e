/**
 * The bridge's own event model: what it keeps from a GitHub webhook or a CI or
 * deploy pipeline's JSON event. Times are epoch milliseconds.
 */

/** The pull request fields that every pull_request and pull_request_review payload carries. */
export interface PullRequestFacts {
  /** `owner/name`. */
  repository: string;
  number: number;
  body: string | null;
  headRef: string;
  headSha: string;
  baseRef: string;
  /** Login of the pull request's author. */
  author: string;
  createdAt: number;
  /** When this snapshot of the pull request was taken; a later snapshot replaces an earlier one. */
  updatedAt: number;
  closedAt: number | null;
  mergedAt: number | null;
  mergeSha: string | null;
  labels: string[];
  /** Lines added plus lines removed, when the payload has them. */
  linesChanged: number | null;
}

export type BridgeEvent =
  | {
      type: 'pull_request';
      action: 'opened' | 'reopened' | 'synchronize' | 'closed' | 'edited' | 'ready_for_review' | 'labeled' | 'unlabeled';
      pullRequest: PullRequestFacts;
      /** Login of the user who caused the event (for synchronize, the pusher). */
      sender: string;
      /** For synchronize: the new head commit. */
      afterSha: string | null;
    }
  | {
      type: 'review';
      action: 'submitted' | 'edited' | 'dismissed';
      pullRequest: PullRequestFacts;
      reviewId: string;
      /** `approved`, `changes_requested`, `commented` or `dismissed`, lower case. */
      state: string;
      submittedAt: number | null;
    }
  | {
      type: 'check';
      repository: string;
      sha: string;
      /** The check suite's app or the workflow's name: the pipeline. */
      name: string;
      /** `success`, `failure`, `neutral`, `cancelled`, `skipped`, `timed_out`, `action_required`, `stale` or `startup_failure`. */
      conclusion: string;
      startedAt: number | null;
      completedAt: number;
    }
  | {
      type: 'deployment';
      repository: string;
      /** The deployed commit. */
      sha: string;
      /** The deployed branch or tag, when known. */
      ref: string | null;
      environment: string;
      succeeded: boolean;
      /** When the deployment finished (its status was set). */
      deployedAt: number;
      /** When the deployment was created, which bounds what it can contain. */
      createdAt: number;
      /** Further commits that the deploy pipeline lists as part of the deployment. */
      commits: string[];
    }
  | {
      type: 'push';
      repository: string;
      branch: string;
      /** The run id of a `Factory-Run-Id` trailer in the pushed commits. */
      runId: string | null;
    };
