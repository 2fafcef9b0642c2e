// Starts docker-compose.yml (collector, Tempo, Prometheus, Grafana) through
// testcontainers, records demo runs through the SDK, and checks that Prometheus
// counts them and that Grafana is healthy with every dashboard provisioned.
//
// It needs a Docker engine on the local socket. Where none runs (as on the CI
// machines), the test is skipped with the reason, and testcontainers is never
// loaded, so no image is pulled.
//
// NOTE: the branch that starts containers has not run against an engine yet, so
// its wait strategies (container names, the collector's log line) are unverified.
// The stack publishes fixed ports (4317, 4318, 3000, 3200, 9090) that must be free.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

import type { StartedDockerComposeEnvironment } from 'testcontainers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { queryScalar, waitUntil } from '../../cli/prometheus.js';
import { BOARDS } from '../../dashboards/src/boards.js';
import { recordDemoRuns } from './demo-runs.js';

const REPO = join(import.meta.dirname, '..', '..');
const RUNS = 12;

// The ports that docker-compose.yml publishes on 127.0.0.1.
const OTLP_HTTP = 'http://127.0.0.1:4318';
const PROMETHEUS = 'http://127.0.0.1:9090';
const GRAFANA = 'http://127.0.0.1:3000';

const DEFAULT_SOCKET = '/var/run/docker.sock';

/**
 * Returns the local Docker socket to use, or the reason why this test cannot run.
 * Only a Unix socket on this machine is accepted: a DOCKER_HOST or a
 * ~/.testcontainers.properties that names a TCP, SSH or cloud host skips the test.
 */
function findLocalDocker(env: NodeJS.ProcessEnv = process.env): { socket: string } | { skip: string } {
  const dockerHost = env.DOCKER_HOST?.trim();
  if (dockerHost !== undefined && dockerHost !== '' && !dockerHost.startsWith('unix://')) {
    return { skip: `DOCKER_HOST=${dockerHost} is not a local Unix socket, and this test uses only the local Docker engine` };
  }
  const socket = dockerHost !== undefined && dockerHost !== '' ? dockerHost.slice('unix://'.length) : DEFAULT_SOCKET;
  if (!existsSync(socket)) {
    return { skip: `no Docker engine: the socket ${socket} does not exist` };
  }

  const properties = join(homedir(), '.testcontainers.properties');
  if (existsSync(properties) && /^\s*(tc\.host|docker\.host)\s*[=:]/m.test(readFileSync(properties, 'utf8'))) {
    return { skip: `${properties} sets tc.host or docker.host, and this test uses only the local Docker socket` };
  }

  const dockerEnv = { ...env, DOCKER_HOST: `unix://${socket}` };
  const info = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { env: dockerEnv, encoding: 'utf8', timeout: 20_000 });
  if (info.error !== undefined) {
    return { skip: `the docker command failed to run: ${info.error.message}` };
  }
  if (info.status !== 0) {
    const reason = info.stderr.trim().split('\n')[0] || `exit code ${info.status}`;
    return { skip: `no Docker engine answers on ${socket}: docker info failed: ${reason}` };
  }
  const compose = spawnSync('docker', ['compose', 'version'], { env: dockerEnv, encoding: 'utf8', timeout: 20_000 });
  if (compose.error !== undefined || compose.status !== 0) {
    return { skip: 'the Docker Compose plugin is missing: `docker compose version` failed' };
  }
  return { socket };
}

const docker = findLocalDocker();
const skipReason = 'skip' in docker ? docker.skip : undefined;
if (skipReason !== undefined) console.warn(`skipping the Docker Compose end-to-end test: ${skipReason}`);

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`GET ${url} returned HTTP ${response.status}`);
  return (await response.json()) as T;
}

describe.skipIf(skipReason !== undefined)('docker-compose.yml stack', () => {
  let environment: StartedDockerComposeEnvironment | undefined;

  beforeAll(async () => {
    if (!('socket' in docker)) return;
    // testcontainers reads DOCKER_HOST when it picks its engine, so setting it
    // makes it use the socket checked above.
    process.env.DOCKER_HOST = `unix://${docker.socket}`;
    const { DockerComposeEnvironment, Wait } = await import('testcontainers');

    environment = await new DockerComposeEnvironment(REPO, 'docker-compose.yml')
      .withWaitStrategy('tempo-1', Wait.forHealthCheck())
      .withWaitStrategy('prometheus-1', Wait.forHealthCheck())
      .withWaitStrategy('grafana-1', Wait.forHealthCheck())
      // The collector image has no shell for a port check, and no health check.
      .withWaitStrategy('otel-collector-1', Wait.forLogMessage(/Everything is ready/))
      .withStartupTimeout(600_000)
      .up();

    await recordDemoRuns({
      otlpEndpoint: OTLP_HTTP,
      prometheusUrl: PROMETHEUS,
      serviceName: 'factory-telemetry-compose-e2e',
      runs: RUNS,
      seed: 5,
      // Prometheus evaluates the rules every 15 s in docker-compose.yml.
      timeoutMs: 180_000,
    });
  });

  afterAll(async () => {
    await environment?.down({ timeout: 30_000, removeVolumes: true });
  });

  it('counts the runs in Prometheus', async () => {
    // recordDemoRuns already waited for this value; the test states the result.
    expect(await queryScalar(PROMETHEUS, 'factory:runs_resolved:increase_7d')).toBe(RUNS);
  });

  it('reports Grafana healthy', async () => {
    const health = await getJson<{ database?: string }>(`${GRAFANA}/api/health`);
    expect(health.database).toBe('ok');
  });

  it('provisions every dashboard in Grafana', async () => {
    const expected = BOARDS.map((board) => board.uid).sort();
    let found: string[] = [];
    // Grafana provisions dashboards from files shortly after it reports healthy.
    const provisioned = await waitUntil(async () => {
      const results = await getJson<{ uid: string }[]>(`${GRAFANA}/api/search?type=dash-db`);
      found = results.map((result) => result.uid).sort();
      return expected.every((uid) => found.includes(uid));
    }, 60_000);
    expect(provisioned, `Grafana lists dashboards ${found.join(', ')}`).toBe(true);
    expect(found).toEqual(expected);
  });
});
