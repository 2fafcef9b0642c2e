/**
 * Spans survive the end of a short-lived process: child processes record spans through
 * ExitSafeSpanProcessor and then return, call process.exit, throw, reject or receive a
 * signal, and a receiver on 127.0.0.1 counts what arrives.
 *
 * How the child runs: Node.js 20 cannot run TypeScript by itself and no TypeScript
 * loader is installed, so beforeAll compiles fixtures/record-spans.ts and the SDK
 * files it imports with the project's tsc into a temporary directory. That directory
 * gets a package.json with "type": "module" and a node_modules symlink to this
 * repository's, and the child runs the compiled JavaScript under plain `node`. This
 * also covers the export worker started from compiled JavaScript, while
 * processor.test.ts covers it started from TypeScript source under vitest.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import {
  acceptAll,
  metricValue,
  type OtlpReceiver,
  type ReceiverOptions,
  type Responder,
  startOtlpReceiver,
} from './otlp-receiver.js';

const repositoryRoot = join(import.meta.dirname, '..', '..', '..');
let buildDirectory = '';
let fixtureScript = '';

beforeAll(() => {
  buildDirectory = mkdtempSync(join(tmpdir(), 'factory-telemetry-export-fixture-'));
  execFileSync(
    process.execPath,
    [
      join(repositoryRoot, 'node_modules', 'typescript', 'bin', 'tsc'),
      '--outDir', buildDirectory,
      '--rootDir', repositoryRoot,
      '--module', 'NodeNext',
      '--moduleResolution', 'NodeNext',
      '--target', 'ES2022',
      '--types', 'node',
      '--strict',
      '--skipLibCheck',
      join(repositoryRoot, 'test', 'sdk', 'export', 'fixtures', 'record-spans.ts'),
    ],
    { cwd: repositoryRoot, stdio: 'pipe' },
  );
  writeFileSync(join(buildDirectory, 'package.json'), '{ "type": "module" }\n');
  symlinkSync(join(repositoryRoot, 'node_modules'), join(buildDirectory, 'node_modules'), 'dir');
  fixtureScript = join(buildDirectory, 'test', 'sdk', 'export', 'fixtures', 'record-spans.js');
}, 120_000);

afterAll(() => {
  if (buildDirectory !== '') {
    rmSync(buildDirectory, { recursive: true, force: true });
  }
});

const receivers: OtlpReceiver[] = [];

afterEach(async () => {
  for (const receiver of receivers.splice(0)) {
    await receiver.close();
  }
});

async function receiverAnswering(responder: Responder = acceptAll, options: ReceiverOptions = {}): Promise<OtlpReceiver> {
  const receiver = await startOtlpReceiver(responder, undefined, options);
  receivers.push(receiver);
  return receiver;
}

/** Points the fixture's trace and metrics export at `receiver`. */
function endpointsOf(receiver: OtlpReceiver): Record<string, string> {
  return {
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: receiver.url,
    OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: receiver.metricsUrl,
  };
}

interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  durationMillis: number;
}

/** Upper limit for one child run, so that a hanging child fails the test instead of blocking it. */
const CHILD_TIME_LIMIT_MILLIS = 30_000;

/**
 * Runs the compiled fixture with only the given variables (plus PATH), so that OTEL_*
 * settings of the test environment cannot leak in. Sends `signal` once the child
 * prints "ready".
 */
function runFixture(variables: Record<string, string>, signal?: NodeJS.Signals): Promise<ChildResult> {
  if (variables.FIXTURE_SDK !== 'off' && variables.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT === undefined) {
    // Without it the self-metrics would go to the default http://localhost:4318.
    throw new Error('runFixture needs OTEL_EXPORTER_OTLP_METRICS_ENDPOINT, for example from endpointsOf(receiver)');
  }
  return new Promise((resolve, reject) => {
    const startedAt = Date.now();
    const child = spawn(process.execPath, [fixtureScript], {
      env: { PATH: process.env.PATH ?? '', ...variables },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let signalSent = false;
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (signal !== undefined && !signalSent && stdout.includes('ready')) {
        signalSent = true;
        child.kill(signal);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const limit = setTimeout(() => child.kill('SIGKILL'), CHILD_TIME_LIMIT_MILLIS);
    child.on('error', reject);
    child.on('close', (code, exitSignal) => {
      clearTimeout(limit);
      resolve({ code, signal: exitSignal, stdout, stderr, durationMillis: Date.now() - startedAt });
    });
  });
}

interface ExitCase {
  name: string;
  mode: string;
  signal?: NodeJS.Signals;
  expectedCode: number | null;
  expectedSignal: NodeJS.Signals | null;
  /** Extra fixture variables. */
  variables?: Record<string, string>;
}

// A scheduled delay of 60 s keeps the spans queued until the signal arrives, so the
// signal handling has to deliver them.
const exitCases: ExitCase[] = [
  { name: 'return', mode: 'return', expectedCode: 0, expectedSignal: null },
  { name: 'process.exit(3) after 100 ms', mode: 'exit-later', expectedCode: 3, expectedSignal: null },
  { name: 'process.exit(0) at once', mode: 'exit-now', expectedCode: 0, expectedSignal: null },
  { name: 'uncaught exception', mode: 'throw', expectedCode: 1, expectedSignal: null },
  { name: 'unhandled rejection', mode: 'reject', expectedCode: 1, expectedSignal: null },
  {
    name: 'SIGTERM',
    mode: 'wait-for-signal',
    signal: 'SIGTERM',
    expectedCode: null,
    expectedSignal: 'SIGTERM',
    variables: { FIXTURE_SCHEDULED_DELAY_MILLIS: '60000' },
  },
  {
    name: 'SIGINT',
    mode: 'wait-for-signal',
    signal: 'SIGINT',
    expectedCode: null,
    expectedSignal: 'SIGINT',
    variables: { FIXTURE_SCHEDULED_DELAY_MILLIS: '60000' },
  },
  {
    name: 'SIGTERM with signal-exit loaded first',
    mode: 'wait-for-signal',
    signal: 'SIGTERM',
    expectedCode: null,
    expectedSignal: 'SIGTERM',
    variables: { FIXTURE_SCHEDULED_DELAY_MILLIS: '60000', FIXTURE_SIGNAL_EXIT: 'before' },
  },
  {
    name: 'SIGINT with signal-exit loaded last',
    mode: 'wait-for-signal',
    signal: 'SIGINT',
    expectedCode: null,
    expectedSignal: 'SIGINT',
    variables: { FIXTURE_SCHEDULED_DELAY_MILLIS: '60000', FIXTURE_SIGNAL_EXIT: 'after' },
  },
  {
    name: 'SIGTERM with host listener',
    mode: 'host-signal-listener',
    signal: 'SIGTERM',
    expectedCode: 42,
    expectedSignal: null,
    variables: { FIXTURE_SCHEDULED_DELAY_MILLIS: '60000' },
  },
];

const SPAN_COUNT = 20;

describe.each(['http/json', 'http/protobuf'])('process end with %s', (protocol) => {
  it.each(exitCases)('$name delivers every span once', async (exitCase) => {
    const receiver = await receiverAnswering();
    const variables = {
      FIXTURE_MODE: exitCase.mode,
      FIXTURE_SPANS: String(SPAN_COUNT),
      ...endpointsOf(receiver),
      OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
      ...exitCase.variables,
    };

    const withoutSdk = await runFixture({ ...variables, FIXTURE_SDK: 'off' }, exitCase.signal);
    const withSdk = await runFixture(variables, exitCase.signal);

    expect(withoutSdk.code).toBe(exitCase.expectedCode);
    expect(withoutSdk.signal).toBe(exitCase.expectedSignal);
    expect(withSdk.code).toBe(withoutSdk.code);
    expect(withSdk.signal).toBe(withoutSdk.signal);
    expect(withSdk.stdout).toBe(withoutSdk.stdout);
    expect(withSdk.stderr).not.toContain('export error');
    expect(withSdk.stderr).not.toContain('not delivered');
    expect(receiver.spanIds()).toHaveLength(SPAN_COUNT);
    expect(new Set(receiver.spanIds()).size).toBe(SPAN_COUNT);
  }, 60_000);
});

describe('process end edge cases', () => {
  it('keeps the uncaught exception output', async () => {
    const receiver = await receiverAnswering();
    const result = await runFixture({ FIXTURE_MODE: 'throw', ...endpointsOf(receiver) });

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Error: fixture failure');
    expect(receiver.spanIds()).toHaveLength(10);
  }, 60_000);

  it('stays alive while shutdown is awaited', async () => {
    const receiver = await receiverAnswering();
    const result = await runFixture({
      FIXTURE_MODE: 'await-shutdown',
      FIXTURE_SCHEDULED_DELAY_MILLIS: '60000',
      ...endpointsOf(receiver),
    });

    expect(result.code).toBe(0);
    expect(result.stdout).toBe('shutdown done\n');
    expect(result.stderr).toBe('');
    expect(receiver.spanIds()).toHaveLength(10);
  }, 60_000);

  it('delivers many batches at process.exit', async () => {
    const receiver = await receiverAnswering();
    const result = await runFixture({
      FIXTURE_MODE: 'exit-now',
      FIXTURE_SPANS: '3000',
      ...endpointsOf(receiver),
      OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip',
    });

    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(receiver.requests.length).toBeGreaterThanOrEqual(6);
    expect(receiver.spanIds()).toHaveLength(3000);
    expect(new Set(receiver.spanIds()).size).toBe(3000);
  }, 60_000);

  it('flushes every processor on SIGTERM', async () => {
    const receiver = await receiverAnswering();
    const result = await runFixture(
      {
        FIXTURE_MODE: 'wait-for-signal',
        FIXTURE_PROVIDERS: '3',
        FIXTURE_SCHEDULED_DELAY_MILLIS: '60000',
        ...endpointsOf(receiver),
      },
      'SIGTERM',
    );

    expect(result.signal).toBe('SIGTERM');
    expect(receiver.spanIds()).toHaveLength(30);
    expect(new Set(receiver.spanIds()).size).toBe(30);
  }, 60_000);

  it('retries 503 responses at exit', async () => {
    const receiver = await receiverAnswering((index, request) => (index < 2 ? { status: 503 } : acceptAll(index, request)));
    const result = await runFixture({ FIXTURE_MODE: 'exit-now', ...endpointsOf(receiver) });

    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(receiver.requests).toHaveLength(3);
    expect(receiver.requests[2]?.spans).toHaveLength(10);
  }, 60_000);

  it('reports a 400 response at exit', async () => {
    const receiver = await receiverAnswering(() => ({ status: 400, body: 'malformed request' }));
    const result = await runFixture({ FIXTURE_MODE: 'exit-now', FIXTURE_RUNS: '2', ...endpointsOf(receiver) });

    expect(result.code).toBe(0);
    expect(result.stderr).toContain('export error: OTLP export of 10 spans');
    expect(result.stderr).toContain('HTTP 400');
    expect(result.stderr).toContain('malformed request');
    expect(result.stderr).toContain('Affected runs (factory.run.id): fixture-run-0, fixture-run-1.');
    expect(result.stderr).not.toContain('not delivered');
    expect(receiver.requests).toHaveLength(1);
    const finalMetrics = receiver.metricsRequests.at(-1);
    expect(metricValue(finalMetrics, 'factory.sdk.spans.failed', { 'error.type': '400' })).toBe(10);
  }, 60_000);

  it('delivers over HTTPS at process.exit', async () => {
    // A self-signed certificate for 127.0.0.1, trusted by the child through NODE_EXTRA_CA_CERTS.
    const keyFile = join(buildDirectory, 'receiver-key.pem');
    const certFile = join(buildDirectory, 'receiver-cert.pem');
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
        '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', keyFile, '-out', certFile],
      { stdio: 'pipe' },
    );
    const receiver = await startOtlpReceiver(acceptAll, { key: readFileSync(keyFile, 'utf8'), cert: readFileSync(certFile, 'utf8') });
    receivers.push(receiver);

    const result = await runFixture({
      FIXTURE_MODE: 'exit-now',
      ...endpointsOf(receiver),
      NODE_EXTRA_CA_CERTS: certFile,
    });

    expect(receiver.url.startsWith('https://')).toBe(true);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(receiver.spanIds()).toHaveLength(10);
  }, 60_000);

  it('exits within the exit timeout when the collector never answers', async () => {
    const receiver = await receiverAnswering(() => 'hang');
    const exitTimeoutMillis = 1_000;
    const result = await runFixture({
      FIXTURE_MODE: 'exit-later',
      FIXTURE_EXIT_TIMEOUT_MILLIS: String(exitTimeoutMillis),
      ...endpointsOf(receiver),
    });

    expect(result.code).toBe(3);
    // Generous margin for starting Node.js and the worker thread on a loaded machine.
    expect(result.durationMillis).toBeLessThan(exitTimeoutMillis + 10_000);
    expect(result.stderr).toContain(
      `factory-telemetry: 10 spans were not delivered to ${receiver.url} within exitTimeoutMillis (1000 ms) and are lost`,
    );
    expect(receiver.requests).toHaveLength(1);
  }, 60_000);

  it('delivers every span when process.exit runs in a finally block', async () => {
    const receiver = await receiverAnswering();
    const variables = { FIXTURE_MODE: 'exit-in-finally', ...endpointsOf(receiver) };

    const withoutSdk = await runFixture({ ...variables, FIXTURE_SDK: 'off' });
    const withSdk = await runFixture(variables);

    expect(withoutSdk.code).toBe(0);
    expect(withSdk.code).toBe(0);
    expect(withSdk.stderr).toBe(withoutSdk.stderr);
    expect(receiver.spanIds()).toHaveLength(10);
    expect(new Set(receiver.spanIds()).size).toBe(10);
    expect(metricValue(receiver.metricsRequests.at(-1), 'factory.sdk.spans.exported')).toBe(10);
  }, 60_000);
});

describe.each(['http/json', 'http/protobuf'])('self-metrics at exit with %s', (protocol) => {
  it('reports the final counts after process.exit', async () => {
    const receiver = await receiverAnswering();
    const startedAt = BigInt(Date.now()) * 1_000_000n;
    const result = await runFixture({
      FIXTURE_MODE: 'exit-now',
      FIXTURE_SPANS: '25',
      OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
      ...endpointsOf(receiver),
    });

    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(receiver.spanIds()).toHaveLength(25);
    expect(receiver.metricsRequests).toHaveLength(1);
    const metrics = receiver.metricsRequests[0];
    expect(metrics?.headers['content-type']).toBe(protocol === 'http/json' ? 'application/json' : 'application/x-protobuf');
    expect(metrics?.resourceAttributes['service.name']).toBe('exit-fixture');
    expect(metricValue(metrics, 'factory.sdk.spans.exported')).toBe(25);
    expect(metricValue(metrics, 'factory.sdk.spans.dropped')).toBe(0);
    expect(metrics?.metrics.map((metric) => metric.name)).not.toContain('factory.sdk.spans.failed');
    const point = metrics?.metrics[0]?.dataPoints[0];
    expect(point?.startTimeUnixNano).toBeGreaterThanOrEqual(startedAt);
    expect(point?.timeUnixNano).toBeGreaterThanOrEqual(point?.startTimeUnixNano ?? 0n);
  }, 60_000);

  it('counts spans lost at the exit deadline', async () => {
    const receiver = await receiverAnswering(() => 'hang');
    const result = await runFixture({
      FIXTURE_MODE: 'exit-now',
      FIXTURE_RUNS: '3',
      FIXTURE_EXIT_TIMEOUT_MILLIS: '2000',
      OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
      ...endpointsOf(receiver),
    });

    expect(result.code).toBe(0);
    expect(result.durationMillis).toBeLessThan(2_000 + 10_000);
    expect(result.stderr).toContain(
      `factory-telemetry: 10 spans were not delivered to ${receiver.url} within exitTimeoutMillis (2000 ms) and are lost. ` +
        'Affected runs (factory.run.id): fixture-run-0, fixture-run-1, fixture-run-2.',
    );
    expect(receiver.metricsRequests).toHaveLength(1);
    const metrics = receiver.metricsRequests[0];
    expect(metricValue(metrics, 'factory.sdk.spans.exported')).toBe(0);
    expect(metricValue(metrics, 'factory.sdk.spans.failed', { 'error.type': 'timeout' })).toBe(10);
  }, 60_000);
});
