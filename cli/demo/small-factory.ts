import type { FactoryTelemetry } from '../../sdk/index.js';
import type { TaskComplexity } from '../../sdk/semconv.js';
import { mulberry32 } from '../simulate/random.js';

/**
 * A small, seeded AI coding factory for the demo: two models, four complexity
 * levels, retries, human edits, review and deploy delays. It records through the
 * public SDK and returns the exact figures, so the demo can set them beside what
 * Prometheus computes.
 *
 * Each run also carries an experiment arm, context completeness, failure classes and
 * failure signatures (some retries repeat the previous failure), so that every
 * dashboard query has data. These are chosen from the run index, not from the random
 * sequence, so a seed still gives the same runs, attempts and times as before.
 */

export interface SmallFactoryOptions {
  runs: number;
  seed: number;
  /** End of the simulated period; runs spread over the 6 days before it. */
  now: Date;
}

export interface SimulatedRun {
  runId: string;
  model: string;
  complexity: TaskComplexity;
  attempts: number;
  merged: boolean;
  oneShot: boolean;
  autonomous: boolean;
  cycleTimeSeconds: number | undefined;
  mltcSeconds: number | undefined;
}

const HOUR = 3600 * 1000;

const MODELS = [
  { model: 'frontier-model', provider: 'frontier-lab' },
  { model: 'open-weight-model', provider: 'self-hosted' },
] as const;

const COMPLEXITY_MIX: ReadonlyArray<[TaskComplexity, number]> = [
  ['trivial', 0.25],
  ['standard', 0.45],
  ['complex', 0.22],
  ['architectural', 0.08],
];

// Probability that one attempt passes CI, by model and complexity.
const PASS_RATE: Record<string, Record<TaskComplexity, number>> = {
  'frontier-model': { trivial: 0.85, standard: 0.65, complex: 0.45, architectural: 0.3 },
  'open-weight-model': { trivial: 0.8, standard: 0.6, complex: 0.25, architectural: 0.12 },
};

const MAX_ATTEMPTS = 3;

/** The experiment every run belongs to, and its two arms. */
export const DEMO_EXPERIMENT = 'context-retrieval';
export const DEMO_ARMS = ['control', 'treatment'] as const;

// Failure classes of failed verifications, in turn by attempt number.
const FAILURE_CLASS_BY_ATTEMPT = ['test_failure', 'compile_error', 'test_failure'] as const;
const HUMAN_EDIT_RATE = 0.12;

/** Records `options.runs` runs and returns what each one was. */
export async function simulateSmallFactory(telemetry: FactoryTelemetry, options: SmallFactoryOptions): Promise<SimulatedRun[]> {
  const random = mulberry32(options.seed);
  const result: SimulatedRun[] = [];

  for (let index = 0; index < options.runs; index += 1) {
    const { model, provider } = MODELS[index % MODELS.length]!;
    const complexity = pick(random, COMPLEXITY_MIX);
    const start = options.now.getTime() - 6 * 24 * HOUR + random() * 4 * 24 * HOUR;
    const runId = `demo-${options.seed}-${index}`;

    // Arms alternate in pairs of runs, so that both models are in both arms.
    const experiment = { name: DEMO_EXPERIMENT, arm: DEMO_ARMS[Math.floor(index / 2) % DEMO_ARMS.length]! };
    const run = telemetry.startRun({ runId, repository: index % 3 === 0 ? 'demo/api' : 'demo/web', model, provider, complexity, team: 'demo', experiment, startTime: start });
    run.recordContext({ inputTokens: Math.round(2000 + random() * 8000), complete: index % 5 !== 0, startTime: start, endTime: start + 5000 });
    // Every other run fails the same way on each attempt, so its retries repeat the failure.
    const repeatsFailure = index % 2 === 0;

    let time = start + 10_000;
    let attempts = 0;
    let firstPassed = false;
    let passed = false;
    while (attempts < MAX_ATTEMPTS && !passed) {
      attempts += 1;
      const attempt = run.startAttempt({ number: attempts, startTime: time });
      time += (5 + random() * 25) * 60_000;
      attempt.end({ endTime: time, inputTokens: Math.round(5000 + random() * 20000), outputTokens: Math.round(500 + random() * 4000), costUsd: round(0.05 + random() * 0.5) });

      passed = random() < PASS_RATE[model]![complexity];
      if (attempts === 1) firstPassed = passed;
      const ciEnd = time + (3 + random() * 10) * 60_000;
      if (passed) {
        run.recordVerification({ attempt: attempts, result: 'success', startTime: time, endTime: ciEnd });
      } else {
        run.recordVerification({
          attempt: attempts,
          result: 'failure',
          failureClass: repeatsFailure ? 'test_failure' : FAILURE_CLASS_BY_ATTEMPT[attempts - 1],
          signature: repeatsFailure ? `${runId}-failure` : `${runId}-failure-${attempts}`,
          feedbackSpecific: index % 3 !== 0,
          startTime: time,
          endTime: ciEnd,
        });
      }
      time = ciEnd;
    }

    const humanModified = random() < HUMAN_EDIT_RATE;
    const merged = passed || humanModified;
    const reviewHours = 1 + random() * (complexity === 'trivial' ? 6 : 30);
    const closedAt = time + reviewHours * HOUR;
    run.recordReview({ openedAt: time, closedAt, state: merged ? 'merged' : 'closed', humanModified });

    let mltcSeconds: number | undefined;
    if (merged) {
      const deployedAt = closedAt + (0.5 + random() * 20) * HOUR;
      run.recordDeployment({ commitAt: closedAt, deployedAt, environment: 'production' });
      mltcSeconds = (deployedAt - closedAt) / 1000;
    }
    run.recordOutcome({ status: merged ? 'merged' : 'closed', at: closedAt, attempts, firstAttemptPassed: firstPassed, humanModified });
    run.end(closedAt);

    result.push({
      runId,
      model,
      complexity,
      attempts,
      merged,
      oneShot: merged && !humanModified && attempts === 1 && firstPassed,
      autonomous: merged && !humanModified,
      cycleTimeSeconds: merged ? (closedAt - time) / 1000 : undefined,
      mltcSeconds,
    });
  }
  return result;
}

function pick<T>(random: () => number, weighted: ReadonlyArray<[T, number]>): T {
  let roll = random();
  for (const [value, weight] of weighted) {
    roll -= weight;
    if (roll < 0) return value;
  }
  return weighted[weighted.length - 1]![0];
}

function round(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}
