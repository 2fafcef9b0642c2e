/**
 * Span and attribute names that the analysis engine reads, as
 * docs/semantic-conventions.md defines them. `analysis/` imports nothing else of
 * the project, so it keeps its own copy of the names of `sdk/semconv.ts`;
 * test/analysis/semconv.test.ts checks that the two agree.
 */

export const SPAN_RUN = 'factory.run';
export const SPAN_CONTEXT = 'factory.context';
export const SPAN_EXECUTION = 'factory.execution';
export const SPAN_ATTEMPT = 'factory.attempt';
export const SPAN_VERIFICATION = 'factory.verification';
export const SPAN_REVIEW = 'factory.review';
export const SPAN_DEPLOYMENT = 'factory.deployment';
export const SPAN_OUTCOME = 'factory.outcome';

export const ATTR_FACTORY_RUN_ID = 'factory.run.id';
export const ATTR_FACTORY_SPAN_INTERRUPTED = 'factory.span.interrupted';
export const ATTR_VCS_REPOSITORY_NAME = 'vcs.repository.name';
export const ATTR_VCS_CHANGE_ID = 'vcs.change.id';
export const ATTR_GEN_AI_REQUEST_MODEL = 'gen_ai.request.model';
export const ATTR_GEN_AI_PROVIDER_NAME = 'gen_ai.provider.name';
export const ATTR_FACTORY_TASK_COMPLEXITY = 'factory.task.complexity';
export const ATTR_FACTORY_TEAM = 'factory.team';
export const ATTR_FACTORY_EXPERIMENT_NAME = 'factory.experiment.name';
export const ATTR_FACTORY_EXPERIMENT_ARM = 'factory.experiment.arm';
export const ATTR_FACTORY_AUTHOR_KIND = 'factory.author.kind';

export const ATTR_FACTORY_CONTEXT_INPUT_TOKENS = 'factory.context.input_tokens';
export const ATTR_FACTORY_CONTEXT_SOURCES = 'factory.context.sources';
export const ATTR_FACTORY_CONTEXT_COMPLETE = 'factory.context.complete';

export const ATTR_FACTORY_ATTEMPT_NUMBER = 'factory.attempt.number';
export const ATTR_FACTORY_ATTEMPT_TRIGGER = 'factory.attempt.trigger';
export const ATTR_FACTORY_ATTEMPT_COST_USD = 'factory.attempt.cost_usd';
export const ATTR_GEN_AI_USAGE_INPUT_TOKENS = 'gen_ai.usage.input_tokens';
export const ATTR_GEN_AI_USAGE_OUTPUT_TOKENS = 'gen_ai.usage.output_tokens';

export const ATTR_CICD_PIPELINE_NAME = 'cicd.pipeline.name';
export const ATTR_CICD_PIPELINE_RESULT = 'cicd.pipeline.result';
export const ATTR_FACTORY_FAILURE_CLASS = 'factory.failure.class';
export const ATTR_FACTORY_FAILURE_CLASS_SOURCE = 'factory.failure.class_source';
export const ATTR_FACTORY_FAILURE_SIGNATURE = 'factory.failure.signature';
export const ATTR_FACTORY_FAILURE_REPEATED = 'factory.failure.repeated';
export const ATTR_FACTORY_FEEDBACK_SPECIFIC = 'factory.feedback.specific';

export const ATTR_VCS_CHANGE_STATE = 'vcs.change.state';
export const ATTR_FACTORY_REVIEW_HUMAN_MODIFIED = 'factory.review.human_modified';
export const ATTR_FACTORY_REVIEW_ROUNDS = 'factory.review.rounds';
export const ATTR_FACTORY_REVIEW_APPROVALS = 'factory.review.approvals';

export const ATTR_DEPLOYMENT_ENVIRONMENT_NAME = 'deployment.environment.name';
export const ATTR_DEPLOYMENT_STATUS = 'deployment.status';

export const ATTR_FACTORY_OUTCOME_STATUS = 'factory.outcome.status';
export const ATTR_FACTORY_OUTCOME_ONE_SHOT = 'factory.outcome.one_shot';
export const ATTR_FACTORY_OUTCOME_AUTONOMOUS = 'factory.outcome.autonomous';
export const ATTR_FACTORY_OUTCOME_ATTEMPTS = 'factory.outcome.attempts';
export const ATTR_FACTORY_OUTCOME_COST_USD = 'factory.outcome.cost_usd';
