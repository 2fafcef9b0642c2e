import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryInstant, waitUntil } from '../../cli/prometheus.js';
import { startTestStack } from './stack.js';

const DIST = join(import.meta.dirname, '..', '..', 'dist', 'examples');
const run = promisify(execFile);

describe('the examples against the real collector and Prometheus', () => {
  let stack: Awaited<ReturnType<typeof startTestStack>>;
  let harness: { stdout: string; stderr: string };
  let ciStep: { stdout: string; stderr: string };

  beforeAll(async () => {
    stack = await startTestStack('examples');
    const env = { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: stack.info.otlpHttpEndpoint, RUN_ID: 'example-run-1' };
    harness = await run(process.execPath, [join(DIST, 'agent-harness.js')], { env });

    const log = join(tmpdir(), `factory-telemetry-ci-${process.pid}.log`);
    writeFileSync(log, 'FAILED tests/test_refund.py::test_refund_cap - AssertionError: assert 100 == 500\n1 failed, 3 passed in 0.52s\n');
    ciStep = await run(process.execPath, [join(DIST, 'ci-step.js')], {
      env: { ...env, ATTEMPT: '3', CI_RESULT: 'failure', CI_OUTPUT_FILE: log, GITHUB_REPOSITORY: 'acme/payments' },
    });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('runs the agent harness loop to a passing attempt', () => {
    expect(harness.stdout.trim()).toBe('example-run-1 passed');
    expect(harness.stderr).toBe('');
  });

  it('runs the CI step without a problem', () => {
    expect(ciStep.stderr).toBe('');
  });

  it('delivers the harness spans with the retry facts', async () => {
    const query = 'sum by (span_name, factory_failure_repeated, factory_attempt_trigger) (factory_span_calls_total{service_name=~"example-.*"})';
    const expected = {
      'factory.run repeated=- trigger=-': 1,
      'factory.context repeated=- trigger=-': 1,
      'factory.execution repeated=- trigger=-': 1,
      'factory.attempt repeated=- trigger=initial': 1,
      'factory.attempt repeated=false trigger=ci_failure': 1,
      // Attempt 1 of the harness, and attempt 3 from the CI step, whose process
      // does not know the previous attempt's result.
      'factory.verification repeated=- trigger=-': 2,
      'factory.verification repeated=false trigger=-': 1,
    };
    let series: Record<string, number> = {};
    await waitUntil(async () => {
      const samples = await queryInstant(stack.info.prometheusUrl, query);
      series = Object.fromEntries(
        samples.map((s) => [`${s.labels.span_name} repeated=${s.labels.factory_failure_repeated ?? '-'} trigger=${s.labels.factory_attempt_trigger ?? '-'}`, s.value]),
      );
      // span_metrics exports a new series as 0 first, so wait for the counts.
      return JSON.stringify(series, Object.keys(expected).sort()) === JSON.stringify(expected, Object.keys(expected).sort());
    }, 60_000);
    expect(series).toEqual(expected);
  });
});
