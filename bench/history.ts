/**
 * Measures how long the history path takes to give a fresh local stack 12 weeks
 * of a factory that resolves 3,500 runs a week: recording the runs through the
 * HistoryAggregator, pushing the raw series to Prometheus, and backfilling the
 * recording rules. The runs come from the demo factory, one seeded week at a time.
 *
 *   npm run bench:history            (builds first)
 *   node dist/bench/history.js [--weeks 12] [--runs-per-week 3500] [--port-base 36400]
 *
 * It starts its own collector and Prometheus (the local stack) on 127.0.0.1 ports
 * from --port-base, in .stack/bench-history, and stops them at the end. Prints a
 * table and one JSON line.
 */
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';

import { simulateSmallFactory } from '../cli/demo/small-factory.js';
import { createHistoryRecorder } from '../cli/history/index.js';
import { findRepoRoot } from '../cli/stack/options.js';
import { startStack, stopStack, type StackOptions } from '../cli/stack/index.js';
import { FactoryTelemetry } from '../sdk/index.js';

const { values } = parseArgs({
  options: {
    weeks: { type: 'string', default: '12' },
    'runs-per-week': { type: 'string', default: '3500' },
    'port-base': { type: 'string', default: '36400' },
  },
});
const weeks = positiveInteger(values.weeks, '--weeks');
const runsPerWeek = positiveInteger(values['runs-per-week'], '--runs-per-week');
const base = positiveInteger(values['port-base'], '--port-base');

const repoRoot = findRepoRoot();
const stack: StackOptions = {
  stateDir: join(repoRoot, '.stack', 'bench-history'),
  interval: '15s',
  ports: { otlpHttp: base, otlpGrpc: base + 1, health: base + 2, collectorTelemetry: base + 3, prometheus: base + 4 },
  log: (message) => process.stderr.write(`[stack] ${message}\n`),
};
console.log(`Machine: ${availableParallelism()} CPUs (${cpus()[0]?.model ?? 'unknown'}), ${Math.round(totalmem() / 1024 ** 3)} GiB, Node.js ${process.version}, load average ${loadavg()[0]!.toFixed(1)} at start`);

const info = await startStack(stack);
try {
  const recorder = createHistoryRecorder({
    prometheusUrl: info.prometheusUrl,
    serviceName: 'bench-history',
    promtool: join(dirname(info.binaries.prometheus), 'promtool'),
    prometheusDataDir: join(info.stateDir, 'prometheus-data'),
    log: (message) => process.stderr.write(`[history] ${message}\n`),
  });
  const telemetry = new FactoryTelemetry({ tracerProvider: recorder.tracerProvider });
  const now = Date.now();
  const recordStarted = performance.now();
  for (let week = weeks; week >= 1; week -= 1) {
    // The demo factory spreads its runs over the 6 days before `now`.
    await simulateSmallFactory(telemetry, { runs: runsPerWeek, seed: week, now: new Date(now - (week - 1) * 7 * 86_400_000) });
  }
  const recordSeconds = (performance.now() - recordStarted) / 1000;
  const heapMiB = process.memoryUsage().heapUsed / 1024 ** 2;
  const result = await recorder.finish();

  const rows: [string, string][] = [
    ['runs', String(weeks * runsPerWeek)],
    ['spans aggregated', String(result.spans)],
    ['raw series', String(result.series)],
    ['raw data points pushed', String(result.dataPoints)],
    ['rule levels / series / samples / blocks', `${result.rules?.levels} / ${result.rules?.series} / ${result.rules?.samples} / ${result.rules?.blocks}`],
    ['record through the aggregator', `${recordSeconds.toFixed(1)} s`],
    ['heap after recording', `${heapMiB.toFixed(0)} MiB`],
    ['push raw series', `${result.seconds.push.toFixed(1)} s`],
    ['backfill rules', `${result.seconds.rules.toFixed(1)} s`],
    ['total', `${(recordSeconds + result.seconds.push + result.seconds.rules).toFixed(1)} s`],
  ];
  for (const [name, value] of rows) console.log(`${name.padEnd(42)} ${value}`);
  console.log(`load average at end ${loadavg()[0]!.toFixed(1)}`);
  console.log(JSON.stringify({ bench: 'history', weeks, runsPerWeek, recordSeconds, heapMiB, ...result }));
} finally {
  await stopStack(stack);
}

function positiveInteger(text: string, name: string): number {
  const value = /^[0-9]+$/.test(text) ? Number(text) : Number.NaN;
  if (!(value >= 1)) throw new Error(`invalid ${name} ${JSON.stringify(text)}: expected a positive integer`);
  return value;
}
