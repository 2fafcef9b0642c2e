import { attemptChain, finalOutcome, inWindow, type Run, type TimeWindow } from '../../analysis/index.js';
import { mulberry32 } from '../simulate/random.js';
import { labelText } from './format.js';
import type { ReportDimension } from './source.js';

/**
 * `cases`: a seeded sample of concrete runs for a failure class or a slice,
 * each with its trace link and its attempt chain in short form. It needs the
 * spans of each run, so it reads the embedded store only.
 */

/** Filter on the outcome of the resolved runs that are candidates. */
export type CaseOutcome = 'not-one-shot' | 'not-autonomous' | 'closed' | 'any';
export const CASE_OUTCOMES: readonly CaseOutcome[] = ['not-one-shot', 'not-autonomous', 'closed', 'any'];

export interface CaseFilter {
  outcome: CaseOutcome;
  /** A failure class that a verification or the review of the run recorded. */
  failureClass: string | undefined;
  /** Label values the run's identity must have. */
  labels: Partial<Record<ReportDimension, string>>;
}

export interface CaseOptions extends CaseFilter {
  sample: number;
  seed: number;
  /** A URL with `{traceId}`, or undefined to print the trace id alone. */
  traceUrl: string | undefined;
}

export interface Case {
  runId: string;
  traceId: string;
  /** The trace link, or null without `--trace-url`. */
  traceLink: string | null;
  labels: Run['labels'];
  changeId: string | null;
  outcome: string;
  chain: string;
}

export interface CasesAnswer {
  command: 'cases';
  source: string;
  window: string;
  filter: CaseFilter;
  seed: number;
  /** Runs that match the filter; the sample is drawn from them. */
  matching: number;
  cases: Case[];
}

/**
 * Draws up to `options.sample` of the matching runs without replacement. The
 * candidates are sorted by run id before the draw, so the same file, filter
 * and seed give the same cases whatever the order of the lines.
 */
export function sampleCases(runs: readonly Run[], window: TimeWindow, options: CaseOptions): { matching: number; cases: Case[] } {
  const candidates = runs.filter((run) => matches(run, window, options)).sort((a, b) => (a.runId < b.runId ? -1 : a.runId > b.runId ? 1 : 0));

  // A partial Fisher–Yates shuffle: the first `take` places get a uniform sample.
  const random = mulberry32(options.seed);
  const take = Math.min(options.sample, candidates.length);
  const pool = [...candidates];
  for (let index = 0; index < take; index += 1) {
    const pick = index + Math.floor(random() * (pool.length - index));
    [pool[index], pool[pick]] = [pool[pick]!, pool[index]!];
  }
  const chosen = pool.slice(0, take).sort((a, b) => (a.runId < b.runId ? -1 : 1));
  return { matching: candidates.length, cases: chosen.map((run) => toCase(run, options.traceUrl)) };
}

function matches(run: Run, window: TimeWindow, filter: CaseFilter): boolean {
  const outcome = finalOutcome(run);
  if (outcome === undefined || !inWindow(window, outcome.endTimeUnixNano)) return false;
  for (const [dimension, value] of Object.entries(filter.labels)) {
    if (run.labels[dimension as ReportDimension] !== value) return false;
  }
  if (filter.failureClass !== undefined) {
    const classes = [...run.verifications.map((v) => v.failureClass), ...run.reviews.map((r) => r.failureClass)];
    if (!classes.includes(filter.failureClass)) return false;
  }
  switch (filter.outcome) {
    case 'not-one-shot':
      return outcome.oneShot !== true;
    case 'not-autonomous':
      return outcome.autonomous !== true;
    case 'closed':
      return outcome.status !== 'merged';
    case 'any':
      return true;
  }
}

function toCase(run: Run, traceUrl: string | undefined): Case {
  const outcome = finalOutcome(run);
  return {
    runId: run.runId,
    traceId: run.traceId,
    traceLink: traceUrl === undefined ? null : traceUrl.replaceAll('{traceId}', run.traceId),
    labels: run.labels,
    changeId: run.changeId ?? null,
    outcome: outcome?.status ?? 'open',
    chain: shortChain(run),
  };
}

const SIGNATURE_DIGITS = 8;

/**
 * Formats the attempt chain in one line, for example
 * `#1 ci failure test_failure sig=ab12cd34 → #2 ci failure test_failure sig=ab12cd34 (repeated) → closed`.
 */
export function shortChain(run: Run): string {
  const steps = attemptChain(run).map((link) => {
    const verification = link.verifications.reduce<(typeof link.verifications)[number] | undefined>(
      (last, candidate) => (last === undefined || candidate.endTimeUnixNano >= last.endTimeUnixNano ? candidate : last),
      undefined,
    );
    const parts = [`#${link.number}`];
    if (verification === undefined) parts.push('not verified');
    else {
      parts.push(`ci ${verification.result ?? 'unknown'}`);
      if (verification.failureClass !== undefined) parts.push(verification.failureClass);
      if (verification.signature !== undefined) parts.push(`sig=${verification.signature.slice(0, SIGNATURE_DIGITS)}`);
      if (verification.repeated === true) parts.push('(repeated)');
    }
    return parts.join(' ');
  });

  const review = run.reviews.at(-1);
  if (review !== undefined) {
    const reviewParts = [`review ${review.state ?? 'open'}`];
    if (review.failureClass !== undefined) reviewParts.push(review.failureClass);
    if (review.humanModified === true) reviewParts.push('(human modified)');
    steps.push(reviewParts.join(' '));
  }
  const outcome = finalOutcome(run);
  steps.push(outcome === undefined ? 'open' : `${outcome.status ?? 'resolved'}${outcome.oneShot === true ? ' (one-shot)' : outcome.autonomous === true ? ' (autonomous)' : ''}`);
  return steps.join(' → ');
}

export function formatCases(answer: CasesAnswer): string {
  const filter = [
    `outcome ${answer.filter.outcome}`,
    ...(answer.filter.failureClass === undefined ? [] : [`failure class ${answer.filter.failureClass}`]),
    ...Object.entries(answer.filter.labels).map(([name, value]) => `${name} ${value}`),
  ].join(', ');
  const lines = [
    `Source: ${answer.source}`,
    `Window: ${answer.window}`,
    `${answer.cases.length} of ${answer.matching} matching runs (${filter}), seed ${answer.seed}`,
    '',
  ];
  for (const item of answer.cases) {
    const identity = [item.labels.team, item.labels.repository, item.labels.model, item.labels.complexity].map((value) => labelText(value)).join(' · ');
    lines.push(`${item.runId}  ${identity}${item.changeId === null ? '' : `  PR ${item.changeId}`}`);
    lines.push(`  trace: ${item.traceLink ?? item.traceId}`);
    lines.push(`  ${item.chain}`);
  }
  if (answer.matching === 0) lines.push('No resolved run in the window matches the filter.');
  lines.push('');
  return lines.join('\n');
}
