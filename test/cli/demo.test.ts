import { afterEach, describe, expect, it, vi } from 'vitest';

import { demoExportTargets, parseDemoArgs, runDemoCommand } from '../../cli/commands/demo.js';
import { captureOutput } from './capture-output.js';
import { startFakeBackend, type FakeBackend } from './fake-backend.js';


const backends: FakeBackend[] = [];
async function backend(options: Parameters<typeof startFakeBackend>[0] = {}): Promise<FakeBackend> {
  const started = await startFakeBackend(options);
  backends.push(started);
  return started;
}

afterEach(async () => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  await Promise.all(backends.splice(0).map((started) => started.close()));
});

describe('parseDemoArgs', () => {
  it('applies the defaults', () => {
    expect(parseDemoArgs([])).toEqual({ runs: 300, seed: 1, noStack: false });
  });

  it('reads --runs, --seed and --no-stack', () => {
    expect(parseDemoArgs(['--runs', '100000', '--seed', '42', '--no-stack'])).toEqual({ runs: 100_000, seed: 42, noStack: true });
    expect(parseDemoArgs(['--runs=1'])).toEqual({ runs: 1, seed: 1, noStack: false });
  });

  it.each([['-5'], ['-0'], ['=-12']])('accepts the negative seed %s', (value) => {
    const args = value.startsWith('=') ? [`--seed${value}`] : ['--seed', value];
    expect(parseDemoArgs(args)).toEqual({ runs: 300, seed: Number(value.replace('=', '')), noStack: false });
  });

  it.each(['1e3', '0x10', '1.0', '0', '100001', '', ' 5', '+5', '-5', '-1e3'])('rejects --runs %j with the range', (value) => {
    const result = parseDemoArgs(['--runs', value]);
    expect(result).toEqual({ error: `invalid --runs ${JSON.stringify(value)}: expected an integer from 1 to 100000` });
  });

  it.each(['1e3', '0x10', '1.0', '-1.5', '', '--1', '99999999999999999999'])('rejects --seed %j', (value) => {
    const result = parseDemoArgs([`--seed=${value}`]);
    expect(result).toEqual({ error: `invalid --seed ${JSON.stringify(value)}: expected an integer (digits, optionally after a minus sign)` });
  });

  it('returns help for --help', () => {
    expect(parseDemoArgs(['--help'])).toBe('help');
  });

  it('passes on parseArgs errors', () => {
    const result = parseDemoArgs(['--verbose']);
    expect(result).toHaveProperty('error');
    expect((result as { error: string }).error).toContain("Unknown option '--verbose'");
  });
});

describe('runDemoCommand arguments', () => {
  it('reports a negative --runs as out of range with exit code 2', async () => {
    const output = captureOutput();
    expect(await runDemoCommand(['--runs', '-5'])).toBe(2);
    expect(output.stderr()).toContain('invalid --runs "-5": expected an integer from 1 to 100000');
    expect(output.stderr()).not.toContain('ambiguous');
  });
});

describe('demoExportTargets', () => {
  it('ignores the signal-specific endpoints and keeps the other settings', () => {
    const { target, metricsTarget, problems } = demoExportTargets('http://127.0.0.1:14318', {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://elsewhere.invalid:4318',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://elsewhere.invalid:4318/v1/traces',
      OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://elsewhere.invalid:4318/v1/metrics',
      OTEL_EXPORTER_OTLP_HEADERS: 'api-key=secret',
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
    });
    expect(problems).toEqual([]);
    expect(target.url).toBe('http://127.0.0.1:14318/v1/traces');
    expect(target.headers).toEqual({ 'api-key': 'secret' });
    expect(target.protocol).toBe('http/json');
    expect(metricsTarget.url).toBe('http://127.0.0.1:14318/v1/metrics');
  });

  it('reports a problem with a shared variable once', () => {
    const { problems } = demoExportTargets('http://127.0.0.1:14318', { OTEL_EXPORTER_OTLP_HEADERS: 'no-separator' });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('OTEL_EXPORTER_OTLP_HEADERS: entry 1 has no "key=value" form');
  });
});

describe('runDemoCommand --no-stack', () => {
  it('sends to OTEL_EXPORTER_OTLP_ENDPOINT even when the TRACES variant is set', async () => {
    const runs = 4;
    const collector = await backend({ resolvedRuns: () => runs });
    const decoy = await backend();
    vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', collector.url);
    vi.stubEnv('PROMETHEUS_URL', collector.url);
    vi.stubEnv('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', `${decoy.url}/v1/traces`);
    vi.stubEnv('OTEL_EXPORTER_OTLP_METRICS_ENDPOINT', `${decoy.url}/v1/metrics`);
    const output = captureOutput();

    const code = await runDemoCommand(['--no-stack', '--runs', String(runs)]);

    expect(output.stderr()).toContain(`recording ${runs} simulated runs to ${collector.url}/v1/traces\n`);
    expect(code, output.stderr()).toBe(0);
    expect(collector.otlpRequests).toContain('/v1/traces');
    expect(decoy.otlpRequests).toEqual([]);
    expect(output.stdout()).toContain('runs resolved (7d)');
  });

  it('rejects an invalid OTEL_EXPORTER_OTLP_ENDPOINT with exit code 2', async () => {
    vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', '127.0.0.1:4318');
    vi.stubEnv('PROMETHEUS_URL', 'http://127.0.0.1:9090');
    const output = captureOutput();
    expect(await runDemoCommand(['--no-stack'])).toBe(2);
    expect(output.stderr()).toContain('invalid OTEL_EXPORTER_OTLP_ENDPOINT "127.0.0.1:4318"');
  });

  it('rejects --embedded with --no-stack', async () => {
    const output = captureOutput();
    expect(await runDemoCommand(['--embedded', '--no-stack'])).toBe(2);
    expect(output.stderr()).toContain('give either --embedded or --no-stack, not both');
  });

  it('names no demo path before rejecting a flag', async () => {
    const output = captureOutput();
    expect(await runDemoCommand(['--stack', '--runs', 'abc'])).toBe(2);
    expect(output.stderr()).not.toContain('demo path:');
    expect(output.stderr()).toContain('invalid --runs "abc"');
  });

  it('rejects an invalid PROMETHEUS_URL with exit code 2', async () => {
    vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', 'http://127.0.0.1:4318');
    vi.stubEnv('PROMETHEUS_URL', 'not-a-url');
    const output = captureOutput();
    expect(await runDemoCommand(['--no-stack'])).toBe(2);
    expect(output.stderr()).toContain('invalid PROMETHEUS_URL "not-a-url": expected Prometheus\'s base URL');
  });

  it('fails at once when no span reached the collector', async () => {
    const collector = await backend({ tracesStatus: 400, resolvedRuns: () => 0 });
    vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', collector.url);
    vi.stubEnv('PROMETHEUS_URL', collector.url);
    const output = captureOutput();
    const started = Date.now();

    const code = await runDemoCommand(['--no-stack', '--runs', '3']);

    expect(code).toBe(1);
    expect(output.stderr()).toMatch(new RegExp(`no spans reached the collector at ${collector.url}/v1/traces \\(\\d+ failed, 0 pending\\)`));
    expect(output.stderr()).not.toContain('waiting for Prometheus');
    expect(Date.now() - started).toBeLessThan(20_000);
  });
});
