import type { ContextSource, FailureClass, TaskComplexity } from '../../sdk/semconv.js';
import { hex16, logNormal, mulberry32, pickWeighted, streamSeed } from './random.js';
import { resolveBehaviour, type ResolvedBehaviour } from './rules.js';
import type { Scenario } from './scenario.js';

/**
 * Planning: a pure function from a scenario, a seed and a time range to run
 * plans, each with every timestamp and outcome of the run. Recording
 * (record.ts) replays plans through the SDK; tests check plans without it.
 */

export interface PlanOptions {
  /** Any safe integer; the same seed and scenario give the same plans. */
  seed: number;
  /** End of the simulated range. Runs start before it; their later stages may end after it. */
  end: Date;
  /** Length of the range in weeks. Default: the scenario's `weeks`. */
  weeks?: number;
}

/** The planned life of one AI coding run. Times are epoch milliseconds. */
export interface RunPlan {
  runId: string;
  /** The scenario the run comes from. */
  scenario: string;
  changeId: number;
  team: string;
  repository: string;
  model: string;
  provider: string;
  complexity: TaskComplexity;
  experiment: { name: string; arm: string } | undefined;
  startTime: number;
  context: { startTime: number; endTime: number; sources: Partial<Record<ContextSource, number>>; complete: boolean };
  attempts: AttemptPlan[];
  /** End of the harness's part of the run: its last verification. */
  harnessEnd: number;
  review: ReviewPlan;
  /** Deployments of the merged commit, failed ones first; empty when the run was not merged. */
  deployments: DeploymentPlan[];
  outcome: OutcomePlan;
}

export interface AttemptPlan {
  number: number;
  trigger: 'initial' | 'ci_failure';
  startTime: number;
  endTime: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  verification: VerificationPlan;
}

export interface VerificationPlan {
  result: 'success' | 'failure';
  startTime: number;
  endTime: number;
  failureClass?: FailureClass;
  signature?: string;
  /** Whether the failed CI output names what was checked. */
  feedbackSpecific?: boolean;
  /** The value the SDK gives factory.failure.repeated on this verification; undefined where it sets none. */
  repeated?: boolean;
}

export interface ReviewPlan {
  openedAt: number;
  closedAt: number;
  state: 'merged' | 'closed';
  track: 'standard' | 'expedited';
  humanModified: boolean;
  rounds: number;
  approvals: number;
  /** The reviewer's verdict on a pull request that passed CI but fell short. */
  failureClass?: FailureClass;
}

export interface DeploymentPlan {
  commitAt: number;
  deployedAt: number;
  succeeded: boolean;
}

export interface OutcomePlan {
  status: 'merged' | 'closed';
  at: number;
  attempts: number;
  firstAttemptPassed: boolean;
  humanModified: boolean;
  /** As classifyOutcome decides it: merged, one attempt that passed, no human change. */
  oneShot: boolean;
  /** Merged with no human change. */
  autonomous: boolean;
  costUsd: number;
  contextComplete: boolean;
  /** Why a run that is not one-shot missed: the reviewer's class, else the first CI failure's, else `human_modified`. */
  missClass?: string;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
export const WEEK = 7 * 24 * HOUR;
// A deployment completes 5 to 25 minutes after its scheduled time.
const DEPLOY_MINUTES = 20;
const MAX_DEPLOY_TRIES = 10;

/** Start and end of the simulated range in epoch milliseconds. */
export function planRange(scenario: Scenario, options: PlanOptions): { start: number; end: number; weeks: number } {
  const weeks = options.weeks ?? scenario.weeks;
  const end = options.end.getTime();
  return { start: end - weeks * WEEK, end, weeks };
}

/** Plans every run of the scenario in the range, sorted by start time. Pure and deterministic. */
export function planRuns(scenario: Scenario, options: PlanOptions): RunPlan[] {
  if (!Number.isSafeInteger(options.seed)) throw new RangeError(`invalid seed ${options.seed}: expected a safe integer`);
  if (Number.isNaN(options.end.getTime())) throw new RangeError('invalid end: expected a valid Date');
  const range = planRange(scenario, options);
  const count = Math.round(scenario.runsPerWeek * range.weeks);

  const plans: RunPlan[] = [];
  for (let index = 0; index < count; index += 1) plans.push(planRun(scenario, options.seed, index, range));
  return plans.sort((a, b) => a.startTime - b.startTime || a.changeId - b.changeId);
}

/** Plans several scenarios over the same range end, each with its own weeks, merged by start time. */
export function planScenarios(scenarios: readonly Scenario[], options: PlanOptions): RunPlan[] {
  const names = scenarios.map((scenario) => scenario.name);
  const repeated = names.find((value, index) => names.indexOf(value) !== index);
  if (repeated !== undefined) throw new RangeError(`scenario ${JSON.stringify(repeated)} is given twice; scenario names prefix the run ids, so they must differ`);
  return scenarios.flatMap((scenario) => planRuns(scenario, options)).sort((a, b) => a.startTime - b.startTime);
}

function planRun(scenario: Scenario, seed: number, index: number, range: { start: number; end: number }): RunPlan {
  const random = mulberry32(streamSeed(seed, index));
  const startTime = Math.floor(range.start + random() * (range.end - range.start));

  const team = pickByShare(random, scenario.teams);
  const repository = pickByShare(random, team.repositories).name;
  const model = pickByShare(random, scenario.models);
  const complexity = pickWeighted(random, scenario.complexity);
  const experimentSpec = scenario.experiments.find((experiment) => experiment.repository === repository);
  const experiment = experimentSpec === undefined ? undefined : { name: experimentSpec.name, arm: pickByShare(random, experimentSpec.arms).name };

  const behaviour = resolveBehaviour(scenario, { team: team.name, repository, model: model.name, complexity, arm: experiment?.arm, time: startTime }, range.start);
  const context = planContext(random, behaviour, startTime);
  const attempts = planAttempts(random, behaviour, model.costPerAttemptUsd, context.endTime + 10_000);
  const last = attempts[attempts.length - 1]!;
  const harnessEnd = last.verification.endTime;
  const review = planReview(random, behaviour, last.verification.result === 'success', harnessEnd);
  const deployments = review.state === 'merged' ? planDeployments(random, behaviour, review.closedAt) : [];
  const outcome = planOutcome(attempts, review, context.complete);

  return {
    runId: `${scenario.name}-s${seed}-${index}`,
    scenario: scenario.name,
    changeId: index + 1,
    team: team.name,
    repository,
    model: model.name,
    provider: model.provider,
    complexity,
    experiment,
    startTime,
    context,
    attempts,
    harnessEnd,
    review,
    deployments,
    outcome,
  };
}

function planContext(random: () => number, behaviour: ResolvedBehaviour, startTime: number): RunPlan['context'] {
  const sources: Partial<Record<ContextSource, number>> = {
    story: Math.round(600 + random() * 2400),
    code_search: Math.round(2000 + random() * 6000),
  };
  if (random() < behaviour.initiativeSpec) sources.initiative_spec = Math.round(1500 + random() * 4500);
  const complete = random() < behaviour.contextComplete;
  return { startTime, endTime: startTime + Math.round(5_000 + random() * 55_000), sources, complete };
}

function planAttempts(random: () => number, behaviour: ResolvedBehaviour, costPerAttemptUsd: number, firstStart: number): AttemptPlan[] {
  const attempts: AttemptPlan[] = [];
  let time = firstStart;
  let previous: VerificationPlan | undefined;

  for (let number = 1; number <= behaviour.maxAttempts; number += 1) {
    const startTime = time;
    const endTime = startTime + Math.round(logNormal(random, behaviour.attemptMinutes, 0.5) * MINUTE);
    const ciEnd = endTime + Math.round(logNormal(random, behaviour.ciMinutes, 0.4) * MINUTE);
    const inputTokens = Math.round(8000 + random() * 30_000);
    const outputTokens = Math.round(500 + random() * 5000);
    const costUsd = Math.round(costPerAttemptUsd * (0.5 + random()) * 10_000) / 10_000;

    let verification: VerificationPlan;
    const repeats = previous !== undefined && random() < (previous.feedbackSpecific ? behaviour.repeatWhenSpecific : behaviour.repeatWhenVague);
    if (previous !== undefined && repeats) {
      // The same mistake again: same class, same signature, and the CI output reads the same.
      verification = { result: 'failure', startTime: endTime, endTime: ciEnd, failureClass: previous.failureClass, signature: previous.signature, feedbackSpecific: previous.feedbackSpecific };
    } else if (random() < (previous === undefined ? behaviour.pass : behaviour.retryPass)) {
      verification = { result: 'success', startTime: endTime, endTime: ciEnd };
    } else {
      verification = {
        result: 'failure',
        startTime: endTime,
        endTime: ciEnd,
        failureClass: pickWeighted(random, behaviour.failureClasses),
        signature: hex16(random),
        feedbackSpecific: random() < behaviour.feedbackSpecific,
      };
    }
    if (previous !== undefined) verification.repeated = repeatedFlag(previous, verification);

    attempts.push({ number, trigger: number === 1 ? 'initial' : 'ci_failure', startTime, endTime, inputTokens, outputTokens, costUsd, verification });
    if (verification.result === 'success') break;
    previous = verification;
    time = ciEnd + Math.round((1 + random() * 4) * MINUTE);
  }
  return attempts;
}

// The SDK's rule: set from attempt 2 unless either failure was infrastructure or a timeout.
function repeatedFlag(previous: VerificationPlan, current: VerificationPlan): boolean | undefined {
  const notTheAgents = (value: string | undefined) => value === 'infrastructure' || value === 'timeout';
  if (notTheAgents(previous.failureClass) || notTheAgents(current.failureClass)) return undefined;
  return current.result === 'failure' && current.failureClass === previous.failureClass && current.signature === previous.signature;
}

function planReview(random: () => number, behaviour: ResolvedBehaviour, ciPassed: boolean, harnessEnd: number): ReviewPlan {
  const openedAt = harnessEnd + Math.round((1 + random() * 9) * MINUTE);
  const track = ciPassed && random() < behaviour.expedited ? 'expedited' : 'standard';
  const reviewerFinding = ciPassed && random() < behaviour.reviewFailure ? pickWeighted(random, behaviour.reviewFailureClasses) : undefined;

  let merged: boolean;
  let humanModified: boolean;
  if (!ciPassed || reviewerFinding !== undefined) {
    // A human either finishes the work or the pull request is closed.
    merged = random() < behaviour.humanTakeover;
    humanModified = merged;
  } else {
    merged = true;
    humanModified = random() < behaviour.humanModification;
  }

  const median = track === 'expedited' ? behaviour.expeditedHours : behaviour.reviewHours;
  const closedAt = openedAt + Math.max(MINUTE, Math.round(logNormal(random, median, behaviour.reviewSpread) * HOUR));
  return {
    openedAt,
    closedAt,
    state: merged ? 'merged' : 'closed',
    track,
    humanModified,
    rounds: 1 + (reviewerFinding !== undefined || humanModified ? 1 : 0),
    approvals: merged ? 1 : 0,
    failureClass: reviewerFinding,
  };
}

// Deployments run on a fixed schedule aligned to the Unix epoch (midnight UTC for 24 h).
// A merged commit ships with the first successful one after its merge.
function planDeployments(random: () => number, behaviour: ResolvedBehaviour, commitAt: number): DeploymentPlan[] {
  const every = behaviour.deployEveryHours * HOUR;
  const deployments: DeploymentPlan[] = [];
  let slot = Math.ceil(commitAt / every) * every;
  for (let tries = 1; tries <= MAX_DEPLOY_TRIES; tries += 1) {
    const deployedAt = slot + Math.round((5 + random() * DEPLOY_MINUTES) * MINUTE);
    const succeeded = tries === MAX_DEPLOY_TRIES || random() >= behaviour.deployFailure;
    deployments.push({ commitAt, deployedAt, succeeded });
    if (succeeded) break;
    slot += every;
  }
  return deployments;
}

function planOutcome(attempts: AttemptPlan[], review: ReviewPlan, contextComplete: boolean): OutcomePlan {
  const merged = review.state === 'merged';
  const firstAttemptPassed = attempts[0]!.verification.result === 'success';
  const oneShot = merged && attempts.length === 1 && firstAttemptPassed && !review.humanModified;
  const autonomous = merged && !review.humanModified;
  const costUsd = Math.round(attempts.reduce((sum, attempt) => sum + attempt.costUsd, 0) * 10_000) / 10_000;

  let missClass: string | undefined;
  if (!oneShot) missClass = review.failureClass ?? attempts[0]!.verification.failureClass ?? (review.humanModified ? 'human_modified' : 'other');
  return {
    status: merged ? 'merged' : 'closed',
    at: review.closedAt,
    attempts: attempts.length,
    firstAttemptPassed,
    humanModified: review.humanModified,
    oneShot,
    autonomous,
    costUsd,
    contextComplete,
    missClass,
  };
}

function pickByShare<T extends { share: number }>(random: () => number, items: readonly T[]): T {
  let roll = random() * items.reduce((sum, item) => sum + item.share, 0);
  for (const item of items) {
    roll -= item.share;
    if (roll < 0) return item;
  }
  return items[items.length - 1]!;
}
