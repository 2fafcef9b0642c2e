import { join } from 'node:path';

import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { TracerProvider } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';

import { HistoryAggregator } from '../../cli/history/aggregator.js';
import { readConnectorDefinitions } from '../../cli/history/collector-config.js';

const definitions = readConnectorDefinitions(join(import.meta.dirname, '..', '..', 'collector', 'config.yaml'));
const HOUR = 3_600_000;
// A step boundary, so that the tests can place spans on either side of it.
const T = 480_000 * HOUR;

function setup(notAfterMs = T + 100 * HOUR) {
  const aggregator = new HistoryAggregator({ definitions, stepMs: HOUR, notAfterMs, collectorInstanceId: 'history-test' });
  const provider = new TracerProvider({ resource: resourceFromAttributes({ 'service.name': 'svc' }), spanProcessors: [aggregator] });
  const tracer = provider.getTracer('test');
  const span = (name: string, startMs: number, endMs: number, attributes: Record<string, string | number | boolean> = {}, status = SpanStatusCode.UNSET) => {
    const started = tracer.startSpan(name, { startTime: startMs, attributes, kind: SpanKind.INTERNAL });
    started.setStatus({ code: status });
    started.end(endMs);
  };
  return { aggregator, span };
}

describe('HistoryAggregator', () => {
  it('counts spans in the step of their end time', () => {
    const { aggregator, span } = setup();
    span('factory.outcome', T - 10, T, { 'gen_ai.request.model': 'm1' });
    span('factory.outcome', T, T + 1, { 'gen_ai.request.model': 'm1' });
    span('factory.outcome', T, T + HOUR, { 'gen_ai.request.model': 'm1' });

    const calls = aggregator.snapshot().calls;
    expect(calls).toHaveLength(1);
    expect(calls[0]!.firstStep).toBe(T / HOUR);
    expect([...calls[0]!.increments]).toEqual([
      [T / HOUR, 1],
      [T / HOUR + 1, 2],
    ]);
  });

  it('labels calls like the span_metrics connector', () => {
    const { aggregator, span } = setup();
    span('factory.verification', T - 5, T - 1, { 'gen_ai.request.model': 'm1', 'cicd.pipeline.result': 'failure', 'factory.failure.repeated': true, 'vcs.change.state': 'merged', 'factory.run.id': 'r1' }, SpanStatusCode.ERROR);

    const [calls] = aggregator.snapshot().calls;
    expect(calls!.attributes).toEqual({
      'service.name': 'svc',
      'span.name': 'factory.verification',
      'span.kind': 'SPAN_KIND_INTERNAL',
      'status.code': 'STATUS_CODE_ERROR',
      'collector.instance.id': 'history-test',
      'gen_ai.request.model': 'm1',
      'cicd.pipeline.result': 'failure',
      'factory.failure.repeated': true,
    });
  });

  it('puts histogram dimensions only on durations', () => {
    const { aggregator, span } = setup();
    span('factory.review', T - 2 * HOUR, T, { 'vcs.change.state': 'merged', 'factory.outcome.status': 'merged' });

    const [duration] = aggregator.snapshot().durations;
    expect(duration!.attributes['vcs.change.state']).toBe('merged');
    expect(duration!.attributes['factory.outcome.status']).toBeUndefined();
    const [calls] = aggregator.snapshot().calls;
    expect(calls!.attributes['vcs.change.state']).toBeUndefined();
    expect(calls!.attributes['factory.outcome.status']).toBe('merged');
  });

  it('fills duration buckets with le semantics', () => {
    const { aggregator, span } = setup();
    span('factory.attempt', T - 60_000, T);
    span('factory.attempt', T - 61_000, T);
    span('factory.attempt', T - 2419201_000, T);
    span('factory.attempt', T, T - 5);

    const [duration] = aggregator.snapshot().durations;
    const point = duration!.steps.get(T / HOUR)!;
    expect(duration!.bounds[0]).toBe(60);
    expect(point.counts[0]).toBe(2);
    expect(point.counts[1]).toBe(1);
    expect(point.counts[duration!.bounds.length]).toBe(1);
    expect(point.count).toBe(4);
    expect(point.sum).toBeCloseTo(60 + 61 + 2419201, 6);
  });

  it('sums outcome attributes as signal_to_metrics deltas', () => {
    const { aggregator, span } = setup();
    const outcome = { 'factory.outcome.cost_usd': 0.25, 'factory.outcome.attempts': 2, 'gen_ai.request.model': 'm1', 'factory.outcome.status': 'merged' };
    span('factory.outcome', T - 5, T - 1, outcome);
    span('factory.outcome', T - 5, T - 2, { ...outcome, 'factory.outcome.cost_usd': 0.5, 'factory.outcome.attempts': 3 });

    const deltas = aggregator.snapshot().deltas;
    const cost = deltas.find((series) => series.definition.name === 'factory.run.cost_usd')!;
    expect(cost.attributes).toEqual({ 'gen_ai.request.model': 'm1', 'factory.outcome.status': 'merged' });
    expect(cost.steps.get(T / HOUR)!.sum).toBe(0.75);
    const attempts = deltas.find((series) => series.definition.name === 'factory.run.attempts')!;
    const point = attempts.steps.get(T / HOUR)!;
    expect(attempts.definition.bounds).toEqual([0, 1, 2, 3, 4, 5, 7, 10]);
    expect(point.counts[2]).toBe(1);
    expect(point.counts[3]).toBe(1);
    expect(point.count).toBe(2);
  });

  it('skips deltas whose condition does not hold', () => {
    const { aggregator, span } = setup();
    span('factory.outcome', T - 5, T - 1, { 'factory.outcome.attempts': 1 });
    span('factory.review', T - 5, T - 1, { 'factory.outcome.cost_usd': 1 });

    const names = aggregator.snapshot().deltas.map((series) => series.definition.name);
    expect(names).toEqual(['factory.run.attempts']);
  });

  it('leaves out spans that end after the end', () => {
    const { aggregator, span } = setup(T);
    span('factory.outcome', T - 5, T);
    span('factory.outcome', T - 5, T + 1);

    expect(aggregator.stats()).toMatchObject({ spans: 1, spansAfterEnd: 1 });
    expect(aggregator.stepRange()).toEqual({ first: T / HOUR, last: T / HOUR });
  });

  it('rejects a step below one second', () => {
    expect(() => new HistoryAggregator({ definitions, stepMs: 10, notAfterMs: T })).toThrow(/invalid history step 10 ms/);
  });
});
