/**
 * Span names and attribute keys of the factory-telemetry run model.
 *
 * Names that OpenTelemetry's semantic conventions already define (GenAI, VCS,
 * CI/CD, deployment) are reused as they are. The `factory.*` names are this
 * project's own. docs/semantic-conventions.md lists every one with its type,
 * allowed values, funnel stage and the process that usually records it.
 *
 * Several OpenTelemetry names used here are still in development status in the
 * semantic conventions (v1.37 and later). They are copied here rather than
 * imported from `@opentelemetry/semantic-conventions/incubating`, so that a
 * rename upstream cannot silently change what this SDK emits.
 */

/** Span names, one per funnel stage. */
export const SPAN_RUN = 'factory.run';
export const SPAN_CONTEXT = 'factory.context';
export const SPAN_EXECUTION = 'factory.execution';
export const SPAN_ATTEMPT = 'factory.attempt';
export const SPAN_VERIFICATION = 'factory.verification';
export const SPAN_REVIEW = 'factory.review';
export const SPAN_DEPLOYMENT = 'factory.deployment';
export const SPAN_OUTCOME = 'factory.outcome';

// On every span of a run.
export const ATTR_FACTORY_RUN_ID = 'factory.run.id';
/** Set on a span that the SDK ended because the process exited first. */
export const ATTR_FACTORY_SPAN_INTERRUPTED = 'factory.span.interrupted';

// Stage A, change identity (copied onto every span of the run).
export const ATTR_VCS_REPOSITORY_NAME = 'vcs.repository.name';
export const ATTR_VCS_CHANGE_ID = 'vcs.change.id';
export const ATTR_GEN_AI_REQUEST_MODEL = 'gen_ai.request.model';
export const ATTR_GEN_AI_PROVIDER_NAME = 'gen_ai.provider.name';
export const ATTR_FACTORY_TASK_COMPLEXITY = 'factory.task.complexity';
export const ATTR_FACTORY_TEAM = 'factory.team';
export const ATTR_FACTORY_EXPERIMENT_NAME = 'factory.experiment.name';
export const ATTR_FACTORY_EXPERIMENT_ARM = 'factory.experiment.arm';
/** Who wrote the change: `agent` for a run of the factory, `human` for a baseline pull request with no run id. */
export const ATTR_FACTORY_AUTHOR_KIND = 'factory.author.kind';

// Stage B, context inputs.
export const ATTR_FACTORY_CONTEXT_INPUT_TOKENS = 'factory.context.input_tokens';
export const ATTR_FACTORY_CONTEXT_SOURCES = 'factory.context.sources';
export const ATTR_FACTORY_CONTEXT_COMPLETE = 'factory.context.complete';
/** Prefix of the per-source token counts, e.g. `factory.context.source.story.tokens`. */
export const ATTR_FACTORY_CONTEXT_SOURCE_PREFIX = 'factory.context.source.';

// Stage C, AI execution.
export const ATTR_FACTORY_ATTEMPT_NUMBER = 'factory.attempt.number';
export const ATTR_GEN_AI_USAGE_INPUT_TOKENS = 'gen_ai.usage.input_tokens';
export const ATTR_GEN_AI_USAGE_OUTPUT_TOKENS = 'gen_ai.usage.output_tokens';
export const ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS = 'gen_ai.usage.cache_read.input_tokens';
export const ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS = 'gen_ai.usage.cache_creation.input_tokens';
export const ATTR_FACTORY_ATTEMPT_COST_USD = 'factory.attempt.cost_usd';
export const ATTR_FACTORY_ATTEMPT_TRIGGER = 'factory.attempt.trigger';
export const ATTR_FACTORY_CHANGE_HASH = 'factory.change.hash';
export const ATTR_FACTORY_CHANGE_FILES = 'factory.change.files';
export const ATTR_FACTORY_CHANGE_BYTES = 'factory.change.bytes';
export const ATTR_FACTORY_CHANGE_LINES_ADDED = 'factory.change.lines_added';
export const ATTR_FACTORY_CHANGE_LINES_REMOVED = 'factory.change.lines_removed';
export const ATTR_FACTORY_CHANGE_SAME_AS_PREVIOUS = 'factory.change.same_as_previous';
export const ATTR_FACTORY_CHANGE_OVERLAP_WITH_PREVIOUS = 'factory.change.overlap_with_previous';

// Stage D, verification.
export const ATTR_CICD_PIPELINE_NAME = 'cicd.pipeline.name';
export const ATTR_CICD_PIPELINE_RESULT = 'cicd.pipeline.result';
export const ATTR_FACTORY_FAILURE_CLASS = 'factory.failure.class';
export const ATTR_FACTORY_FAILURE_CLASS_SOURCE = 'factory.failure.class_source';
export const ATTR_FACTORY_FAILURE_SIGNATURE = 'factory.failure.signature';
export const ATTR_FACTORY_FAILURE_REPEATED = 'factory.failure.repeated';
export const ATTR_FACTORY_FAILURE_MESSAGE = 'factory.failure.message';
export const ATTR_FACTORY_FEEDBACK_SPECIFIC = 'factory.feedback.specific';
export const ATTR_FACTORY_FEEDBACK_REASONS = 'factory.feedback.reasons';

// Stage E, review and human intervention.
export const ATTR_VCS_CHANGE_STATE = 'vcs.change.state';
export const ATTR_FACTORY_REVIEW_HUMAN_MODIFIED = 'factory.review.human_modified';
export const ATTR_FACTORY_REVIEW_ROUNDS = 'factory.review.rounds';
export const ATTR_FACTORY_REVIEW_APPROVALS = 'factory.review.approvals';

// Stage F, deployment.
export const ATTR_DEPLOYMENT_ENVIRONMENT_NAME = 'deployment.environment.name';
export const ATTR_DEPLOYMENT_STATUS = 'deployment.status';
export const ATTR_VCS_REF_HEAD_REVISION = 'vcs.ref.head.revision';

// Stage G, outcome.
export const ATTR_FACTORY_OUTCOME_STATUS = 'factory.outcome.status';
export const ATTR_FACTORY_OUTCOME_ONE_SHOT = 'factory.outcome.one_shot';
export const ATTR_FACTORY_OUTCOME_AUTONOMOUS = 'factory.outcome.autonomous';
export const ATTR_FACTORY_OUTCOME_ATTEMPTS = 'factory.outcome.attempts';
export const ATTR_FACTORY_OUTCOME_COST_USD = 'factory.outcome.cost_usd';

/** Allowed values of `cicd.pipeline.result`, as the OpenTelemetry CI/CD conventions define them. */
export const CICD_PIPELINE_RESULTS = [
  'success',
  'failure',
  'error',
  'timeout',
  'cancellation',
  'skip',
] as const;

/** Allowed values of `factory.outcome.status`. */
export const OUTCOME_STATUSES = ['merged', 'closed', 'abandoned'] as const;

/**
 * Allowed values of `factory.task.complexity`, from a one-line fix to a change of
 * the system's structure.
 */
export const TASK_COMPLEXITIES = ['trivial', 'standard', 'complex', 'architectural'] as const;

/** Allowed values of `factory.author.kind`. */
export const AUTHOR_KINDS = ['agent', 'human'] as const;

/** Allowed values of `vcs.change.state` on a finished review span. */
export const REVIEW_END_STATES = ['merged', 'closed'] as const;

/** Allowed values of `factory.failure.class`. */
export const FAILURE_CLASSES = [
  'requirements_gap',
  'compile_error',
  'test_failure',
  'lint',
  'timeout',
  'infrastructure',
  'review_rejected',
  'merge_conflict',
  'other',
] as const;

/** Allowed values of `factory.attempt.trigger`: what started the attempt. */
export const ATTEMPT_TRIGGERS = ['initial', 'ci_failure', 'review_feedback', 'human_request'] as const;

/** Allowed members of `factory.context.sources`. */
export const CONTEXT_SOURCES = ['story', 'initiative_spec', 'architecture_docs', 'code_search', 'prior_failures', 'other'] as const;

/** Allowed values of `factory.failure.class_source`: who decided the failure class. */
export const FAILURE_CLASS_SOURCES = ['classifier', 'harness', 'reviewer'] as const;

export type AttemptTrigger = (typeof ATTEMPT_TRIGGERS)[number];
export type ContextSource = (typeof CONTEXT_SOURCES)[number];
export type FailureClassSource = (typeof FAILURE_CLASS_SOURCES)[number];
export type CicdPipelineResult = (typeof CICD_PIPELINE_RESULTS)[number];
export type OutcomeStatus = (typeof OUTCOME_STATUSES)[number];
export type TaskComplexity = (typeof TASK_COMPLEXITIES)[number];
export type AuthorKind = (typeof AUTHOR_KINDS)[number];
export type ReviewEndState = (typeof REVIEW_END_STATES)[number];
export type FailureClass = (typeof FAILURE_CLASSES)[number];
