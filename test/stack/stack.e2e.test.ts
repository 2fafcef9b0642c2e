// Starts the real collector and Prometheus on free 127.0.0.1 ports. The first run
// builds both from Go modules, which takes minutes. Later runs reuse the cached binaries.
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { getStackStatus, runStackCommand, startStack, stopStack, type StackInfo, type StackPorts } from '../../cli/stack/index.js';
import { isProcessRunning, readCommandLine } from '../../cli/stack/processes.js';
import { PORT_NAMES, PORT_SPECS } from '../../cli/stack/ports.js';

/** Returns five distinct ports that were free a moment ago. */
async function freePorts(): Promise<StackPorts> {
  const servers: Server[] = [];
  const ports: number[] = [];
  for (let i = 0; i < PORT_NAMES.length; i++) {
    const server = createServer();
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    servers.push(server);
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no TCP address');
    ports.push(address.port);
  }
  await Promise.all(servers.map((server) => new Promise((done) => server.close(done))));
  return Object.fromEntries(PORT_NAMES.map((name, i) => [name, ports[i]])) as unknown as StackPorts;
}

/** Polls `probe` every 500 ms until it returns a value other than undefined. */
async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await sleep(500);
  }
  throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}.`);
}

interface QueryResult {
  metric: Record<string, string>;
  value: [number, string];
}

async function queryPrometheus(baseUrl: string, query: string): Promise<QueryResult[]> {
  const response = await fetch(`${baseUrl}/api/v1/query?query=${encodeURIComponent(query)}`);
  const body = (await response.json()) as { status: string; data: { result: QueryResult[] } };
  expect(body.status).toBe('success');
  return body.data.result;
}

/** Builds an OTLP/JSON trace with one finished factory.run span. */
function oneSpanTrace(repository: string): unknown {
  const endNanos = BigInt(Date.now()) * 1_000_000n;
  const startNanos = endNanos - 90_000_000_000n;
  return {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'stack-e2e' } }] },
        scopeSpans: [
          {
            scope: { name: 'stack-e2e' },
            spans: [
              {
                traceId: randomBytes(16).toString('hex'),
                spanId: randomBytes(8).toString('hex'),
                name: 'factory.run',
                kind: 1,
                startTimeUnixNano: startNanos.toString(),
                endTimeUnixNano: endNanos.toString(),
                attributes: [{ key: 'vcs.repository.name', value: { stringValue: repository } }],
                status: { code: 1 },
              },
            ],
          },
        ],
      },
    ],
  };
}

describe('local stack', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'stack-e2e-'));
  const progress: string[] = [];
  let ports: StackPorts;
  let info: StackInfo;

  beforeAll(async () => {
    ports = await freePorts();
    info = await startStack({ stateDir, ports, interval: '2s', log: (message) => progress.push(message) });
  });

  afterAll(async () => {
    await stopStack({ stateDir });
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('returns 127.0.0.1 endpoints on the requested ports', () => {
    expect(info.otlpHttpEndpoint).toBe(`http://127.0.0.1:${ports.otlpHttp}`);
    expect(info.prometheusUrl).toBe(`http://127.0.0.1:${ports.prometheus}`);
    expect(info.interval).toBe('2s');
  });

  it('collector health check returns 200', async () => {
    const response = await fetch(info.collectorHealthUrl);
    expect(response.status).toBe(200);
  });

  it('Prometheus reports ready', async () => {
    const response = await fetch(`${info.prometheusUrl}/-/ready`);
    expect(response.status).toBe(200);
  });

  it('Prometheus runs the generated config', () => {
    const args = readCommandLine(info.pids.prometheus);
    expect(args).toContain(`--config.file=${join(stateDir, 'prometheus.yml')}`);
    expect(readFileSync(join(stateDir, 'prometheus.yml'), 'utf8')).toContain(`127.0.0.1:${ports.collectorTelemetry}`);
  });

  it('Prometheus loads the repository rules', async () => {
    const response = await fetch(`${info.prometheusUrl}/api/v1/rules`);
    const body = (await response.json()) as { data: { groups: { file: string }[] } };
    const rulesDir = join(resolve(import.meta.dirname, '..', '..'), 'prometheus', 'rules');
    expect(body.data.groups.length).toBeGreaterThan(0);
    for (const group of body.data.groups) expect(group.file.startsWith(`${rulesDir}/`)).toBe(true);
  });

  it('Prometheus scrapes the collector telemetry', async () => {
    const up = await eventually(
      async () => (await queryPrometheus(info.prometheusUrl, 'up{job="otel-collector"}'))[0],
      30_000,
      'a scrape of the collector telemetry',
    );
    expect(up.value[1]).toBe('1');
  });

  it('turns a span into factory_span_calls_total', async () => {
    const repository = `e2e-${randomBytes(4).toString('hex')}`;
    const response = await fetch(`${info.otlpHttpEndpoint}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(oneSpanTrace(repository)),
    });
    expect(response.status).toBe(200);

    // The series reads 0 before it reads 1. Prometheus writes a 0 sample at the counter's
    // start time (created-timestamp-zero-ingestion), and the span_metrics connector of
    // collector 0.165.0 exports 0 at a new series' first flush and the count one flush later.
    const query = `factory_span_calls_total{vcs_repository_name="${repository}", span_name="factory.run"} == 1`;
    const series = await eventually(
      async () => (await queryPrometheus(info.prometheusUrl, query))[0],
      30_000,
      `${query} in Prometheus`,
    );
    expect(series.metric.job).toBe('stack-e2e');
  });

  it('status reports both services running', () => {
    const status = getStackStatus({ stateDir });
    expect(status.services.map((service) => service.running)).toEqual([true, true]);
    expect(status.info?.prometheusUrl).toBe(info.prometheusUrl);
  });

  it('rejects a second up in the same state dir', async () => {
    await expect(startStack({ stateDir, ports, log: () => {} })).rejects.toThrow('already running');
  });

  it('down stops both services and can run twice', async () => {
    await stopStack({ stateDir, log: () => {} });
    expect(isProcessRunning(info.pids.collector, 'otelcol-factory')).toBe(false);
    expect(isProcessRunning(info.pids.prometheus, 'prometheus')).toBe(false);
    expect(existsSync(join(stateDir, 'collector.pid'))).toBe(false);
    expect(existsSync(join(stateDir, 'prometheus.pid'))).toBe(false);

    await expect(stopStack({ stateDir, log: () => {} })).resolves.toBeUndefined();
    expect(getStackStatus({ stateDir }).services.every((service) => !service.running)).toBe(true);
  });
});

describe('stack command', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'stack-cli-e2e-'));

  afterAll(async () => {
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    await runStackCommand(['down', '--state-dir', stateDir]);
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('up prints exactly the two endpoint lines', async () => {
    const ports = await freePorts();
    for (const name of PORT_NAMES) vi.stubEnv(PORT_SPECS[name].envVar, String(ports[name]));
    const stdout: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      stdout.push(String(chunk));
      return true;
    });
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);

    const code = await runStackCommand(['up', '--state-dir', stateDir, '--interval', '2s']);
    write.mockRestore();
    stderr.mockRestore();

    expect(code).toBe(0);
    expect(stdout.join('')).toBe(
      `OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:${ports.otlpHttp}\n` +
        `PROMETHEUS_URL=http://127.0.0.1:${ports.prometheus}\n`,
    );
  });

  it('status exits 0 while running and 1 after down', async () => {
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    expect(await runStackCommand(['status', '--state-dir', stateDir])).toBe(0);
    expect(await runStackCommand(['down', '--state-dir', stateDir])).toBe(0);
    expect(await runStackCommand(['status', '--state-dir', stateDir])).toBe(1);
    vi.restoreAllMocks();
  });
});

describe('stack startup failure', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'stack-failure-e2e-'));
  const repoRoot = join(scratch, 'repo');
  const stateDir = join(scratch, 'state');

  afterAll(async () => {
    await stopStack({ stateDir, repoRoot, log: () => {} });
    rmSync(scratch, { recursive: true, force: true });
  });

  it('stops the collector when Prometheus exits', async () => {
    // A copy of the repository with an invalid Prometheus config, because the scrape
    // timeout must not exceed the scrape interval.
    const sourceRoot = resolve(import.meta.dirname, '..', '..');
    for (const entry of ['collector', 'prometheus/build.sh', 'docker-compose.yml']) {
      cpSync(join(sourceRoot, entry), join(repoRoot, entry), { recursive: true });
    }
    mkdirSync(join(repoRoot, 'prometheus', 'rules'), { recursive: true });
    writeFileSync(join(repoRoot, 'prometheus', 'prometheus.yml'), 'global:\n  scrape_timeout: 1h\n');

    const ports = await freePorts();
    const error = await startStack({ repoRoot, stateDir, ports, interval: '2s', log: () => {} }).then(
      () => undefined,
      (caught: Error) => caught,
    );
    expect(error?.message).toContain('prometheus exited during startup');
    expect(error?.message).toContain(join(stateDir, 'prometheus.log'));
    expect(existsSync(join(stateDir, 'collector.log'))).toBe(true);

    const status = getStackStatus({ stateDir, repoRoot });
    expect(status.services.map((service) => service.running)).toEqual([false, false]);
    expect(existsSync(join(stateDir, 'collector.pid'))).toBe(false);
    expect(existsSync(join(stateDir, 'stack.json'))).toBe(false);
  });
});
