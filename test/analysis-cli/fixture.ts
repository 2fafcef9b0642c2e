import { FactoryTelemetry } from '../../sdk/index.js';
import type { TaskComplexity } from '../../sdk/semconv.js';

/**
 * Small factories with known counts, written through the SDK's file sink the
 * way a real harness writes them, so the commands read a real OTLP JSON lines
 * file.
 */

export interface RunSpec {
  runId: string;
  team: string;
  repository: string;
  model: string;
  complexity: TaskComplexity;
  arm: string;
  /** One entry per attempt: 'success', or a failure with its class and signature, e.g. 'test_failure:sig-a'. */
  attempts: string[];
  humanModified: boolean;
  merged: boolean;
}

export const EXPERIMENT = 'spec-context';
const END = Date.parse('2026-11-30T12:00:00Z');
const HOUR = 3_600_000;

/**
 * The base factory: 20 runs, resolved 20, one-shot 11, autonomous 13,
 * merged 14. Arm control (team red, model m1): 3 one-shot, 2 autonomous after a
 * retry, 5 closed after two failures with the same signature. Arm treatment
 * (team blue, model m2): 8 one-shot, 1 merged after a human edit, 1 closed.
 */
export function baseFactory(copies = 1): RunSpec[] {
  const specs: RunSpec[] = [];
  for (let copy = 0; copy < copies; copy += 1) {
    const control = { team: 'red', repository: 'acme/red', model: 'm1', arm: 'control' };
    const treatment = { team: 'blue', repository: 'acme/blue', model: 'm2', arm: 'treatment' };
    const add = (base: typeof control, index: number, rest: Pick<RunSpec, 'attempts' | 'humanModified' | 'merged' | 'complexity'>) =>
      specs.push({ runId: `${base.arm}-${copy}-${index}`, ...base, ...rest });
    for (let i = 0; i < 3; i += 1) add(control, i, { complexity: 'standard', attempts: ['success'], humanModified: false, merged: true });
    for (let i = 3; i < 5; i += 1) add(control, i, { complexity: 'standard', attempts: ['test_failure:sig-a', 'success'], humanModified: false, merged: true });
    for (let i = 5; i < 10; i += 1) add(control, i, { complexity: 'complex', attempts: ['test_failure:sig-b', 'test_failure:sig-b'], humanModified: false, merged: false });
    for (let i = 0; i < 8; i += 1) add(treatment, i, { complexity: i < 4 ? 'standard' : 'complex', attempts: ['success'], humanModified: false, merged: true });
    add(treatment, 8, { complexity: 'complex', attempts: ['compile_error:sig-c'], humanModified: true, merged: true });
    add(treatment, 9, { complexity: 'complex', attempts: ['lint:sig-d'], humanModified: false, merged: false });
  }
  return specs;
}

/**
 * Records the runs into `path`, spread over the 6 days before 2026-11-30T12:00Z.
 * Each merged run has a review of `index % 10 + 1` hours and a deployment of 2 hours.
 */
export async function writeRuns(path: string, specs: readonly RunSpec[]): Promise<void> {
  const telemetry = new FactoryTelemetry({ serviceName: 'fixture', file: { path }, env: {}, useGlobalTracerProvider: false, strict: true });
  specs.forEach((spec, index) => {
    const start = END - 6 * 24 * HOUR + index * 60_000;
    const run = telemetry.startRun({
      runId: spec.runId,
      repository: spec.repository,
      changeId: index + 1,
      model: spec.model,
      provider: 'lab',
      complexity: spec.complexity,
      team: spec.team,
      experiment: { name: EXPERIMENT, arm: spec.arm },
      startTime: start,
    });
    let time = start + 60_000;
    spec.attempts.forEach((result, attemptIndex) => {
      const attempt = run.startAttempt({ number: attemptIndex + 1, startTime: time });
      time += 10 * 60_000;
      attempt.end({ endTime: time, costUsd: spec.model === 'm1' ? 0.5 : 0.1 });
      const [failureClass, signature] = result.split(':');
      if (result === 'success') run.recordVerification({ attempt: attemptIndex + 1, result: 'success', startTime: time, endTime: time + 60_000 });
      else run.recordVerification({ attempt: attemptIndex + 1, result: 'failure', failureClass: failureClass as 'test_failure', signature, startTime: time, endTime: time + 60_000 });
      time += 60_000;
    });
    const closedAt = time + ((index % 10) + 1) * HOUR;
    run.recordReview({ openedAt: time, closedAt, state: spec.merged ? 'merged' : 'closed', humanModified: spec.humanModified });
    if (spec.merged) run.recordDeployment({ commitAt: closedAt, deployedAt: closedAt + 2 * HOUR, environment: 'production' });
    run.recordOutcome({
      status: spec.merged ? 'merged' : 'closed',
      at: closedAt,
      attempts: spec.attempts.length,
      firstAttemptPassed: spec.attempts[0] === 'success',
      humanModified: spec.humanModified,
    });
    run.end(closedAt);
  });
  await telemetry.shutdown();
  const file = telemetry.stats().file;
  if (file === undefined || file.failed > 0 || file.exported !== file.accepted) throw new Error(`the fixture file ${path} is incomplete: ${JSON.stringify(file)}`);
}
