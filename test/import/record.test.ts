import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { historyWindow } from '../../cli/import/pull-request-import.js';
import type { ImportedPullRequest } from '../../cli/import/pull-requests.js';
import { ATTR_GEN_AI_AGENT_NAME, ImportAttributesProcessor, lastEventTime, recordPullRequest } from '../../cli/import/record.js';
import { FactoryIdGenerator, FactoryTelemetry } from '../../sdk/index.js';

const HOUR = 3_600_000;
const T0 = Date.parse('2025-06-01T10:00:00Z');

function memory() {
  const exporter = new InMemorySpanExporter();
  const attributes = new ImportAttributesProcessor();
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'import-test' }),
    idGenerator: new FactoryIdGenerator(),
    spanProcessors: [attributes, new SimpleSpanProcessor({ exporter })],
  });
  const telemetry = new FactoryTelemetry({ tracerProvider: provider, strict: false, onError: () => undefined });
  return { telemetry, attributes, spans: (): ReadableSpan[] => exporter.getFinishedSpans() };
}

function pullRequest(overrides: Partial<ImportedPullRequest> = {}): ImportedPullRequest {
  return {
    runId: 'github:acme/api/pull/7',
    repository: 'acme/api',
    number: 7,
    authorKind: 'agent',
    agent: 'Copilot',
    createdAt: new Date(T0),
    closedAt: new Date(T0 + 5 * HOUR),
    merged: true,
    reviews: [
      { state: 'CHANGES_REQUESTED', submittedAt: new Date(T0 + HOUR) },
      { state: 'APPROVED', submittedAt: new Date(T0 + 4 * HOUR) },
    ],
    sessions: [
      { startedAt: new Date(T0 - HOUR), endedAt: new Date(T0 - HOUR / 2), failed: false },
      { startedAt: new Date(T0 + 2 * HOUR), endedAt: undefined, failed: false },
      { startedAt: new Date(T0 + 3 * HOUR), endedAt: new Date(T0 + 3.5 * HOUR), failed: true },
    ],
    humanModified: undefined,
    ...overrides,
  };
}

const byName = (spans: ReadableSpan[], name: string) => spans.filter((span) => span.name === name);
const millis = (time: [number, number]) => time[0] * 1000 + time[1] / 1e6;

describe('recordPullRequest', () => {
  it('records sessions as attempts and counts them all', () => {
    const { telemetry, attributes, spans } = memory();
    const recorded = recordPullRequest(telemetry, attributes, pullRequest());
    expect(recorded).toEqual({ attempts: 2, attemptsWithoutEnd: 1, review: true, outcome: true });
    expect(byName(spans(), 'factory.attempt').map((span) => span.attributes['factory.attempt.number'])).toEqual([1, 3]);
    const outcome = byName(spans(), 'factory.outcome')[0]!;
    expect(outcome.attributes['factory.outcome.attempts']).toBe(3);
    expect(outcome.attributes['factory.outcome.status']).toBe('merged');
  });

  it('records the review from opening to merge', () => {
    const { telemetry, attributes, spans } = memory();
    recordPullRequest(telemetry, attributes, pullRequest());
    const review = byName(spans(), 'factory.review')[0]!;
    expect(millis(review.startTime)).toBe(T0);
    expect(millis(review.endTime)).toBe(T0 + 5 * HOUR);
    expect(review.attributes['factory.review.rounds']).toBe(1);
    expect(review.attributes['factory.review.approvals']).toBe(1);
    expect(review.attributes['vcs.change.state']).toBe('merged');
  });

  it('credits no unproven one-shot or autonomous run', () => {
    const { telemetry, attributes, spans } = memory();
    recordPullRequest(telemetry, attributes, pullRequest({ sessions: [] }));
    const outcome = byName(spans(), 'factory.outcome')[0]!;
    expect(outcome.attributes['factory.outcome.attempts']).toBe(1);
    expect(outcome.attributes['factory.outcome.one_shot']).toBe(false);
    expect(outcome.attributes['factory.outcome.autonomous']).toBe(false);
    expect(outcome.attributes['factory.review.human_modified']).toBe(true);
  });

  it('credits autonomy when commits show no human change', () => {
    const { telemetry, attributes, spans } = memory();
    recordPullRequest(telemetry, attributes, pullRequest({ humanModified: false }));
    expect(byName(spans(), 'factory.outcome')[0]!.attributes['factory.outcome.autonomous']).toBe(true);
  });

  it('labels every span with author kind and agent', () => {
    const { telemetry, attributes, spans } = memory();
    recordPullRequest(telemetry, attributes, pullRequest());
    expect(spans().length).toBeGreaterThan(0);
    for (const span of spans()) {
      expect(span.attributes['factory.author.kind'], span.name).toBe('agent');
      expect(span.attributes[ATTR_GEN_AI_AGENT_NAME], span.name).toBe('Copilot');
      expect(span.attributes['factory.run.id'], span.name).toBe('github:acme/api/pull/7');
    }
  });

  it('gives an open pull request no review or outcome', () => {
    const { telemetry, attributes, spans } = memory();
    const recorded = recordPullRequest(telemetry, attributes, pullRequest({ closedAt: undefined, merged: false }));
    expect(recorded.review).toBe(false);
    expect(recorded.outcome).toBe(false);
    expect(byName(spans(), 'factory.review')).toEqual([]);
    expect(byName(spans(), 'factory.outcome')).toEqual([]);
  });

  it('records a human pull request as a baseline', () => {
    const { telemetry, attributes, spans } = memory();
    recordPullRequest(telemetry, attributes, pullRequest({ authorKind: 'human', agent: undefined, sessions: [], merged: false }));
    expect(byName(spans(), 'factory.outcome')).toEqual([]);
    const review = byName(spans(), 'factory.review')[0]!;
    expect(review.attributes['gen_ai.request.model']).toBe('human');
    expect(review.attributes['factory.author.kind']).toBe('human');
    expect(review.attributes[ATTR_GEN_AI_AGENT_NAME]).toBeUndefined();
    expect(review.attributes['vcs.change.state']).toBe('closed');
  });

  it('moves every time by the shift', () => {
    const { telemetry, attributes, spans } = memory();
    recordPullRequest(telemetry, attributes, pullRequest(), 1000 * HOUR);
    const review = byName(spans(), 'factory.review')[0]!;
    expect(millis(review.startTime)).toBe(T0 + 1000 * HOUR);
    expect(millis(review.endTime) - millis(review.startTime)).toBe(5 * HOUR);
    expect(millis(byName(spans(), 'factory.attempt')[0]!.startTime)).toBe(T0 - HOUR + 1000 * HOUR);
  });
});

describe('historyWindow', () => {
  const prs = [pullRequest(), pullRequest({ createdAt: new Date(T0 - 100 * 24 * HOUR), closedAt: new Date(T0 + 6 * HOUR), sessions: [] })];

  it('moves the last event to the hour', () => {
    expect(lastEventTime(prs)?.getTime()).toBe(T0 + 6 * HOUR);
    const window = historyWindow(prs, undefined, new Date(T0 + 2000 * HOUR + 1234));
    expect(window?.endMs).toBe(T0 + 2000 * HOUR);
    expect(window?.since.getTime()).toBe(T0 + 6 * HOUR - 12 * 7 * 24 * HOUR);
  });

  it('rejects a since beyond twelve weeks', () => {
    expect(() => historyWindow(prs, new Date(T0 - 90 * 24 * HOUR), new Date())).toThrow(/more than 12 weeks before the last event/);
    const daily = historyWindow(prs, undefined, new Date(T0 + 2000 * HOUR + 1234), 24 * HOUR);
    expect(daily!.endMs % (24 * HOUR)).toBe(0);
    expect(daily!.endMs).toBeLessThanOrEqual(T0 + 2000 * HOUR + 1234);
  });
});
