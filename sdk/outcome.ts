import type { OutcomeStatus } from './semconv.js';

/** The facts a run's outcome is decided on. */
export interface OutcomeFacts {
  status: OutcomeStatus;
  /** AI attempts made, counting the first. */
  attempts: number;
  /** Whether the first attempt's final verification (CI) run succeeded. */
  firstAttemptPassed: boolean;
  /** Whether a human pushed a change to the run's code. */
  humanModified: boolean;
}

export interface OutcomeClass {
  oneShot: boolean;
  autonomous: boolean;
}

/**
 * Applies the outcome rules.
 *
 * - One-shot: merged, exactly one attempt, that attempt passed verification, and
 *   no human changed the code.
 * - Autonomous: merged and no human changed the code, after one or more
 *   attempts. Every one-shot run is also autonomous.
 *
 * Closed and abandoned runs are neither, and so is a run with no AI attempt.
 */
export function classifyOutcome(facts: OutcomeFacts): OutcomeClass {
  const merged = facts.status === 'merged';
  const autonomous = merged && !facts.humanModified && facts.attempts >= 1;
  const oneShot = autonomous && facts.attempts === 1 && facts.firstAttemptPassed;
  return { oneShot, autonomous };
}
