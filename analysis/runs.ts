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
  /** `factory.author.kind`: `human` on the bridge's baseline pull requests. */
  readonly authorKind: string;
}

/** Fields that every stage span keeps. */
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
    const authorKind = text(attributes[sc.ATTR_FACTORY_AUTHOR_KIND]) ?? '';
    const key = [model, complexity, team, repository, provider, experiment, arm, authorKind].join('\u0000');
    let labels = this.labelSets.get(key);
    if (labels === undefined) {
      labels = Object.freeze({ model, complexity, team, repository, provider, experiment, arm, authorKind });
      this.labelSets.set(key, labels);
    }
    return labels;
  }
}

/** Returns the run's outcome: the outcome span that ended last, or undefined while the run is open. */
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
    labels: { model: '', complexity: '', team: '', repository: '', provider: '', experiment: '', arm: '', authorKind: '' },
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

const DIMENSIONS = ['model', 'complexity', 'team', 'repository', 'provider', 'experiment', 'arm', 'authorKind'] as const;

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
  // Each stage starts as this literal and gets its own fields by assignment: an
  // object built with spread syntax takes about three times the memory in V8.
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
    case sc.SPAN_RUN: {
      const stage = base as RootStage;
      stage.interrupted = flag(a[sc.ATTR_FACTORY_SPAN_INTERRUPTED]) === true;
      run.roots = appended(run.roots, stage);
      return;
    }
    case sc.SPAN_CONTEXT: {
      const stage = base as ContextStage;
      const sources = a[sc.ATTR_FACTORY_CONTEXT_SOURCES];
      stage.complete = flag(a[sc.ATTR_FACTORY_CONTEXT_COMPLETE]);
      stage.inputTokens = numberOf(a[sc.ATTR_FACTORY_CONTEXT_INPUT_TOKENS]);
      stage.sources = Array.isArray(sources) ? sources.filter((source): source is string => typeof source === 'string') : [];
      run.contexts = appended(run.contexts, stage);
      return;
    }
    case sc.SPAN_EXECUTION:
      run.executions = appended(run.executions, base);
      return;
    case sc.SPAN_ATTEMPT: {
      const stage = base as AttemptStage;
      stage.number = numberOf(a[sc.ATTR_FACTORY_ATTEMPT_NUMBER]);
      stage.trigger = text(a[sc.ATTR_FACTORY_ATTEMPT_TRIGGER]);
      stage.result = text(a[sc.ATTR_CICD_PIPELINE_RESULT]);
      stage.inputTokens = numberOf(a[sc.ATTR_GEN_AI_USAGE_INPUT_TOKENS]);
      stage.outputTokens = numberOf(a[sc.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]);
      stage.costUsd = numberOf(a[sc.ATTR_FACTORY_ATTEMPT_COST_USD]);
      stage.repeated = flag(a[sc.ATTR_FACTORY_FAILURE_REPEATED]);
      stage.feedbackSpecific = flag(a[sc.ATTR_FACTORY_FEEDBACK_SPECIFIC]);
      stage.interrupted = flag(a[sc.ATTR_FACTORY_SPAN_INTERRUPTED]) === true;
      run.attempts = appended(run.attempts, stage);
      return;
    }
    case sc.SPAN_VERIFICATION: {
      const stage = base as VerificationStage;
      stage.attemptNumber = numberOf(a[sc.ATTR_FACTORY_ATTEMPT_NUMBER]);
      stage.pipeline = text(a[sc.ATTR_CICD_PIPELINE_NAME]);
      stage.result = text(a[sc.ATTR_CICD_PIPELINE_RESULT]);
      stage.failureClass = text(a[sc.ATTR_FACTORY_FAILURE_CLASS]);
      stage.failureClassSource = text(a[sc.ATTR_FACTORY_FAILURE_CLASS_SOURCE]);
      stage.signature = text(a[sc.ATTR_FACTORY_FAILURE_SIGNATURE]);
      stage.repeated = flag(a[sc.ATTR_FACTORY_FAILURE_REPEATED]);
      stage.feedbackSpecific = flag(a[sc.ATTR_FACTORY_FEEDBACK_SPECIFIC]);
      run.verifications = appended(run.verifications, stage);
      return;
    }
    case sc.SPAN_REVIEW: {
      const stage = base as ReviewStage;
      stage.state = text(a[sc.ATTR_VCS_CHANGE_STATE]);
      stage.humanModified = flag(a[sc.ATTR_FACTORY_REVIEW_HUMAN_MODIFIED]);
      stage.rounds = numberOf(a[sc.ATTR_FACTORY_REVIEW_ROUNDS]);
      stage.approvals = numberOf(a[sc.ATTR_FACTORY_REVIEW_APPROVALS]);
      stage.failureClass = text(a[sc.ATTR_FACTORY_FAILURE_CLASS]);
      run.reviews = appended(run.reviews, stage);
      return;
    }
    case sc.SPAN_DEPLOYMENT: {
      const stage = base as DeploymentStage;
      stage.environment = text(a[sc.ATTR_DEPLOYMENT_ENVIRONMENT_NAME]);
      stage.status = text(a[sc.ATTR_DEPLOYMENT_STATUS]);
      run.deployments = appended(run.deployments, stage);
      return;
    }
    case sc.SPAN_OUTCOME: {
      const stage = base as OutcomeStage;
      stage.status = text(a[sc.ATTR_FACTORY_OUTCOME_STATUS]);
      stage.oneShot = flag(a[sc.ATTR_FACTORY_OUTCOME_ONE_SHOT]);
      stage.autonomous = flag(a[sc.ATTR_FACTORY_OUTCOME_AUTONOMOUS]);
      stage.attempts = numberOf(a[sc.ATTR_FACTORY_OUTCOME_ATTEMPTS]);
      stage.costUsd = numberOf(a[sc.ATTR_FACTORY_OUTCOME_COST_USD]);
      stage.contextComplete = flag(a[sc.ATTR_FACTORY_CONTEXT_COMPLETE]);
      stage.humanModified = flag(a[sc.ATTR_FACTORY_REVIEW_HUMAN_MODIFIED]);
      run.outcomes = appended(run.outcomes, stage);
      return;
    }
    default:
      run.otherSpans += 1;
  }
}

// Most runs have one to three spans of a stage. push() would give each array
// room for 17 elements, while concat() allocates exactly what is used.
function appended<T>(list: T[], item: T): T[] {
  return list.length === 0 ? [item] : list.concat([item]);
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

