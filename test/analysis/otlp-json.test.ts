import { describe, expect, it } from 'vitest';

import { emptyReadSummary, readOtlpJsonLines, type ReadProblem, type SpanRecord } from '../../analysis/index.js';

const TRACE = '5b8efff798038103d269b633813fc60c';

function line(spans: unknown[], resourceAttributes: unknown[] = [{ key: 'service.name', value: { stringValue: 'harness' } }]): string {
  return JSON.stringify({ resourceSpans: [{ resource: { attributes: resourceAttributes }, scopeSpans: [{ scope: { name: 'factory-telemetry' }, spans }] }] });
}

async function readAll(lines: string[], problems: ReadProblem[] = []): Promise<SpanRecord[]> {
  const spans: SpanRecord[] = [];
  for await (const span of readOtlpJsonLines(lines, { onProblem: (problem) => problems.push(problem) })) spans.push(span);
  return spans;
}

describe('readOtlpJsonLines', () => {
  it('decodes the collector JSON shape', async () => {
    const [span] = await readAll([
      line([
        {
          traceId: TRACE,
          spanId: 'EEE19B7EC3C1B174',
          parentSpanId: 'eee19b7ec3c1b173',
          name: 'factory.review',
          kind: 1,
          startTimeUnixNano: '1764576000000000000',
          endTimeUnixNano: '1764586800000000001',
          attributes: [
            { key: 'factory.run.id', value: { stringValue: 'run-1' } },
            { key: 'factory.review.rounds', value: { intValue: '2' } },
            { key: 'factory.review.human_modified', value: { boolValue: true } },
            { key: 'factory.attempt.cost_usd', value: { doubleValue: 0.25 } },
            { key: 'factory.context.sources', value: { arrayValue: { values: [{ stringValue: 'story' }] } } },
          ],
          status: { code: 2, message: 'failed' },
        },
      ]),
    ]);
    expect(span).toEqual({
      traceId: TRACE,
      spanId: 'eee19b7ec3c1b174',
      parentSpanId: 'eee19b7ec3c1b173',
      name: 'factory.review',
      startTimeUnixNano: 1764576000000000000n,
      endTimeUnixNano: 1764586800000000001n,
      status: 'error',
      attributes: {
        'factory.run.id': 'run-1',
        'factory.review.rounds': 2,
        'factory.review.human_modified': true,
        'factory.attempt.cost_usd': 0.25,
        'factory.context.sources': ['story'],
      },
      serviceName: 'harness',
    });
  });

  it('accepts numbers and enum names', async () => {
    const [span] = await readAll([
      line([{ traceId: TRACE, spanId: '0000000000000001', name: 'factory.outcome', startTimeUnixNano: 1000, endTimeUnixNano: 2000, attributes: [{ key: 'factory.outcome.attempts', value: { intValue: 3 } }], status: { code: 'STATUS_CODE_ERROR' } }]),
    ]);
    expect(span?.startTimeUnixNano).toBe(1000n);
    expect(span?.attributes['factory.outcome.attempts']).toBe(3);
    expect(span?.status).toBe('error');
  });

  it('skips and reports a broken line', async () => {
    const problems: ReadProblem[] = [];
    const good = line([{ traceId: TRACE, spanId: '0000000000000001', name: 'factory.run', startTimeUnixNano: '1', endTimeUnixNano: '2' }]);
    const spans = await readAll([good, '{"resourceSpans":[{"scope', '', good], problems);
    expect(spans).toHaveLength(2);
    expect(problems).toHaveLength(1);
    expect(problems[0]?.line).toBe(2);
    expect(problems[0]?.message).toContain('invalid JSON');
  });

  it('skips a span without ids or times', async () => {
    const problems: ReadProblem[] = [];
    const summary = emptyReadSummary();
    const spans: SpanRecord[] = [];
    const input = [line([
      { traceId: 'xyz', spanId: '0000000000000001', name: 'a', startTimeUnixNano: '1', endTimeUnixNano: '2' },
      { traceId: TRACE, spanId: '0000000000000001', name: 'b', startTimeUnixNano: '1' },
      { traceId: TRACE, spanId: '0000000000000001', name: 'c', startTimeUnixNano: '1', endTimeUnixNano: '2' },
    ])];
    for await (const span of readOtlpJsonLines(input, { onProblem: (problem) => problems.push(problem), summary })) spans.push(span);
    expect(spans.map((span) => span.name)).toEqual(['c']);
    expect(problems.map((problem) => problem.message)).toEqual([
      expect.stringContaining('invalid traceId "xyz"'),
      expect.stringContaining('span b'),
    ]);
    expect(summary).toEqual({ lines: 1, spans: 1, skippedLines: 0, skippedSpans: 2 });
  });

  it('rejects a line that is not a trace request', async () => {
    const problems: ReadProblem[] = [];
    expect(await readAll(['{"resourceMetrics":[]}'], problems)).toEqual([]);
    expect(problems[0]?.message).toContain('no resourceSpans array');
  });
});
