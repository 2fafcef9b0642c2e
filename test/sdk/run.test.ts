import { trace } from '@opentelemetry/api';
import { AlwaysOffSampler, ParentBasedSampler } from '@opentelemetry/sdk-trace';
import { afterEach, describe, expect, it } from 'vitest';
import { deriveRunIds } from '../../sdk/ids.js';
import { FactoryTelemetryError } from '../../sdk/report.js';
import { identity, memoryTelemetry } from './helpers.js';

const DAY = 24 * 3600 * 1000;

describe('startRun', () => {
  it('gives the root span the ids derived from the run id', () => {
    const { telemetry, span } = memoryTelemetry();
    const run = telemetry.startRun(identity);
    run.end();

    const root = span('factory.run');
    const ids = deriveRunIds('run-42');
    expect(root.spanContext().traceId).toBe(ids.traceId);
    expect(root.spanContext().spanId).toBe(ids.rootSpanId);
    expect(root.parentSpanContext).toBeUndefined();
    expect(run.traceId).toBe(ids.traceId);
  });

  it('puts the run id and identity on every span', () => {
    const { telemetry, spans } = memoryTelemetry();
    const run = telemetry.startRun({ ...identity, experiment: { name: 'ctx-spec', arm: 'enriched' } });
    run.recordContext({ inputTokens: 1200 });
    run.startAttempt().end({ inputTokens: 10, outputTokens: 20, costUsd: 0.5 });
    run.recordVerification({ attempt: 1, result: 'success' });
    run.end();

    expect(spans().map((s) => s.name).sort()).toEqual(
      ['factory.attempt', 'factory.context', 'factory.execution', 'factory.run', 'factory.verification'].sort(),
    );
    for (const s of spans()) {
      expect(s.attributes['factory.run.id']).toBe('run-42');
      expect(s.attributes['vcs.repository.name']).toBe('acme/payments');
      expect(s.attributes['vcs.change.id']).toBe('1234');
      expect(s.attributes['gen_ai.request.model']).toBe('frontier-1');
      expect(s.attributes['gen_ai.provider.name']).toBe('anthropic');
      expect(s.attributes['factory.task.complexity']).toBe('standard');
      expect(s.attributes['factory.team']).toBe('checkout');
      expect(s.attributes['factory.experiment.name']).toBe('ctx-spec');
      expect(s.attributes['factory.experiment.arm']).toBe('enriched');
    }
  });

  it('creates a run id when none is given', () => {
    const { telemetry } = memoryTelemetry();
    const { runId, ...rest } = identity;
    const run = telemetry.startRun(rest);
    expect(run.runId).toMatch(/^[0-9a-f-]{36}$/);
    expect(runId).toBe('run-42');
  });
});

describe('attempts', () => {
  it('nests numbered attempts under one execution span', () => {
    const { telemetry, spans, span } = memoryTelemetry();
    const run = telemetry.startRun(identity);
    const first = run.startAttempt();
    first.end({ inputTokens: 100, outputTokens: 50, costUsd: 0.25 });
    const second = run.startAttempt();
    second.end();
    run.end();

    const execution = span('factory.execution');
    const attempts = spans().filter((s) => s.name === 'factory.attempt');
    expect(attempts.map((s) => s.attributes['factory.attempt.number'])).toEqual([1, 2]);
    for (const attempt of attempts) {
      expect(attempt.parentSpanContext?.spanId).toBe(execution.spanContext().spanId);
    }
    expect(attempts[0]!.attributes['gen_ai.usage.input_tokens']).toBe(100);
    expect(attempts[0]!.attributes['gen_ai.usage.output_tokens']).toBe(50);
    expect(attempts[0]!.attributes['factory.attempt.cost_usd']).toBe(0.25);
    expect(execution.parentSpanContext?.spanId).toBe(deriveRunIds('run-42').rootSpanId);
  });

  it('reports a second end of the same attempt', () => {
    const { telemetry, errors } = memoryTelemetry();
    const attempt = telemetry.startRun(identity).startAttempt();
    attempt.end();
    attempt.end();
    expect(errors.map((e) => e.message)).toEqual([expect.stringContaining('attempt 1 has already ended')]);
  });
});

describe('resumeRun', () => {
  it('adds spans under the derived root span of the run', () => {
    const { telemetry, span } = memoryTelemetry();
    const run = telemetry.resumeRun('run-42', { model: 'frontier-1', complexity: 'complex' });
    run.recordVerification({ attempt: 2, result: 'failure', failureClass: 'test_failure' });

    const verification = span('factory.verification');
    const ids = deriveRunIds('run-42');
    expect(verification.spanContext().traceId).toBe(ids.traceId);
    expect(verification.parentSpanContext?.spanId).toBe(ids.rootSpanId);
    expect(verification.parentSpanContext?.isRemote).toBe(true);
    expect(verification.attributes['cicd.pipeline.result']).toBe('failure');
    expect(verification.attributes['factory.failure.class']).toBe('test_failure');
    expect(verification.attributes['factory.attempt.number']).toBe(2);
    expect(verification.status.code).toBe(2);
  });

  it('records under a rebuilt parent even when root spans are not sampled', () => {
    const { telemetry, spans, errors } = memoryTelemetry({
      sampler: new ParentBasedSampler({ root: new AlwaysOffSampler() }),
    });
    telemetry.resumeRun('run-7').recordContext({ inputTokens: 5 });

    expect(spans()).toHaveLength(1);
    expect(spans()[0]!.spanContext().traceFlags & 1).toBe(1);
    expect(errors).toEqual([]);
    expect(telemetry.stats().unrecordedSpans).toBe(0);
  });

  it('keeps explicit times of past events', () => {
    const { telemetry, span } = memoryTelemetry();
    const opened = new Date(Date.now() - 3 * DAY);
    const merged = new Date(Date.now() - DAY);
    telemetry.resumeRun('run-42').recordReview({ openedAt: opened, closedAt: merged.toISOString(), state: 'merged', humanModified: false });

    const review = span('factory.review');
    const startMs = review.startTime[0] * 1000 + review.startTime[1] / 1e6;
    const endMs = review.endTime[0] * 1000 + review.endTime[1] / 1e6;
    expect(Math.round(startMs)).toBe(opened.getTime());
    expect(Math.round(endMs)).toBe(merged.getTime());
    expect(review.attributes['vcs.change.state']).toBe('merged');
    expect(review.attributes['factory.review.human_modified']).toBe(false);
  });
});

describe('recordOutcome', () => {
  it('marks a run one-shot from what this process recorded', () => {
    const { telemetry, span } = memoryTelemetry();
    const run = telemetry.startRun(identity);
    run.startAttempt().end();
    run.recordVerification({ attempt: 1, result: 'success' });
    run.recordReview({ openedAt: Date.now() - 1000, closedAt: Date.now(), state: 'merged', humanModified: false });
    run.recordOutcome({ status: 'merged' });

    const outcome = span('factory.outcome');
    expect(outcome.attributes['factory.outcome.status']).toBe('merged');
    expect(outcome.attributes['factory.outcome.one_shot']).toBe(true);
    expect(outcome.attributes['factory.outcome.autonomous']).toBe(true);
    expect(outcome.attributes['factory.outcome.attempts']).toBe(1);
  });

  it('marks a retried run autonomous but not one-shot', () => {
    const { telemetry, span } = memoryTelemetry();
    const run = telemetry.startRun(identity);
    run.startAttempt().end();
    run.recordVerification({ attempt: 1, result: 'failure', failureClass: 'test_failure' });
    run.startAttempt().end();
    run.recordVerification({ attempt: 2, result: 'success' });
    run.recordOutcome({ status: 'merged', humanModified: false });

    const outcome = span('factory.outcome');
    expect(outcome.attributes['factory.outcome.one_shot']).toBe(false);
    expect(outcome.attributes['factory.outcome.autonomous']).toBe(true);
    expect(outcome.attributes['factory.outcome.attempts']).toBe(2);
  });

  it('takes facts from another process as arguments', () => {
    const { telemetry, span } = memoryTelemetry();
    telemetry
      .resumeRun('run-42', { model: 'm', complexity: 'trivial' })
      .recordOutcome({ status: 'merged', attempts: 1, firstAttemptPassed: true, humanModified: true });

    const outcome = span('factory.outcome');
    expect(outcome.attributes['factory.outcome.one_shot']).toBe(false);
    expect(outcome.attributes['factory.outcome.autonomous']).toBe(false);
  });

  it('drops a merged outcome whose facts are unknown', () => {
    const { telemetry, spans, errors } = memoryTelemetry();
    telemetry.resumeRun('run-42', { model: 'm', complexity: 'trivial' }).recordOutcome({ status: 'merged' });

    expect(spans()).toHaveLength(0);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toContain('attempts, firstAttemptPassed, humanModified are unknown');
    expect(telemetry.stats().problems.droppedCalls).toBe(1);
  });

  it('records a closed run without the merge facts', () => {
    const { telemetry, span } = memoryTelemetry();
    telemetry.resumeRun('run-42', { model: 'm', complexity: 'trivial' }).recordOutcome({ status: 'closed' });
    expect(span('factory.outcome').attributes['factory.outcome.one_shot']).toBe(false);
  });

  it('refuses a second outcome for the same run', () => {
    const { telemetry, spans, errors } = memoryTelemetry();
    const run = telemetry.resumeRun('run-42', { model: 'm', complexity: 'trivial' });
    run.recordOutcome({ status: 'abandoned' });
    run.recordOutcome({ status: 'abandoned' });
    expect(spans()).toHaveLength(1);
    expect(errors[0]!.message).toContain('already has an outcome');
  });

  it('warns when the outcome has no model label', () => {
    const { telemetry, errors, spans } = memoryTelemetry();
    telemetry.resumeRun('run-42').recordOutcome({ status: 'closed' });
    expect(spans()).toHaveLength(1);
    expect(errors[0]!.message).toContain('no model or complexity');
  });
});

describe('deployment', () => {
  it('marks a failed deployment as an error span', () => {
    const { telemetry, span } = memoryTelemetry();
    telemetry.resumeRun('run-42').recordDeployment({ commitAt: Date.now() - 5000, deployedAt: Date.now(), succeeded: false });
    const deployment = span('factory.deployment');
    expect(deployment.status.code).toBe(2);
    expect(deployment.attributes['deployment.environment.name']).toBe('production');
    expect(deployment.attributes['deployment.status']).toBe('failed');
  });
});

describe('invalid input', () => {
  it('drops an invalid optional field and names it', () => {
    const { telemetry, span, errors } = memoryTelemetry();
    telemetry.startRun({ ...identity, team: '' }).end();

    expect(span('factory.run').attributes['factory.team']).toBeUndefined();
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toContain('invalid team ""');
    expect(errors[0]!.message).toContain('Recorded without team');
    expect(telemetry.stats().problems.droppedFields).toBe(1);
  });

  it('drops a call whose required field is invalid, naming value and choices', () => {
    const { telemetry, spans, errors } = memoryTelemetry();
    // @ts-expect-error the value is outside the complexity scale on purpose
    const run = telemetry.startRun({ ...identity, complexity: 'hard' });
    run.recordContext();
    run.end();

    expect(spans()).toHaveLength(0);
    expect(errors[0]!.message).toContain('startRun: invalid complexity "hard"');
    expect(errors[0]!.message).toContain('architectural');
    expect(errors[0]!.message).toContain('The call was dropped');
  });

  it('drops a review that closes before it opens', () => {
    const { telemetry, spans, errors } = memoryTelemetry();
    telemetry.resumeRun('run-42').recordReview({ openedAt: 2000, closedAt: 1000, state: 'merged', humanModified: false });
    expect(spans()).toHaveLength(0);
    expect(errors[0]!.message).toContain('expected closedAt at or after openedAt');
  });

  it('rejects non-object input without throwing', () => {
    const { telemetry, errors } = memoryTelemetry();
    // @ts-expect-error deliberately wrong type
    expect(() => telemetry.startRun(null)).not.toThrow();
    // @ts-expect-error deliberately wrong type
    expect(() => telemetry.resumeRun(42)).not.toThrow();
    expect(errors).toHaveLength(2);
  });

  it('throws in strict mode', () => {
    const { telemetry } = memoryTelemetry({ strict: true });
    expect(() => telemetry.resumeRun('run-1').recordVerification({ attempt: 0, result: 'success' })).toThrow(FactoryTelemetryError);
  });

  it('survives a throwing onError callback', () => {
    const { telemetry } = memoryTelemetry({
      onError: () => {
        throw new Error('callback broke');
      },
    });
    expect(() => telemetry.resumeRun('')).not.toThrow();
  });
});

describe('tracer provider choice', () => {
  afterEach(() => trace.disable());

  it('warns when the provider lacks FactoryIdGenerator', () => {
    const { telemetry, span, errors } = memoryTelemetry({ idGenerator: false });
    telemetry.startRun(identity).end();
    expect(span('factory.run').spanContext().spanId).not.toBe(deriveRunIds('run-42').rootSpanId);
    expect(errors[0]!.message).toContain('FactoryIdGenerator');
  });

  it('uses the registered global provider', () => {
    const { provider, spans } = memoryTelemetry();
    trace.setGlobalTracerProvider(provider);
    const { FactoryTelemetry } = telemetryModule;
    new FactoryTelemetry().startRun(identity).end();
    expect(spans().map((s) => s.name)).toEqual(['factory.run']);
  });
});

const telemetryModule = await import('../../sdk/telemetry.js');

describe('own provider', () => {
  it('reports an unusable export URL instead of throwing', () => {
    const errors: string[] = [];
    const make = () =>
      new telemetryModule.FactoryTelemetry({
        useGlobalTracerProvider: false,
        export: { target: { url: 'not a url', headers: {}, protocol: 'http/json', timeoutMillis: 1000, compression: 'none' } },
        onError: (error) => errors.push(error.message),
      });
    expect(make).not.toThrow();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('cannot export spans');
  });
});
