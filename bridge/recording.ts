import type { AuthorKind, TaskComplexity } from '../sdk/index.js';

/**
 * One SDK call the bridge owes the collector, as it is stored in the outbox: the
 * state change that decided it and the row are committed in one transaction.
 * Times are epoch milliseconds.
 */
export type Recording =
  | (RecordingBase & { kind: 'run'; startTime: number; endTime: number })
  | (RecordingBase & {
      kind: 'verification';
      attempt: number;
      result: 'success' | 'failure' | 'error' | 'timeout' | 'cancellation' | 'skip';
      pipelineName: string;
      startTime: number | null;
      endTime: number;
    })
  | (RecordingBase & {
      kind: 'review';
      openedAt: number;
      closedAt: number;
      state: 'merged' | 'closed';
      humanModified: boolean;
      rounds: number;
      approvals: number;
    })
  | (RecordingBase & { kind: 'deployment'; commitAt: number; deployedAt: number; environment: string; revision: string })
  | (RecordingBase & {
      kind: 'outcome';
      status: 'merged' | 'closed' | 'abandoned';
      at: number;
      attempts: number;
      firstAttemptPassed: boolean;
      humanModified: boolean;
    });

interface RecordingBase {
  runId: string;
  authorKind: AuthorKind;
  identity: RecordedIdentity;
}

/** The run identity the bridge passes to resumeRun or startRun. */
export interface RecordedIdentity {
  repository: string;
  changeId: string;
  model?: string;
  provider?: string;
  complexity?: TaskComplexity;
}
