import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryInstant, waitUntil } from '../../cli/prometheus.js';
import { startTestStack } from './stack.js';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'short-lived-harness.mjs');
const MODES = [
  { mode: 'exit-after-100ms', code: 0 },
  { mode: 'exit-now', code: 7 },
  { mode: 'uncaught-exception', code: 1 },
  { mode: 'return', code: 0 },
] as const;
const PROCESSES_PER_MODE = 5;

// Spans per run that the fixture records, by span name.
const SPANS_PER_RUN: Record<string, number> = {
  'factory.run': 1,
  'factory.context': 1,
  'factory.execution': 1,
  'factory.attempt': 2,
  'factory.verification': 2,
  'factory.review': 1,
  'factory.deployment': 1,
  'factory.outcome': 1,
};

describe('a short-lived harness process', () => {
  let stack: Awaited<ReturnType<typeof startTestStack>>;
  const exits: Array<{ mode: string; expected: number; code: number | null; stderr: string }> = [];

  beforeAll(async () => {
    stack = await startTestStack('short-lived');
    for (const { mode, code } of MODES) {
      for (let index = 0; index < PROCESSES_PER_MODE; index += 1) {
        const result = await runFixture({ RUN_ID: `${mode}-${index}`, EXIT_MODE: mode, OTEL_EXPORTER_OTLP_ENDPOINT: stack.info.otlpHttpEndpoint });
        exits.push({ mode, expected: code, ...result });
      }
    }
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('ends and delivers the spans a run left open at exit', async () => {
    for (let index = 0; index < 3; index += 1) {
      const result = await runFixture({
        RUN_ID: `interrupted-${index}`,
        EXIT_MODE: 'exit-mid-attempt',
        SERVICE_NAME: 'interrupted-harness',
        OTEL_EXPORTER_OTLP_ENDPOINT: stack.info.otlpHttpEndpoint,
      });
      expect(result.code).toBe(0);
      expect(result.stderr).toContain('marked factory.span.interrupted');
    }
    const expected = { 'factory.run': 3, 'factory.context': 3, 'factory.execution': 3, 'factory.attempt': 3 };
    let actual: Record<string, number> = {};
    await waitUntil(async () => {
      const samples = await queryInstant(stack.info.prometheusUrl, 'sum by (span_name) (factory_span_calls_total{service_name="interrupted-harness"})');
      actual = Object.fromEntries(samples.map((s) => [s.labels.span_name, s.value]));
      return JSON.stringify(actual, Object.keys(expected).sort()) === JSON.stringify(expected, Object.keys(expected).sort());
    }, 60_000);
    expect(actual).toEqual(expected);
  });

  it('keeps the exit code it would have without the SDK', () => {
    for (const exit of exits) expect(exit.code, exit.mode).toBe(exit.expected);
  });

  it('reports no problem on stderr', () => {
    for (const exit of exits) {
      if (exit.mode === 'uncaught-exception') {
        // Node prints the crash; the SDK must add nothing to it.
        expect(exit.stderr, exit.mode).toContain('crashed on purpose');
        expect(exit.stderr, exit.mode).not.toMatch(/factory-telemetry:|lost/i);
      } else {
        expect(exit.stderr, exit.mode).toBe('');
      }
    }
  });

  it('delivers every span of every run to Prometheus', async () => {
    const runs = MODES.length * PROCESSES_PER_MODE;
    const expected = Object.fromEntries(Object.entries(SPANS_PER_RUN).map(([name, perRun]) => [name, perRun * runs]));
    let actual: Record<string, number> = {};
    await waitUntil(async () => {
      const samples = await queryInstant(stack.info.prometheusUrl, 'sum by (span_name) (factory_span_calls_total{service_name="short-lived-harness"})');
      actual = Object.fromEntries(samples.map((s) => [s.labels.span_name, s.value]));
      return JSON.stringify(actual, Object.keys(expected).sort()) === JSON.stringify(expected, Object.keys(expected).sort());
    }, 60_000);
    expect(actual).toEqual(expected);
  });
});

function runFixture(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [FIXTURE], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}
