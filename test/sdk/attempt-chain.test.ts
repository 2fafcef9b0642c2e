import { describe, expect, it } from 'vitest';
import { identity, memoryTelemetry } from './helpers.js';

const PYTEST_FAILURE = (root: string, seconds: string) =>
  [
    '============================= test session starts ==============================',
    `rootdir: ${root}`,
    `FAILED tests/test_refund.py::test_refund_cap - AssertionError: assert 100 == 500`,
    `========================= 1 failed, 41 passed in ${seconds}s =========================`,
  ].join('\n');

const OTHER_FAILURE = [
  'FAILED tests/test_refund.py::test_refund_currency - KeyError: currency',
  '========================= 1 failed, 41 passed in 2.01s =========================',
].join('\n');

function verificationsOf(spans: ReturnType<ReturnType<typeof memoryTelemetry>['spans']>) {
  return spans
    .filter((s) => s.name === 'factory.verification')
    .sort((a, b) => Number(a.attributes['factory.attempt.number']) - Number(b.attributes['factory.attempt.number']));
}

describe('attempt chains', () => {
  it('flags a retry that fails the same way as repeated', async () => {
    const { telemetry, spans } = memoryTelemetry();
    const run = telemetry.startRun(identity);
    await run.attempt((attempt) => attempt.recordVerification({ result: 'failure', output: PYTEST_FAILURE('/home/ci/build-1', '3.20') }));
    await run.attempt((attempt) => attempt.recordVerification({ result: 'failure', output: PYTEST_FAILURE('/tmp/runner-9', '2.75') }), { trigger: 'ci_failure' });

    const [first, second] = verificationsOf(spans());
    expect(first!.attributes['factory.failure.signature']).toMatch(/^[0-9a-f]{16}$/);
    expect(second!.attributes['factory.failure.signature']).toBe(first!.attributes['factory.failure.signature']);
    expect(first!.attributes['factory.failure.repeated']).toBeUndefined();
    expect(second!.attributes['factory.failure.repeated']).toBe(true);
  });

  it('does not flag a retry that fixes the failure', async () => {
    const { telemetry, spans } = memoryTelemetry();
    const run = telemetry.startRun(identity);
    await run.attempt((attempt) => attempt.recordVerification({ result: 'failure', output: PYTEST_FAILURE('/a', '1.0') }));
    await run.attempt((attempt) => attempt.recordVerification({ result: 'success', output: '42 passed in 1.00s' }));

    const [, second] = verificationsOf(spans());
    expect(second!.attributes['factory.failure.repeated']).toBe(false);
    expect(second!.attributes['factory.failure.signature']).toBeUndefined();
  });

  it('does not flag a retry that fails differently', async () => {
    const { telemetry, spans } = memoryTelemetry();
    const run = telemetry.startRun(identity);
    await run.attempt((attempt) => attempt.recordVerification({ result: 'failure', output: PYTEST_FAILURE('/a', '1.0') }));
    await run.attempt((attempt) => attempt.recordVerification({ result: 'failure', output: OTHER_FAILURE }));

    const [first, second] = verificationsOf(spans());
    expect(second!.attributes['factory.failure.signature']).not.toBe(first!.attributes['factory.failure.signature']);
    expect(second!.attributes['factory.failure.repeated']).toBe(false);
  });

  it('uses a previous signature passed from another process', () => {
    const { telemetry, spans } = memoryTelemetry();
    const run = telemetry.resumeRun('run-42');
    run.recordVerification({ attempt: 3, result: 'failure', signature: 'abcdef0123456789', previousSignature: 'abcdef0123456789' });
    run.recordVerification({ attempt: 4, result: 'failure', signature: 'abcdef0123456789', previousSignature: null });

    const [third, fourth] = verificationsOf(spans());
    expect(third!.attributes['factory.failure.repeated']).toBe(true);
    expect(fourth!.attributes['factory.failure.repeated']).toBe(false);
  });

  it('puts the verification facts on the attempt span', async () => {
    const { telemetry, spans } = memoryTelemetry();
    const run = telemetry.startRun(identity);
    await run.attempt((attempt) => attempt.recordVerification({ result: 'failure', output: PYTEST_FAILURE('/a', '1.0') }));

    const attempt = spans().find((s) => s.name === 'factory.attempt')!;
    const verification = spans().find((s) => s.name === 'factory.verification')!;
    expect(verification.parentSpanContext?.spanId).toBe(attempt.spanContext().spanId);
    expect(attempt.attributes['cicd.pipeline.result']).toBe('failure');
    expect(attempt.attributes['factory.failure.class']).toBe('test_failure');
    expect(attempt.attributes['factory.failure.class_source']).toBe('classifier');
    expect(attempt.attributes['factory.failure.signature']).toBe(verification.attributes['factory.failure.signature']);
    expect(attempt.attributes['factory.attempt.trigger']).toBe('initial');
  });

  it('lets the harness override the failure class', () => {
    const { telemetry, spans } = memoryTelemetry();
    telemetry.resumeRun('run-42').recordVerification({ attempt: 1, result: 'failure', output: PYTEST_FAILURE('/a', '1'), failureClass: 'infrastructure' });
    const verification = spans()[0]!;
    expect(verification.attributes['factory.failure.class']).toBe('infrastructure');
    expect(verification.attributes['factory.failure.class_source']).toBe('harness');
  });

  it('records whether the feedback named what was checked', async () => {
    const { telemetry, spans } = memoryTelemetry();
    const run = telemetry.startRun(identity);
    await run.attempt((attempt) =>
      attempt.recordVerification({ result: 'failure', output: 'FAIL src/a.test.ts > sums\nExpected: 3\nReceived: 4' }),
    );
    await run.attempt((attempt) => attempt.recordVerification({ result: 'failure', output: 'test failed\n    at Object.<anonymous> (src/a.test.ts:3:9)' }));
    await run.attempt(() => undefined);

    const [first, second] = verificationsOf(spans());
    expect(first!.attributes['factory.feedback.specific']).toBe(true);
    expect(second!.attributes['factory.feedback.specific']).toBe(false);
    const attempts = spans().filter((s) => s.name === 'factory.attempt');
    expect(attempts[0]!.attributes['factory.feedback.specific']).toBeUndefined();
    expect(attempts[1]!.attributes['factory.feedback.specific']).toBe(true);
    expect(attempts[2]!.attributes['factory.feedback.specific']).toBe(false);
  });

  it('compares a change with the previous attempt by hashes', async () => {
    const { telemetry, spans } = memoryTelemetry();
    const run = telemetry.startRun(identity);
    const files = [
      { path: 'src/a.ts', hash: 'aaaa', bytes: 10 },
      { path: 'src/b.ts', hash: 'bbbb', bytes: 20 },
    ];
    await run.attempt((attempt) => attempt.setChange({ files }));
    await run.attempt((attempt) => attempt.setChange({ files }));
    await run.attempt((attempt) => attempt.setChange({ files: [files[0]!, { path: 'src/b.ts', hash: 'cccc', bytes: 25 }] }));

    const attempts = spans().filter((s) => s.name === 'factory.attempt');
    expect(attempts[0]!.attributes['factory.change.files']).toBe(2);
    expect(attempts[0]!.attributes['factory.change.bytes']).toBe(30);
    expect(attempts[0]!.attributes['factory.change.same_as_previous']).toBeUndefined();
    expect(attempts[1]!.attributes['factory.change.same_as_previous']).toBe(true);
    expect(attempts[1]!.attributes['factory.change.overlap_with_previous']).toBe(1);
    expect(attempts[2]!.attributes['factory.change.same_as_previous']).toBe(false);
    expect(attempts[2]!.attributes['factory.change.overlap_with_previous']).toBeCloseTo(1 / 3);
    for (const attempt of attempts) {
      expect(JSON.stringify(attempt.attributes)).not.toContain('src/');
    }
  });
});

describe('attempt(fn)', () => {
  it('returns the callback result and times the attempt', async () => {
    const { telemetry, spans } = memoryTelemetry();
    const result = await telemetry.startRun(identity).attempt(async () => 'done');
    expect(result).toBe('done');
    expect(spans().filter((s) => s.name === 'factory.attempt')).toHaveLength(1);
  });

  it('rethrows the callback error unchanged', async () => {
    const { telemetry, spans } = memoryTelemetry();
    const failure = new RangeError('agent gave up');
    await expect(
      telemetry.startRun(identity).attempt(() => {
        throw failure;
      }),
    ).rejects.toBe(failure);

    const attempt = spans().find((s) => s.name === 'factory.attempt')!;
    expect(attempt.status.code).toBe(2);
    expect(attempt.attributes['error.type']).toBe('RangeError');
    expect(JSON.stringify(attempt.attributes)).not.toContain('agent gave up');
    expect(attempt.status.message).toBe('RangeError');
  });

  it('rethrows a rejected promise unchanged', async () => {
    const { telemetry } = memoryTelemetry();
    const failure = { code: 'E_AGENT' };
    await expect(telemetry.startRun(identity).attempt(() => Promise.reject(failure))).rejects.toBe(failure);
  });

  it('drops an attempt number used twice', () => {
    const { telemetry, spans, errors } = memoryTelemetry();
    const run = telemetry.startRun(identity);
    run.startAttempt({ number: 1 }).end();
    run.startAttempt({ number: 1 }).end();
    expect(spans().filter((s) => s.name === 'factory.attempt')).toHaveLength(1);
    expect(errors[0]!.message).toContain('already has attempt 1');
  });
});

describe('cost and tokens', () => {
  it('records cache tokens and sums attempt costs on the outcome', async () => {
    const { telemetry, spans } = memoryTelemetry();
    const run = telemetry.startRun(identity);
    await run.attempt((attempt) => {
      attempt.setUsage({ inputTokens: 100, outputTokens: 10, cacheReadInputTokens: 60, cacheCreationInputTokens: 5, costUsd: 0.25 });
      attempt.recordVerification({ result: 'failure' });
    });
    await run.attempt((attempt) => {
      attempt.setUsage({ costUsd: 0.5 });
      attempt.recordVerification({ result: 'success' });
    });
    run.recordOutcome({ status: 'merged', humanModified: false });

    const attempt = spans().find((s) => s.name === 'factory.attempt')!;
    expect(attempt.attributes['gen_ai.usage.cache_read.input_tokens']).toBe(60);
    expect(attempt.attributes['gen_ai.usage.cache_creation.input_tokens']).toBe(5);
    expect(spans().find((s) => s.name === 'factory.outcome')!.attributes['factory.outcome.cost_usd']).toBe(0.75);
  });
});

describe('context inputs', () => {
  it('records the source set, their tokens and completeness', () => {
    const { telemetry, spans } = memoryTelemetry();
    const run = telemetry.startRun(identity);
    run.recordContext({ sources: { story: 800, initiative_spec: 5000 }, complete: false });
    run.recordOutcome({ status: 'closed' });

    const context = spans().find((s) => s.name === 'factory.context')!;
    expect(context.attributes['factory.context.sources']).toEqual(['initiative_spec', 'story']);
    expect(context.attributes['factory.context.source.story.tokens']).toBe(800);
    expect(context.attributes['factory.context.input_tokens']).toBe(5800);
    expect(context.attributes['factory.context.complete']).toBe(false);
    expect(spans().find((s) => s.name === 'factory.outcome')!.attributes['factory.context.complete']).toBe(false);
  });

  it('rejects a free-text source name', () => {
    const { telemetry, spans, errors } = memoryTelemetry();
    // @ts-expect-error an unknown source on purpose
    telemetry.resumeRun('r').recordContext({ sources: { 'my notes': 10 } });
    expect(errors[0]!.message).toContain('sources');
    expect(spans()[0]!.attributes['factory.context.sources']).toBeUndefined();
  });
});

describe('privacy', () => {
  it('records no CI output by default', () => {
    const { telemetry, spans } = memoryTelemetry();
    const output = 'FAILED tests/test_db.py::test_connect - password=hunter2 postgres://admin:s3cret@db/prod';
    telemetry.resumeRun('r').recordVerification({ attempt: 1, result: 'failure', output });
    const exported = JSON.stringify(spans()[0]!.attributes);
    expect(exported).not.toContain('hunter2');
    expect(exported).not.toContain('s3cret');
    expect(exported).not.toContain('test_connect');
  });

  it('redacts secrets from an opted-in failure message', () => {
    const { telemetry, spans } = memoryTelemetry({ recordFailureMessages: true });
    const output = 'Error: connect failed for postgres://admin:s3cret@db.internal/prod with token ghp_abcdefghijklmnopqrstuvwxyz0123456789';
    telemetry.resumeRun('r').recordVerification({ attempt: 1, result: 'failure', output });
    const message = String(spans()[0]!.attributes['factory.failure.message']);
    expect(message).toContain('connect failed');
    expect(message).not.toContain('s3cret');
    expect(message).not.toContain('ghp_abcdefghijklmnopqrstuvwxyz0123456789');
  });

  it('cuts long values to the attribute length limit, also at span start', () => {
    const { telemetry, spans } = memoryTelemetry({ attributeValueLengthLimit: 8 });
    telemetry.startRun({ ...identity, repository: 'acme/a-very-long-repository-name', attributes: { note: 'x'.repeat(100) } }).end();
    const root = spans()[0]!;
    expect(root.attributes['vcs.repository.name']).toBe('acme/a-v');
    expect(root.attributes['note']).toBe('xxxxxxxx');
  });

  it('flattens object attributes and reports what it cannot encode', () => {
    const { telemetry, spans, errors } = memoryTelemetry();
    telemetry
      .startRun({ ...identity, attributes: { harness: { name: 'loop', version: 3, flags: ['a', 'b'], mixed: [1, 'x'] }, callback: () => 1 } })
      .end();
    const root = spans()[0]!;
    expect(root.attributes['harness.name']).toBe('loop');
    expect(root.attributes['harness.version']).toBe(3);
    expect(root.attributes['harness.flags']).toEqual(['a', 'b']);
    expect(root.attributes['harness.mixed']).toBe('[1,"x"]');
    expect(errors[0]!.message).toContain('callback');
    expect(telemetry.stats().problems.droppedFields).toBe(1);
  });
});

describe('stages twice', () => {
  it('drops a second review of the run', () => {
    const { telemetry, spans, errors } = memoryTelemetry();
    const run = telemetry.resumeRun('r');
    const review = { openedAt: 1000, closedAt: 2000, state: 'merged', humanModified: false } as const;
    run.recordReview(review);
    run.recordReview(review);
    expect(spans()).toHaveLength(1);
    expect(errors[0]!.message).toContain('already has a review');
  });

  it('drops a second successful deployment to one environment', () => {
    const { telemetry, spans } = memoryTelemetry();
    const run = telemetry.resumeRun('r');
    run.recordDeployment({ commitAt: 1000, deployedAt: 2000, succeeded: false });
    run.recordDeployment({ commitAt: 1000, deployedAt: 3000 });
    run.recordDeployment({ commitAt: 1000, deployedAt: 4000 });
    run.recordDeployment({ commitAt: 1000, deployedAt: 4000, environment: 'staging' });
    expect(spans()).toHaveLength(3);
  });

  it('records a reviewer verdict as the failure class', () => {
    const { telemetry, spans } = memoryTelemetry();
    telemetry.resumeRun('r').recordReview({ openedAt: 1000, closedAt: 2000, state: 'closed', humanModified: false, failureClass: 'requirements_gap', rounds: 2, approvals: 0 });
    const review = spans()[0]!;
    expect(review.attributes['factory.failure.class']).toBe('requirements_gap');
    expect(review.attributes['factory.failure.class_source']).toBe('reviewer');
    expect(review.attributes['factory.review.rounds']).toBe(2);
  });
});

describe('fixes from a break-it review', () => {
  it('takes context completeness from the outcome call', () => {
    const { telemetry, spans } = memoryTelemetry();
    telemetry.resumeRun('r', { model: 'm', complexity: 'standard' }).recordOutcome({ status: 'closed', contextComplete: true });
    expect(spans()[0]!.attributes['factory.context.complete']).toBe(true);
  });

  it('keeps the identity when custom attributes are many', () => {
    const { telemetry, spans, errors } = memoryTelemetry();
    const attributes = Object.fromEntries(Array.from({ length: 130 }, (_, index) => [`custom.${index}`, index]));
    telemetry.startRun({ ...identity, attributes }).end();
    const root = spans()[0]!;
    expect(root.attributes['factory.run.id']).toBe('run-42');
    expect(root.attributes['gen_ai.request.model']).toBe('frontier-1');
    expect(errors.map((e) => e.message).join('\n')).toContain('more than 64');
  });

  it('refuses binary data, Maps and Errors as attributes', () => {
    const { telemetry, spans, errors } = memoryTelemetry();
    telemetry
      .startRun({ ...identity, attributes: { buffer: Buffer.from('secret!'), map: new Map([['a', 1]]), failure: new Error('x'), plain: { ok: 1 } } })
      .end();
    const root = spans()[0]!;
    expect(Object.keys(root.attributes).filter((key) => key.startsWith('buffer') || key.startsWith('map') || key.startsWith('failure'))).toEqual([]);
    expect(root.attributes['plain.ok']).toBe(1);
    expect(errors[0]!.message).toContain('buffer, map, failure');
  });

  it('does not call a retry repeated after an infrastructure failure', async () => {
    const { telemetry, spans } = memoryTelemetry();
    const run = telemetry.startRun(identity);
    const outage = 'npm ERR! network request to https://registry.example failed, reason: ECONNRESET';
    await run.attempt((attempt) => attempt.recordVerification({ result: 'failure', output: outage }));
    await run.attempt((attempt) => attempt.recordVerification({ result: 'failure', output: outage }));
    const second = spans().filter((s) => s.name === 'factory.verification')[1]!;
    expect(second.attributes['factory.failure.class']).toBe('infrastructure');
    expect(second.attributes['factory.failure.repeated']).toBeUndefined();
  });

  it('keeps only the last verification on the attempt span', async () => {
    const { telemetry, spans } = memoryTelemetry();
    await telemetry.startRun(identity).attempt((attempt) => {
      attempt.recordVerification({ result: 'failure', output: 'FAILED tests/test_a.py::test_x - AssertionError' });
      attempt.recordVerification({ result: 'success' });
    });
    const attempt = spans().find((s) => s.name === 'factory.attempt')!;
    expect(attempt.attributes['cicd.pipeline.result']).toBe('success');
    expect(attempt.attributes['factory.failure.class']).toBeUndefined();
    expect(attempt.attributes['factory.failure.signature']).toBeUndefined();
  });

  it('cuts the change hash and error type to the length limit', async () => {
    const { telemetry, spans } = memoryTelemetry({ attributeValueLengthLimit: 16 });
    const run = telemetry.startRun(identity);
    await run.attempt((attempt) => attempt.setChange({ hash: 'a'.repeat(200) }));
    class AVeryLongErrorNameThatGoesOnAndOn extends Error {}
    await expect(run.attempt(() => Promise.reject(new AVeryLongErrorNameThatGoesOnAndOn()))).rejects.toBeInstanceOf(Error);
    const attempts = spans().filter((s) => s.name === 'factory.attempt');
    expect(String(attempts[0]!.attributes['factory.change.hash'])).toHaveLength(16);
    expect(String(attempts[1]!.attributes['error.type']).length).toBeLessThanOrEqual(16);
  });

  it('returns an error whose name getter throws unchanged', async () => {
    const { telemetry, spans } = memoryTelemetry();
    const failure = Object.create(Error.prototype, { name: { get: () => { throw new Error('getter'); } } }) as Error;
    await expect(telemetry.startRun(identity).attempt(() => Promise.reject(failure))).rejects.toBe(failure);
    expect(spans().find((s) => s.name === 'factory.attempt')!.attributes['error.type']).toBe('Error');
  });

  it('accepts CI output as a Buffer', () => {
    const { telemetry, spans, errors } = memoryTelemetry();
    telemetry.resumeRun('r').recordVerification({ attempt: 1, result: 'failure', output: Buffer.from('FAILED tests/test_a.py::test_x - AssertionError') });
    expect(errors).toEqual([]);
    expect(spans()[0]!.attributes['factory.failure.class']).toBe('test_failure');
  });

  it('makes a span with only an end time a point', () => {
    const { telemetry, spans } = memoryTelemetry();
    telemetry.resumeRun('r').recordContext({ endTime: 1_000_000 });
    const context = spans()[0]!;
    expect(context.startTime).toEqual(context.endTime);
    expect(context.startTime[0]).toBe(1000);
  });
});
