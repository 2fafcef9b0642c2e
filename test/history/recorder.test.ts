import { describe, expect, it } from 'vitest';

import { createHistoryRecorder } from '../../cli/history/recorder.js';
import { FactoryTelemetry } from '../../sdk/index.js';

describe('createHistoryRecorder', () => {
  it('feeds one history from several services', () => {
    const recorder = createHistoryRecorder({ prometheusUrl: 'http://127.0.0.1:1', serviceName: 'harness', end: new Date('2026-11-01T00:00:00Z') });
    const harness = new FactoryTelemetry({ tracerProvider: recorder.tracerProvider, strict: true });
    const webhook = new FactoryTelemetry({ tracerProvider: recorder.tracerProviderFor('webhook'), strict: true });

    const run = harness.startRun({ runId: 'run-1', repository: 'acme/api', model: 'm1', complexity: 'standard', startTime: Date.parse('2026-10-20T10:00:00Z') });
    run.end(Date.parse('2026-10-20T11:00:00Z'));
    webhook.resumeRun('run-1', { model: 'm1', complexity: 'standard' }).recordOutcome({ status: 'merged', at: Date.parse('2026-10-21T09:00:00Z'), attempts: 1, firstAttemptPassed: true, humanModified: false });

    const services = new Set(recorder.aggregator.snapshot().calls.map((series) => series.service));
    expect(services).toEqual(new Set(['harness', 'webhook']));
    expect([...recorder.aggregator.snapshot().resources.keys()].sort()).toEqual(['harness', 'webhook']);
  });

  it('leaves out spans after the end', () => {
    const recorder = createHistoryRecorder({ prometheusUrl: 'http://127.0.0.1:1', end: new Date('2026-11-01T00:30:00Z') });
    const telemetry = new FactoryTelemetry({ tracerProvider: recorder.tracerProvider, strict: true });
    // The end is rounded down to the 1-hour step, so 00:10 is already after it.
    telemetry.startRun({ runId: 'run-2', repository: 'acme/api', model: 'm1', complexity: 'standard', startTime: Date.parse('2026-10-31T23:00:00Z') }).end(Date.parse('2026-11-01T00:10:00Z'));
    expect(recorder.aggregator.stats()).toMatchObject({ spans: 0, spansAfterEnd: 1 });
  });
});
