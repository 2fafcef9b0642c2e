import { join } from 'node:path';

import { resourceFromAttributes } from '@opentelemetry/resources';
import { TracerProvider } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';

import { HistoryAggregator, type BucketPoint, type CounterSeries, type DeltaSeries, type HistogramSeries } from '../../cli/history/aggregator.js';
import { readConnectorDefinitions } from '../../cli/history/collector-config.js';
import { writeHistoryPoints, type PointSink } from '../../cli/history/otlp-push.js';

const definitions = readConnectorDefinitions(join(import.meta.dirname, '..', '..', 'collector', 'config.yaml'));
const HOUR = 3_600_000;
const T = 480_000 * HOUR;

interface Written {
  name: string;
  startMs: number;
  timeMs: number;
  value: number;
}

/** Collects what writeHistoryPoints sends, with a histogram reduced to its count. */
class MemorySink implements PointSink {
  readonly points: Written[] = [];
  counter(name: string, _series: CounterSeries, startMs: number, timeMs: number, value: number): void {
    this.points.push({ name, startMs, timeMs, value });
  }
  histogram(name: string, _unit: string, _description: string, _series: HistogramSeries | DeltaSeries, startMs: number, timeMs: number, point: BucketPoint): void {
    this.points.push({ name, startMs, timeMs, value: point.count });
  }
  delta(series: DeltaSeries, startMs: number, timeMs: number, point: BucketPoint): void {
    this.points.push({ name: series.definition.name, startMs, timeMs, value: point.sum });
  }
  flushIfFull(): Promise<void> {
    return Promise.resolve();
  }
  flush(): Promise<void> {
    return Promise.resolve();
  }
}

async function pointsFor(spanEnds: number[], lastStep: number, attributes: Record<string, number> = {}): Promise<Written[]> {
  const aggregator = new HistoryAggregator({ definitions, stepMs: HOUR, notAfterMs: lastStep * HOUR });
  const tracer = new TracerProvider({ resource: resourceFromAttributes({ 'service.name': 'svc' }), spanProcessors: [aggregator] }).getTracer('test');
  for (const end of spanEnds) tracer.startSpan('factory.outcome', { startTime: end - 1000, attributes }).end(end);
  const sink = new MemorySink();
  await writeHistoryPoints({ definitions, series: aggregator.snapshot(), stepMs: HOUR, firstStep: aggregator.stepRange()!.first, lastStep }, sink);
  return sink.points;
}

describe('writeHistoryPoints', () => {
  it('starts a counter with a zero 1 ms early', async () => {
    const points = (await pointsFor([T - 10], T / HOUR)).filter((point) => point.name === 'factory.span.calls');
    expect(points).toEqual([
      { name: 'factory.span.calls', startMs: T - 1, timeMs: T - 1, value: 0 },
      { name: 'factory.span.calls', startMs: T - 1, timeMs: T, value: 1 },
    ]);
  });

  it('writes every step until the last and a copy before each change', async () => {
    const points = (await pointsFor([T - 10, T + 2 * HOUR], T / HOUR + 3)).filter((point) => point.name === 'factory.span.calls');
    expect(points.map((point) => [point.timeMs - T, point.value])).toEqual([
      [-1, 0],
      [0, 1],
      [HOUR, 1],
      [2 * HOUR - 1, 1],
      [2 * HOUR, 2],
      [3 * HOUR, 2],
    ]);
    expect(new Set(points.map((point) => point.startMs))).toEqual(new Set([T - 1]));
  });

  it('writes histograms with the same sampling', async () => {
    const points = (await pointsFor([T - 10, T + HOUR], T / HOUR + 1)).filter((point) => point.name === 'factory.span.duration');
    expect(points.map((point) => [point.timeMs - T, point.value])).toEqual([
      [-1, 0],
      [0, 1],
      [HOUR - 1, 1],
      [HOUR, 2],
    ]);
  });

  it('writes deltas only in steps with spans', async () => {
    const points = (await pointsFor([T - 10, T + 2 * HOUR], T / HOUR + 3, { 'factory.outcome.cost_usd': 0.5 })).filter((point) => point.name === 'factory.run.cost_usd');
    expect(points).toEqual([
      { name: 'factory.run.cost_usd', startMs: T - HOUR, timeMs: T, value: 0.5 },
      { name: 'factory.run.cost_usd', startMs: T + HOUR, timeMs: T + 2 * HOUR, value: 0.5 },
    ]);
  });
});
