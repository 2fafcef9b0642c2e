/**
 * factory-telemetry SDK: records AI coding runs as OpenTelemetry traces, one span
 * per funnel stage. Start with `new FactoryTelemetry()` and `startRun()`.
 */
export { FactoryTelemetry } from './telemetry.js';
export type { FactoryTelemetryOptions, TelemetryStats } from './telemetry.js';
export { Run } from './run.js';
export { Attempt } from './attempt.js';
export { classifyFailure, failureSignature, feedbackSpecificity, redactSecrets } from './failure/index.js';
export type {
  CiFailureClass,
  FailureSignature,
  FeedbackSpecificity,
  RedactionKind,
  RedactionResult,
  SignatureBasis,
  SpecificityReason,
} from './failure/index.js';
export { FactoryIdGenerator } from './id-generator.js';
export { deriveRunIds, newRunId } from './ids.js';
export type { RunIds } from './ids.js';
export { findRunLink, parsePullRequestMarker, parseRunBranchName, parseRunIdTrailer, pullRequestMarker, runBranchName, runIdTrailer, RUN_BRANCH_PREFIX, RUN_ID_TRAILER, type PullRequestLink, type PullRequestLinkSource } from './pr-link.js';
export { classifyOutcome } from './outcome.js';
export type { OutcomeFacts, OutcomeClass } from './outcome.js';
export { FactoryTelemetryError } from './report.js';
export type { ErrorHandler, ProblemCounts } from './report.js';
export type {
  AttemptEndInput,
  AttemptStartInput,
  AttemptVerificationInput,
  ChangeInput,
  UsageInput,
  ContextInput,
  DeploymentInput,
  OutcomeInput,
  ResumedIdentity,
  ReviewInput,
  RunIdentity,
  TimeInput,
  VerificationInput,
} from './schema.js';
export { ExitSafeSpanProcessor, otlpHttpMetricsTargetFromEnv, otlpHttpTargetFromEnv } from './export/index.js';
export type { ExitSafeSpanProcessorOptions, ExportStats, OtlpHttpTarget } from './export/index.js';
export { FACTORY_TELEMETRY_FILE, FileSpanProcessor, encodeSpansAsOtlpJsonLine } from './export/index.js';
export type { FileSinkOptions, FileSpanProcessorOptions } from './export/index.js';
export * from './semconv.js';
