import { expect } from 'vitest';

import { demoExportTargets } from '../../cli/commands/demo.js';
import { simulateSmallFactory } from '../../cli/demo/small-factory.js';
import { queryScalar, waitUntil } from '../../cli/prometheus.js';
import { FactoryTelemetry } from '../../sdk/index.js';

export type DemoRuns = Awaited<ReturnType<typeof simulateSmallFactory>>;

/**
 * Records `runs` runs of the demo factory through the SDK to `otlpEndpoint`, then
 * waits (up to `timeoutMs`) until Prometheus at `prometheusUrl` counts all of them
 * in `factory:runs_resolved:increase_7d`. Fails the calling hook when it does not.
 */
export async function recordDemoRuns(options: {
  otlpEndpoint: string;
  prometheusUrl: string;
  serviceName: string;
  runs: number;
  seed: number;
  timeoutMs?: number;
}): Promise<DemoRuns> {
  const targets = demoExportTargets(options.otlpEndpoint, process.env);
  const telemetry = new FactoryTelemetry({
    serviceName: options.serviceName,
    export: { target: targets.target, metricsTarget: targets.metricsTarget },
  });
  const runs = await simulateSmallFactory(telemetry, { runs: options.runs, seed: options.seed, now: new Date() });
  await telemetry.shutdown();
  expect(runs).toHaveLength(options.runs);

  const counted = await waitUntil(
    async () => (await queryScalar(options.prometheusUrl, 'factory:runs_resolved:increase_7d')) === options.runs,
    options.timeoutMs ?? 120_000,
  );
  expect(counted, `factory:runs_resolved:increase_7d did not reach ${options.runs}`).toBe(true);
  return runs;
}
