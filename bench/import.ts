/**
 * Measures the pull request import in PRs per second: reading and parsing the AIDev
 * CSV folders, and recording the pull requests as runs through the SDK into the
 * history aggregator (the work of `import aidev --history` before its push to
 * Prometheus, which bench/history.ts measures). Each step runs --repeat times over
 * all four agents; the fastest repetition counts.
 *
 *   npm run bench:import              (builds first)
 *   node dist/bench/import.js [--dir ../shared/data/aidev_pop] [--repeat 5]
 *
 * Prints a table and one JSON line.
 */
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { resourceFromAttributes } from '@opentelemetry/resources';
import { AlwaysOnSampler, ParentBasedSampler, TracerProvider } from '@opentelemetry/sdk-trace';

import { HistoryAggregator, readConnectorDefinitions } from '../cli/history/index.js';
import { loadAidev } from '../cli/import/load.js';
import { ImportAttributesProcessor, lastEventTime, recordPullRequest } from '../cli/import/record.js';
import { findRepoRoot } from '../cli/stack/options.js';
import { FactoryIdGenerator, FactoryTelemetry } from '../sdk/index.js';

const HOUR_MS = 3_600_000;
const repoRoot = findRepoRoot();
const { values } = parseArgs({
  options: {
    dir: { type: 'string', default: join(repoRoot, '..', 'shared', 'data', 'aidev_pop') },
    repeat: { type: 'string', default: '5' },
  },
});
const repeat = Number(values.repeat);
if (!Number.isInteger(repeat) || repeat < 1) throw new Error(`invalid --repeat ${JSON.stringify(values.repeat)}: expected a positive integer`);

console.log(`Machine: ${availableParallelism()} CPUs (${cpus()[0]?.model ?? 'unknown'}), ${Math.round(totalmem() / 1024 ** 3)} GiB, Node.js ${process.version}, load average ${loadavg()[0]!.toFixed(1)} at start`);

const definitions = readConnectorDefinitions(join(repoRoot, 'collector', 'config.yaml'));
let parseSeconds = Number.POSITIVE_INFINITY;
let recordSeconds = Number.POSITIVE_INFINITY;
let pullRequests = 0;
let spans = 0;
for (let round = 0; round < repeat; round += 1) {
  const parseStarted = performance.now();
  const loaded = loadAidev(values.dir);
  parseSeconds = Math.min(parseSeconds, (performance.now() - parseStarted) / 1000);
  pullRequests = loaded.pullRequests.length;

  // The same shift as a history import: the last event moves to the current hour.
  const endMs = Math.floor(Date.now() / HOUR_MS) * HOUR_MS;
  const shiftMs = endMs - lastEventTime(loaded.pullRequests)!.getTime();
  const aggregator = new HistoryAggregator({ definitions, stepMs: HOUR_MS, notAfterMs: endMs });
  const attributes = new ImportAttributesProcessor();
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'bench-import' }),
    idGenerator: new FactoryIdGenerator(),
    sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }),
    spanProcessors: [attributes, aggregator],
  });
  const telemetry = new FactoryTelemetry({ tracerProvider: provider, onError: () => undefined });

  const recordStarted = performance.now();
  for (const pr of loaded.pullRequests) recordPullRequest(telemetry, attributes, pr, shiftMs);
  await provider.forceFlush();
  recordSeconds = Math.min(recordSeconds, (performance.now() - recordStarted) / 1000);
  spans = aggregator.stats().spans;
}

const rows: Array<[string, string]> = [
  ['pull requests (four AIDev agents)', String(pullRequests)],
  ['spans per import', String(spans)],
  ['read and parse', `${parseSeconds.toFixed(3)} s, ${Math.round(pullRequests / parseSeconds)} PRs/s`],
  ['record through the history aggregator', `${recordSeconds.toFixed(3)} s, ${Math.round(pullRequests / recordSeconds)} PRs/s`],
  ['read, parse and record', `${Math.round(pullRequests / (parseSeconds + recordSeconds))} PRs/s`],
  ['ratio record time / parse time', (recordSeconds / parseSeconds).toFixed(2)],
];
for (const [name, value] of rows) console.log(`${name.padEnd(40)} ${value}`);
console.log(`load average at end ${loadavg()[0]!.toFixed(1)}`);
console.log(JSON.stringify({ bench: 'import', pullRequests, spans, repeat, parseSeconds, recordSeconds }));
