import { join } from 'node:path';
import { startStack, stopStack, type StackInfo, type StackOptions } from '../../cli/stack/index.js';

const REPO = join(import.meta.dirname, '..', '..');

/**
 * Starts the real collector and Prometheus for one end-to-end test file, with a
 * fresh TSDB, a 2 s flush and evaluation interval, and ports away from the
 * defaults so that a developer's own `npm run stack -- up` keeps running.
 */
export async function startTestStack(name: string): Promise<{ info: StackInfo; stop: () => Promise<void> }> {
  const offset = portOffset();
  const options: StackOptions = {
    stateDir: join(REPO, '.stack', `e2e-${name}`),
    interval: '2s',
    ports: {
      otlpHttp: 24318 + offset,
      otlpGrpc: 24317 + offset,
      health: 24133 + offset,
      collectorTelemetry: 24888 + offset,
      prometheus: 29090 + offset,
    },
    log: (message) => process.stderr.write(`[stack] ${message}\n`),
  };
  const info = await startStack(options);
  return { info, stop: () => stopStack(options) };
}

/**
 * FACTORY_E2E_PORT_OFFSET shifts every port, so that two checkouts on one machine
 * can run their end-to-end tests at the same time. Default 0; at most 1000.
 */
export function portOffset(): number {
  const raw = process.env.FACTORY_E2E_PORT_OFFSET ?? '0';
  const offset = /^[0-9]+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(offset >= 0 && offset <= 1000)) {
    throw new Error(`invalid FACTORY_E2E_PORT_OFFSET ${JSON.stringify(raw)}: expected an integer from 0 to 1000`);
  }
  return offset;
}

/** Path of the compiled CLI; `npm test` builds it before the tests run. */
export const CLI = join(REPO, 'dist', 'cli', 'main.js');

/** Path of the shared SWE-bench results, outside the repository. */
export const SWEBENCH_CSV = join(REPO, '..', 'shared', 'data', 'swebench_leaderboard', 'per_instance_minisweagent_with_difficulty.csv');
