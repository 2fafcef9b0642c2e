/**
 * The run that the benchmarks record: a context, three attempts (the first two
 * fail CI with pytest output, the third passes), a review, a deployment and an
 * outcome. That is 12 spans: the root, context, execution, review, deployment
 * and outcome spans, plus an attempt span and a verification span per attempt.
 */
import { randomUUID } from 'node:crypto';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Tracer } from '@opentelemetry/api';
import * as sc from '../sdk/semconv.js';
import type { FactoryTelemetry } from '../sdk/index.js';

/** Spans that one run of the scenario records. */
export const SPANS_PER_RUN = 12;

/** The form in which the CI result reaches the SDK. */
export type VerificationVariant =
  /** Raw pytest output, from which the SDK computes signature, class and specificity. */
  | 'output'
  /** A signature, class and specificity computed elsewhere, so the SDK analyses no text. */
  | 'signature';

export const IDENTITY = {
  repository: 'acme/payments',
  changeId: 1234,
  model: 'claude-sonnet-4-5',
  provider: 'anthropic',
  complexity: 'standard',
  team: 'checkout',
} as const;

export const CONTEXT_SOURCES = { story: 1200, code_search: 14_500, architecture_docs: 3100 } as const;

/** Token usage and cost of each attempt, by attempt number minus one. */
export const USAGE = [
  { inputTokens: 18_000, outputTokens: 2400, costUsd: 0.21 },
  { inputTokens: 21_500, outputTokens: 1900, costUsd: 0.24 },
  { inputTokens: 22_800, outputTokens: 1600, costUsd: 0.25 },
] as const;

export const PIPELINE_NAME = 'ci/pytest';

// Fixed times, shared by both sides, so that no side pays for parsing them.
export const REVIEW_OPENED_AT = new Date('2026-12-01T09:00:00Z');
export const REVIEW_CLOSED_AT = new Date('2026-12-03T15:30:00Z');
export const DEPLOY_COMMIT_AT = new Date('2026-12-03T15:30:00Z');
export const DEPLOYED_AT = new Date('2026-12-03T17:05:00Z');
export const DEPLOY_REVISION = '9f2c1e7a4b';

/** Output of the first failed CI run: one assertion in one test. */
export const PYTEST_FAILURE_1 = [
  'tests/test_refunds.py ........F.......                                   [ 33%]',
  'tests/test_invoices.py ................................                  [100%]',
  '',
  '=================================== FAILURES ===================================',
  '_________________________ test_partial_refund_rounding _________________________',
  '',
  '    def test_partial_refund_rounding():',
  '        refund = partial_refund(Decimal("10.00"), ratio=Decimal("0.333"))',
  '>       assert refund == Decimal("3.33")',
  "E       AssertionError: assert Decimal('3.330') == Decimal('3.33')",
  '',
  'tests/test_refunds.py:41: AssertionError',
  '=========================== short test summary info ============================',
  "FAILED tests/test_refunds.py::test_partial_refund_rounding - AssertionError: assert Decimal('3.330') == Decimal('3.33')",
  '========================= 1 failed, 47 passed in 1.92s =========================',
].join('\n');

/** Output of the second failed CI run: the same test fails with another value. */
export const PYTEST_FAILURE_2 = [
  'tests/test_refunds.py ........F.......                                   [ 33%]',
  'tests/test_invoices.py ................................                  [100%]',
  '',
  '=================================== FAILURES ===================================',
  '_________________________ test_partial_refund_rounding _________________________',
  '',
  '    def test_partial_refund_rounding():',
  '        refund = partial_refund(Decimal("10.00"), ratio=Decimal("0.333"))',
  '>       assert refund == Decimal("3.33")',
  "E       AssertionError: assert Decimal('3.34') == Decimal('3.33')",
  '',
  'tests/test_refunds.py:41: AssertionError',
  '=========================== short test summary info ============================',
  "FAILED tests/test_refunds.py::test_partial_refund_rounding - AssertionError: assert Decimal('3.34') == Decimal('3.33')",
  '========================= 1 failed, 47 passed in 2.07s =========================',
].join('\n');

/** Output of the passing CI run. */
export const PYTEST_PASS = [
  'tests/test_refunds.py ................                                   [ 33%]',
  'tests/test_invoices.py ................................                  [100%]',
  '',
  '============================== 48 passed in 1.88s ==============================',
].join('\n');

/** CI output of each attempt's verification, by attempt number minus one. */
export const CI_OUTPUTS = [PYTEST_FAILURE_1, PYTEST_FAILURE_2, PYTEST_PASS] as const;

/**
 * Failure class and specificity that the `signature` variant passes instead of
 * the output. They equal what the SDK computes from CI_OUTPUTS, which
 * bench/overhead.ts checks before timing.
 */
export const PRECOMPUTED_FAILURE = {
  failureClass: 'test_failure',
  feedbackSpecific: true,
} as const;

/**
 * Records one complete run through the SDK and resolves it. `signatures`
 * contains the failure signature of each failed attempt, for the `signature`
 * variant.
 */
export function recordSdkRun(telemetry: FactoryTelemetry, variant: VerificationVariant, signatures: readonly string[]): void {
  const run = telemetry.startRun(IDENTITY);
  run.recordContext({ sources: CONTEXT_SOURCES, complete: true });

  for (let index = 0; index < 3; index += 1) {
    const attempt = run.startAttempt(index === 0 ? {} : { trigger: 'ci_failure' });
    const passed = index === 2;
    if (variant === 'output') {
      attempt.recordVerification({ result: passed ? 'success' : 'failure', output: CI_OUTPUTS[index], pipelineName: PIPELINE_NAME });
    } else if (passed) {
      attempt.recordVerification({ result: 'success', pipelineName: PIPELINE_NAME });
    } else {
      attempt.recordVerification({ result: 'failure', signature: signatures[index], ...PRECOMPUTED_FAILURE, pipelineName: PIPELINE_NAME });
    }
    attempt.end(USAGE[index]);
  }

  run.recordReview({ openedAt: REVIEW_OPENED_AT, closedAt: REVIEW_CLOSED_AT, state: 'merged', humanModified: false, rounds: 1, approvals: 1 });
  run.recordDeployment({ commitAt: DEPLOY_COMMIT_AT, deployedAt: DEPLOYED_AT, environment: 'production', revision: DEPLOY_REVISION });
  run.recordOutcome({ status: 'merged' });
  run.end();
}

/**
 * The attributes that the SDK derives from each verification, which the bare
 * side takes as given: on the verification span, and the part of them that the
 * SDK copies onto the attempt span.
 */
export interface BarePlan {
  verification: readonly Attributes[];
  onAttempt: readonly Attributes[];
}

/** Builds the verification attributes that the SDK records for `variant`. */
export function barePlan(variant: VerificationVariant, signatures: readonly string[]): BarePlan {
  const classSource = variant === 'output' ? 'classifier' : 'harness';
  const failed = (attempt: number): Attributes => ({
    [sc.ATTR_CICD_PIPELINE_RESULT]: 'failure',
    [sc.ATTR_FACTORY_FAILURE_CLASS]: PRECOMPUTED_FAILURE.failureClass,
    [sc.ATTR_FACTORY_FAILURE_CLASS_SOURCE]: classSource,
    [sc.ATTR_FACTORY_FAILURE_SIGNATURE]: signatures[attempt - 1],
    ...(attempt > 1 ? { [sc.ATTR_FACTORY_FAILURE_REPEATED]: signatures[attempt - 1] === signatures[attempt - 2] } : {}),
  });
  const passed: Attributes = { [sc.ATTR_CICD_PIPELINE_RESULT]: 'success', [sc.ATTR_FACTORY_FAILURE_REPEATED]: false };
  const onAttempt = [failed(1), failed(2), passed];

  const feedback: Attributes = {
    [sc.ATTR_FACTORY_FEEDBACK_SPECIFIC]: PRECOMPUTED_FAILURE.feedbackSpecific,
    ...(variant === 'output' ? { [sc.ATTR_FACTORY_FEEDBACK_REASONS]: ['assertion_message'] } : {}),
  };
  const verification = onAttempt.map((attributes, index) => ({
    [sc.ATTR_FACTORY_ATTEMPT_NUMBER]: index + 1,
    [sc.ATTR_CICD_PIPELINE_NAME]: PIPELINE_NAME,
    ...attributes,
    ...(index < 2 ? feedback : {}),
  }));
  return { verification, onAttempt };
}

/**
 * Records the same 12 spans as `recordSdkRun`, with the same names, parents,
 * attributes and statuses, through the bare OpenTelemetry API. It does what a
 * hand-written instrumentation would: no validation, and the verification
 * attributes taken from `plan` instead of computed from CI output.
 */
export function recordBareRun(tracer: Tracer, plan: BarePlan): void {
  const identity: Attributes = {
    [sc.ATTR_FACTORY_RUN_ID]: randomUUID(),
    [sc.ATTR_VCS_REPOSITORY_NAME]: IDENTITY.repository,
    [sc.ATTR_VCS_CHANGE_ID]: String(IDENTITY.changeId),
    [sc.ATTR_GEN_AI_REQUEST_MODEL]: IDENTITY.model,
    [sc.ATTR_GEN_AI_PROVIDER_NAME]: IDENTITY.provider,
    [sc.ATTR_FACTORY_TASK_COMPLEXITY]: IDENTITY.complexity,
    [sc.ATTR_FACTORY_TEAM]: IDENTITY.team,
  };
  const kind = SpanKind.INTERNAL;

  const root = tracer.startSpan(sc.SPAN_RUN, { kind, attributes: identity }, ROOT_CONTEXT);
  const runContext = trace.setSpan(ROOT_CONTEXT, root);

  const context = tracer.startSpan(
    sc.SPAN_CONTEXT,
    {
      kind,
      attributes: {
        ...identity,
        [sc.ATTR_FACTORY_CONTEXT_SOURCES]: ['architecture_docs', 'code_search', 'story'],
        [`${sc.ATTR_FACTORY_CONTEXT_SOURCE_PREFIX}story.tokens`]: CONTEXT_SOURCES.story,
        [`${sc.ATTR_FACTORY_CONTEXT_SOURCE_PREFIX}code_search.tokens`]: CONTEXT_SOURCES.code_search,
        [`${sc.ATTR_FACTORY_CONTEXT_SOURCE_PREFIX}architecture_docs.tokens`]: CONTEXT_SOURCES.architecture_docs,
        [sc.ATTR_FACTORY_CONTEXT_INPUT_TOKENS]: CONTEXT_SOURCES.story + CONTEXT_SOURCES.code_search + CONTEXT_SOURCES.architecture_docs,
        [sc.ATTR_FACTORY_CONTEXT_COMPLETE]: true,
      },
    },
    runContext,
  );
  context.end();

  const execution = tracer.startSpan(sc.SPAN_EXECUTION, { kind, attributes: identity }, runContext);
  const executionContext = trace.setSpan(runContext, execution);
  for (let index = 0; index < 3; index += 1) {
    const attempt = tracer.startSpan(
      sc.SPAN_ATTEMPT,
      {
        kind,
        attributes: {
          ...identity,
          [sc.ATTR_FACTORY_ATTEMPT_NUMBER]: index + 1,
          [sc.ATTR_FACTORY_ATTEMPT_TRIGGER]: index === 0 ? 'initial' : 'ci_failure',
          ...(index === 0 ? {} : { [sc.ATTR_FACTORY_FEEDBACK_SPECIFIC]: PRECOMPUTED_FAILURE.feedbackSpecific }),
        },
      },
      executionContext,
    );

    const verification = tracer.startSpan(
      sc.SPAN_VERIFICATION,
      { kind, attributes: { ...identity, ...plan.verification[index] } },
      trace.setSpan(ROOT_CONTEXT, attempt),
    );
    if (index < 2) verification.setStatus({ code: SpanStatusCode.ERROR, message: 'verification failure' });
    verification.end();
    attempt.setAttributes(plan.onAttempt[index]!);

    const usage = USAGE[index]!;
    attempt.setAttributes({
      [sc.ATTR_GEN_AI_USAGE_INPUT_TOKENS]: usage.inputTokens,
      [sc.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]: usage.outputTokens,
      [sc.ATTR_FACTORY_ATTEMPT_COST_USD]: usage.costUsd,
    });
    attempt.end();
  }
  execution.end();

  const review = tracer.startSpan(
    sc.SPAN_REVIEW,
    {
      kind,
      startTime: REVIEW_OPENED_AT,
      attributes: {
        ...identity,
        [sc.ATTR_VCS_CHANGE_STATE]: 'merged',
        [sc.ATTR_FACTORY_REVIEW_HUMAN_MODIFIED]: false,
        [sc.ATTR_FACTORY_REVIEW_ROUNDS]: 1,
        [sc.ATTR_FACTORY_REVIEW_APPROVALS]: 1,
      },
    },
    runContext,
  );
  review.end(REVIEW_CLOSED_AT);

  const deployment = tracer.startSpan(
    sc.SPAN_DEPLOYMENT,
    {
      kind,
      startTime: DEPLOY_COMMIT_AT,
      attributes: {
        ...identity,
        [sc.ATTR_DEPLOYMENT_ENVIRONMENT_NAME]: 'production',
        [sc.ATTR_DEPLOYMENT_STATUS]: 'succeeded',
        [sc.ATTR_VCS_REF_HEAD_REVISION]: DEPLOY_REVISION,
      },
    },
    runContext,
  );
  deployment.end(DEPLOYED_AT);

  const outcome = tracer.startSpan(
    sc.SPAN_OUTCOME,
    {
      kind,
      attributes: {
        ...identity,
        [sc.ATTR_FACTORY_OUTCOME_STATUS]: 'merged',
        [sc.ATTR_FACTORY_OUTCOME_ONE_SHOT]: false,
        [sc.ATTR_FACTORY_OUTCOME_AUTONOMOUS]: true,
        [sc.ATTR_FACTORY_OUTCOME_ATTEMPTS]: 3,
        [sc.ATTR_FACTORY_OUTCOME_COST_USD]: USAGE[0].costUsd + USAGE[1].costUsd + USAGE[2].costUsd,
        [sc.ATTR_FACTORY_REVIEW_HUMAN_MODIFIED]: false,
        [sc.ATTR_FACTORY_CONTEXT_COMPLETE]: true,
      },
    },
    runContext,
  );
  outcome.end();
  root.end();
}
