import type { Attributes, Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';
import { ATTR_FACTORY_AUTHOR_KIND, type FactoryTelemetry, type ResumedIdentity } from '../../sdk/index.js';
import { approvals, reviewRounds, type ImportedPullRequest } from './pull-requests.js';

/**
 * Records imported pull requests as runs through the public SDK, the way the
 * bridge records a pull request it followed live, so that the two look the same
 * in Prometheus. docs/import.md lists the mapping and what the sources leave unknown.
 */

/** OpenTelemetry GenAI attribute naming the coding agent, for example `Copilot`. */
export const ATTR_GEN_AI_AGENT_NAME = 'gen_ai.agent.name';

/** Model of the runs of human pull requests, as the bridge records them. */
export const HUMAN_MODEL = 'human';

export interface RecordedPullRequest {
  /** Attempt spans recorded, and sessions counted as attempts but not recorded because their end is unknown. */
  attempts: number;
  attemptsWithoutEnd: number;
  /** Whether the run got a review span (a merged or closed pull request). */
  review: boolean;
  /** Whether the run got an outcome span (a resolved agent pull request). */
  outcome: boolean;
}

/**
 * Adds `factory.author.kind` and `gen_ai.agent.name` to every span the SDK starts,
 * because the Run methods take no extra attributes. Put it before the exporting
 * processor. Spans start synchronously inside recordPullRequest, so one current
 * value suffices.
 */
export class ImportAttributesProcessor implements SpanProcessor {
  current: Attributes | undefined;

  onStart(span: Span, _context: Context): void {
    if (this.current !== undefined) span.setAttributes(this.current);
  }

  onEnd(_span: ReadableSpan): void {}

  async forceFlush(): Promise<void> {}

  async shutdown(): Promise<void> {}
}

/**
 * Records one pull request as a run, with every time moved by `shiftMs`:
 *
 * - each agent work session with a known end becomes an attempt (number i + 1);
 * - a merged or closed pull request gets a review stage from its opening to its
 *   merge or close, with its review rounds and approvals;
 * - a merged or closed agent pull request gets an outcome with attempts = the
 *   number of sessions (at least 1); an open one gets none;
 * - a human pull request is a baseline run with model `human` and no outcome.
 *
 * No root span is recorded: the SDK starts one only with a model and a task
 * complexity, and neither source gives them for agent pull requests.
 */
export function recordPullRequest(
  telemetry: FactoryTelemetry,
  attributes: ImportAttributesProcessor,
  pr: ImportedPullRequest,
  shiftMs = 0,
): RecordedPullRequest {
  const at = (date: Date): Date => new Date(date.getTime() + shiftMs);
  const human = pr.authorKind === 'human';
  attributes.current = {
    [ATTR_FACTORY_AUTHOR_KIND]: pr.authorKind,
    ...(pr.agent !== undefined ? { [ATTR_GEN_AI_AGENT_NAME]: pr.agent } : {}),
  };
  try {
    const identity: ResumedIdentity = { repository: pr.repository, changeId: String(pr.number), ...(human ? { model: HUMAN_MODEL } : {}) };
    const run = telemetry.resumeRun(pr.runId, identity);
    const result: RecordedPullRequest = { attempts: 0, attemptsWithoutEnd: 0, review: false, outcome: false };

    // A session whose end is not in the timeline still counts as an attempt, but
    // gets no span, because any end time given to it would be made up.
    for (const [index, session] of pr.sessions.entries()) {
      if (session.endedAt === undefined) {
        result.attemptsWithoutEnd += 1;
        continue;
      }
      run.startAttempt({ number: index + 1, startTime: at(session.startedAt) }).end({ endTime: at(session.endedAt) });
      result.attempts += 1;
    }

    // Without commit authors, a change by a person cannot be ruled out, so the
    // run is not credited as autonomous (the bridge's rule for unproven facts).
    const humanModified = human || (pr.humanModified ?? true);
    if (pr.closedAt !== undefined) {
      const state = pr.merged ? 'merged' : 'closed';
      run.recordReview({
        openedAt: at(pr.createdAt),
        closedAt: at(pr.closedAt),
        state,
        humanModified,
        rounds: reviewRounds(pr.reviews),
        approvals: approvals(pr.reviews),
      });
      result.review = true;
      if (!human) {
        run.recordOutcome({
          status: state,
          at: at(pr.closedAt),
          attempts: Math.max(1, pr.sessions.length),
          // NOTE: neither source has CI results, so no first attempt is shown to
          // have passed, and an imported run is never one-shot.
          firstAttemptPassed: false,
          humanModified,
        });
        result.outcome = true;
      }
    }
    run.end();
    return result;
  } finally {
    attributes.current = undefined;
  }
}

/**
 * Returns the last time in a set of pull requests: the latest opening, merge,
 * close or session start or end. The history import moves this time to now.
 */
export function lastEventTime(pullRequests: readonly ImportedPullRequest[]): Date | undefined {
  let last = Number.NEGATIVE_INFINITY;
  for (const pr of pullRequests) {
    last = Math.max(last, pr.createdAt.getTime(), pr.closedAt?.getTime() ?? last);
    for (const session of pr.sessions) last = Math.max(last, session.startedAt.getTime(), session.endedAt?.getTime() ?? last);
  }
  return Number.isFinite(last) ? new Date(last) : undefined;
}
