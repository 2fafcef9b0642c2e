import type { AttributeValue, SpanRecord } from './otlp-json.js';
import * as sc from './semconv.js';

/**
 * The run model: the spans of one AI coding run, grouped by `factory.run.id`
 * whatever process wrote them, with the attributes the metrics and the CLI read.
 * Each stage span keeps the labels it carried itself, because the recording rules
 * slice a count by the labels of the span they count (a resumed outcome recorded
 * without the team counts under team ''), while `Run.labels` merges the run's
 * identity from all its spans.
 */

/** The span-metric dimensions of a span; '' where the span has no such attribute. */
export interface SpanLabels {
  readonly model: string;
  readonly complexity: string;
  readonly team: string;
  readonly repository: string;
  readonly provider: string;
  readonly experiment: string;
  readonly arm: string;
}

/** What every stage span keeps. */
export interface StageSpan {
  spanId: string;
  labels: SpanLabels;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  /** End minus start, in seconds, as the span_metrics connector computes it. */
  durationSeconds: number;
  /** Status ERROR: a failed verification or deployment, or a span ended by the SDK at exit. */
  error: boolean;
  /** `service.name` of the process that wrote the span. */
  serviceName: string;
}

export interface RootStage extends StageSpan {
  /** `factory.span.interrupted`: the SDK ended the span because the process exited first. */
  interrupted: boolean;
}

export interface ContextStage extends StageSpan {
  complete: boolean | undefined;
  inputTokens: number | undefined;
  sources: readonly string[];
}

export interface AttemptStage extends StageSpan {
  number: number | undefined;
  trigger: string | undefined;
  /** `cicd.pipeline.result` copied from the attempt's verification, when verified through the attempt handle. */
  result: string | undefined;
  inputTokens: number | undefined;
  outputTokens: number | undefined;
  costUsd: number | undefined;
  repeated: boolean | undefined;
  feedbackSpecific: boolean | undefined;
  interrupted: boolean;
}

export interface VerificationStage extends StageSpan {
  attemptNumber: number | undefined;
  pipeline: string | undefined;
  result: string | undefined;
  failureClass: string | undefined;
  failureClassSource: string | undefined;
  signature: string | undefined;
  repeated: boolean | undefined;
  feedbackSpecific: boolean | undefined;
}

export interface ReviewStage extends StageSpan {
  /** `vcs.change.state`: merged or closed. */
  state: string | undefined;
  humanModified: boolean | undefined;
  rounds: number | undefined;
  approvals: number | undefined;
  failureClass: string | undefined;
}

export interface DeploymentStage extends StageSpan {
  environment: string | undefined;
  status: string | undefined;
}

export interface OutcomeStage extends StageSpan {
  /** merged, closed or abandoned. */
  status: string | undefined;
  oneShot: boolean | undefined;
  autonomous: boolean | undefined;
  attempts: number | undefined;
  costUsd: number | undefined;
  contextComplete: boolean | undefined;
  humanModified: boolean | undefined;
}

/** One run: every span recorded for its `factory.run.id`, in the order read. */
export interface Run {
  runId: string;
  /** Derived from the run id, the same in every process. */
  traceId: string;
  /** The run's identity: for each dimension, the first non-empty value, the root span's first. */
  labels: SpanLabels;
  /** `vcs.change.id`, the pull request number, when a span has it. */
  changeId: string | undefined;
  /**
   * The `factory.run` spans: one per `startRun`. A run resumed in other processes
   * only has none, and a run started twice under one id has two.
   */
  roots: RootStage[];
  contexts: ContextStage[];
  executions: StageSpan[];
  attempts: AttemptStage[];
  verifications: VerificationStage[];
  reviews: ReviewStage[];
  deployments: DeploymentStage[];
  outcomes: OutcomeStage[];
  /** Spans of the run with another name, counted only. */
  otherSpans: number;
}

/** Runs by `factory.run.id`, and the spans that belong to none. */
export interface RunSet {
  runs: Map<string, Run>;
  /** Spans without a `factory.run.id`, which no run can claim. */
  spansWithoutRunId: number;
}

/**
 * Groups spans into runs by `factory.run.id`. Memory grows with the number of runs
 * and their stage spans, not with the input: only the fields above are kept, and
 * equal label sets share one object.
 *
 * Repeated stages are all kept, as the recording rules count them: two outcome
 * spans of one run (from two processes) are two resolved runs to Prometheus too.
 * Use `finalOutcome` and `attemptChain` for the one value per run that the
 * semantic conventions define.
 */
export async function collectRuns(spans: AsyncIterable<SpanRecord> | Iterable<SpanRecord>): Promise<RunSet> {
  const builder = new RunSetBuilder();
  for await (const span of spans) builder.add(span);
  return builder.result();
}

/** Adds spans one at a time, for callers that read spans themselves. */
export class RunSetBuilder {
  private readonly runs = new Map<string, Run>();
  private readonly labelSets = new Map<string, SpanLabels>();
  private spansWithoutRunId = 0;

  add(span: SpanRecord): void {
    const runId = span.attributes[sc.ATTR_FACTORY_RUN_ID];
    if (typeof runId !== 'string' || runId === '') {
      this.spansWithoutRunId += 1;
      return;
    }
    let run = this.runs.get(runId);
    if (run === undefined) {
      run = newRun(runId, span.traceId);
      this.runs.set(runId, run);
    }
    const labels = this.labelsOf(span.attributes);
    mergeIdentity(run, labels, span);
    addStage(run, span, labels);
  }

  result(): RunSet {
    return { runs: this.runs, spansWithoutRunId: this.spansWithoutRunId };
  }

  private labelsOf(attributes: Record<string, AttributeValue>): SpanLabels {
    const model = text(attributes[sc.ATTR_GEN_AI_REQUEST_MODEL]) ?? '';
    const complexity = text(attributes[sc.ATTR_FACTORY_TASK_COMPLEXITY]) ?? '';
    const team = text(attributes[sc.ATTR_FACTORY_TEAM]) ?? '';
    const repository = text(attributes[sc.ATTR_VCS_REPOSITORY_NAME]) ?? '';
    const provider = text(attributes[sc.ATTR_GEN_AI_PROVIDER_NAME]) ?? '';
    const experiment = text(attributes[sc.ATTR_FACTORY_EXPERIMENT_NAME]) ?? '';
    const arm = text(attributes[sc.ATTR_FACTORY_EXPERIMENT_ARM]) ?? '';
    const key = [model, complexity, team, repository, provider, experiment, arm].join('\u0000');
    let labels = this.labelSets.get(key);
    if (labels === undefined) {
      labels = Object.freeze({ model, complexity, team, repository, provider, experiment, arm });
      this.labelSets.set(key, labels);
    }
    return labels;
  }
}

/** The run's outcome: the outcome span that ended last, or undefined while the run is open. */
export function finalOutcome(run: Run): OutcomeStage | undefined {
  return lastByEnd(run.outcomes);
}

/** One attempt of a run with the verification runs recorded for it. */
export interface AttemptLink {
  number: number;
  /** The attempt span, when one was recorded (a CI job may record only verifications). */
  attempt: AttemptStage | undefined;
  verifications: VerificationStage[];
  /** Result of the verification that ended last: a CI re-run decides whether the attempt passed. */
  result: string | undefined;
}

/** Returns the run's attempts by number, each with its verifications, in attempt order. */
export function attemptChain(run: Run): AttemptLink[] {
  const byNumber = new Map<number, AttemptLink>();
  const link = (number: number) => {
    let entry = byNumber.get(number);
    if (entry === undefined) {
      entry = { number, attempt: undefined, verifications: [], result: undefined };
      byNumber.set(number, entry);
    }
    return entry;
  };
  for (const attempt of run.attempts) {
    if (attempt.number !== undefined) link(attempt.number).attempt ??= attempt;
  }
  for (const verification of run.verifications) {
    if (verification.attemptNumber !== undefined) link(verification.attemptNumber).verifications.push(verification);
  }
  for (const entry of byNumber.values()) entry.result = lastByEnd(entry.verifications)?.result;
  return [...byNumber.values()].sort((a, b) => a.number - b.number);
}

function lastByEnd<T extends StageSpan>(spans: readonly T[]): T | undefined {
  let last: T | undefined;
  for (const span of spans) {
    if (last === undefined || span.endTimeUnixNano >= last.endTimeUnixNano) last = span;
  }
  return last;
}

function newRun(runId: string, traceId: string): Run {
  return {
    runId,
    traceId,
    labels: { model: '', complexity: '', team: '', repository: '', provider: '', experiment: '', arm: '' },
    changeId: undefined,
    roots: [],
    contexts: [],
    executions: [],
    attempts: [],
    verifications: [],
    reviews: [],
    deployments: [],
    outcomes: [],
    otherSpans: 0,
  };
}

const DIMENSIONS = ['model', 'complexity', 'team', 'repository', 'provider', 'experiment', 'arm'] as const;

function mergeIdentity(run: Run, labels: SpanLabels, span: SpanRecord): void {
  const isRoot = span.name === sc.SPAN_RUN;
  let merged: Record<string, string> | undefined;
  for (const dimension of DIMENSIONS) {
    const value = labels[dimension];
    if (value === '' || value === run.labels[dimension]) continue;
    if (run.labels[dimension] !== '' && !isRoot) continue;
    merged ??= { ...run.labels };
    merged[dimension] = value;
  }
  if (merged !== undefined) run.labels = merged as unknown as SpanLabels;
  run.changeId ??= text(span.attributes[sc.ATTR_VCS_CHANGE_ID]);
}

function addStage(run: Run, span: SpanRecord, labels: SpanLabels): void {
  const a = span.attributes;
  const base: StageSpan = {
    spanId: span.spanId,
    labels,
    startTimeUnixNano: span.startTimeUnixNano,
    endTimeUnixNano: span.endTimeUnixNano,
    durationSeconds: Number(span.endTimeUnixNano - span.startTimeUnixNano) / 1e9,
    error: span.status === 'error',
    serviceName: span.serviceName,
  };
  switch (span.name) {
    case sc.SPAN_RUN:
      run.roots.push({ ...base, interrupted: flag(a[sc.ATTR_FACTORY_SPAN_INTERRUPTED]) === true });
      return;
    case sc.SPAN_CONTEXT:
      run.contexts.push({
        ...base,
        complete: flag(a[sc.ATTR_FACTORY_CONTEXT_COMPLETE]),
        inputTokens: numberOf(a[sc.ATTR_FACTORY_CONTEXT_INPUT_TOKENS]),
        sources: Array.isArray(a[sc.ATTR_FACTORY_CONTEXT_SOURCES]) ? (a[sc.ATTR_FACTORY_CONTEXT_SOURCES] as AttributeValue[]).filter((s): s is string => typeof s === 'string') : [],
      });
      return;
    case sc.SPAN_EXECUTION:
      run.executions.push(base);
      return;
    case sc.SPAN_ATTEMPT:
      run.attempts.push({
        ...base,
        number: numberOf(a[sc.ATTR_FACTORY_ATTEMPT_NUMBER]),
        trigger: text(a[sc.ATTR_FACTORY_ATTEMPT_TRIGGER]),
        result: text(a[sc.ATTR_CICD_PIPELINE_RESULT]),
        inputTokens: numberOf(a[sc.ATTR_GEN_AI_USAGE_INPUT_TOKENS]),
        outputTokens: numberOf(a[sc.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]),
        costUsd: numberOf(a[sc.ATTR_FACTORY_ATTEMPT_COST_USD]),
        repeated: flag(a[sc.ATTR_FACTORY_FAILURE_REPEATED]),
        feedbackSpecific: flag(a[sc.ATTR_FACTORY_FEEDBACK_SPECIFIC]),
        interrupted: flag(a[sc.ATTR_FACTORY_SPAN_INTERRUPTED]) === true,
      });
      return;
    case sc.SPAN_VERIFICATION:
      run.verifications.push({
        ...base,
        attemptNumber: numberOf(a[sc.ATTR_FACTORY_ATTEMPT_NUMBER]),
        pipeline: text(a[sc.ATTR_CICD_PIPELINE_NAME]),
        result: text(a[sc.ATTR_CICD_PIPELINE_RESULT]),
        failureClass: text(a[sc.ATTR_FACTORY_FAILURE_CLASS]),
        failureClassSource: text(a[sc.ATTR_FACTORY_FAILURE_CLASS_SOURCE]),
        signature: text(a[sc.ATTR_FACTORY_FAILURE_SIGNATURE]),
        repeated: flag(a[sc.ATTR_FACTORY_FAILURE_REPEATED]),
        feedbackSpecific: flag(a[sc.ATTR_FACTORY_FEEDBACK_SPECIFIC]),
      });
      return;
    case sc.SPAN_REVIEW:
      run.reviews.push({
        ...base,
        state: text(a[sc.ATTR_VCS_CHANGE_STATE]),
        humanModified: flag(a[sc.ATTR_FACTORY_REVIEW_HUMAN_MODIFIED]),
        rounds: numberOf(a[sc.ATTR_FACTORY_REVIEW_ROUNDS]),
        approvals: numberOf(a[sc.ATTR_FACTORY_REVIEW_APPROVALS]),
        failureClass: text(a[sc.ATTR_FACTORY_FAILURE_CLASS]),
      });
      return;
    case sc.SPAN_DEPLOYMENT:
      run.deployments.push({ ...base, environment: text(a[sc.ATTR_DEPLOYMENT_ENVIRONMENT_NAME]), status: text(a[sc.ATTR_DEPLOYMENT_STATUS]) });
      return;
    case sc.SPAN_OUTCOME:
      run.outcomes.push({
        ...base,
        status: text(a[sc.ATTR_FACTORY_OUTCOME_STATUS]),
        oneShot: flag(a[sc.ATTR_FACTORY_OUTCOME_ONE_SHOT]),
        autonomous: flag(a[sc.ATTR_FACTORY_OUTCOME_AUTONOMOUS]),
        attempts: numberOf(a[sc.ATTR_FACTORY_OUTCOME_ATTEMPTS]),
        costUsd: numberOf(a[sc.ATTR_FACTORY_OUTCOME_COST_USD]),
        contextComplete: flag(a[sc.ATTR_FACTORY_CONTEXT_COMPLETE]),
        humanModified: flag(a[sc.ATTR_FACTORY_REVIEW_HUMAN_MODIFIED]),
      });
      return;
    default:
      run.otherSpans += 1;
  }
}

function text(value: AttributeValue | undefined): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

// A label value "true" or "false" is what the rules select on; the SDK writes
// booleans, other writers may write the strings.
function flag(value: AttributeValue | undefined): boolean | undefined {
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  return undefined;
}

function numberOf(value: AttributeValue | undefined): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}
