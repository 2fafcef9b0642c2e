import type { AttributeValue, SpanRecord } from '../../analysis/index.js';

/** Nanoseconds of 2026-12-04T12:00:00Z, the evaluation time of the analysis tests. */
export const NOW = BigInt(Date.parse('2026-12-04T12:00:00Z')) * 1_000_000n;
export const HOUR = 3600n * 1_000_000_000n;

let nextSpanId = 1;

/** Builds a span of run `runId` that ended `endHoursAgo` before NOW and lasted `seconds`. */
export function span(name: string, runId: string, attributes: Record<string, AttributeValue>, options: { endHoursAgo?: number; seconds?: number; error?: boolean } = {}): SpanRecord {
  const end = NOW - BigInt(Math.round((options.endHoursAgo ?? 1) * 3600)) * 1_000_000_000n;
  const start = end - BigInt(Math.round((options.seconds ?? 0) * 1e9));
  nextSpanId += 1;
  return {
    traceId: '0'.repeat(32),
    spanId: nextSpanId.toString(16).padStart(16, '0'),
    parentSpanId: undefined,
    name,
    startTimeUnixNano: start,
    endTimeUnixNano: end,
    status: options.error === true ? 'error' : 'unset',
    attributes: { 'factory.run.id': runId, ...attributes },
    serviceName: 'test',
  };
}

/** An outcome span with model, complexity and team labels. */
export function outcome(runId: string, labels: { model?: string; complexity?: string; team?: string; repository?: string }, facts: Record<string, AttributeValue>, endHoursAgo = 1): SpanRecord {
  return span('factory.outcome', runId, {
    ...(labels.model === undefined ? {} : { 'gen_ai.request.model': labels.model }),
    ...(labels.complexity === undefined ? {} : { 'factory.task.complexity': labels.complexity }),
    ...(labels.team === undefined ? {} : { 'factory.team': labels.team }),
    ...(labels.repository === undefined ? {} : { 'vcs.repository.name': labels.repository }),
    ...facts,
  }, { endHoursAgo });
}
