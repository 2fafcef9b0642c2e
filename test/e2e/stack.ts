import { join } from 'node:path';
import { startStack, stopStack, type StackInfo, type StackOptions } from '../../cli/stack/index.js';

const REPO = join(import.meta.dirname, '..', '..');

/**
 * Starts the real collector and Prometheus for one end-to-end test file, with a
 * fresh TSDB, a 2 s flush and evaluation interval, and ports away from the
 * defaults so that a developer's own `npm run stack -- up` keeps running.
 */
export async function startTestStack(name: string): Promise<{ info: StackInfo; stop: () => Promise<void> }> {
  const options: StackOptions = {
    stateDir: join(REPO, '.stack', `e2e-${name}`),
    interval: '2s',
    ports: { otlpHttp: 24318, otlpGrpc: 24317, health: 24133, collectorTelemetry: 24888, prometheus: 29090 },
    log: (message) => process.stderr.write(`[stack] ${message}\n`),
  };
  const info = await startStack(options);
  return { info, stop: () => stopStack(options) };
}

/** Path of the compiled CLI; `npm test` builds it before the tests run. */
export const CLI = join(REPO, 'dist', 'cli', 'main.js');

/** Path of the shared SWE-bench results, outside the repository. */
export const SWEBENCH_CSV = join(REPO, '..', 'shared', 'data', 'swebench_leaderboard', 'per_instance_minisweagent_with_difficulty.csv');
