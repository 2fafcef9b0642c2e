/**
 * Memory benchmark: records many complete runs in one process and samples the
 * heap after a full garbage collection, to show that a resolved run leaves
 * nothing behind (no span, handle, timer or listener).
 *
 * Two provider paths:
 * - `host`: FactoryTelemetry records through a TracerProvider passed as the
 *   `tracerProvider` option, whose span processor stores the ended spans in an
 *   array that is emptied after every batch, so that the heap shows the SDK and
 *   not the stored spans.
 * - `own`: FactoryTelemetry builds its own provider and exports OTLP/HTTP to a
 *   stub receiver (bench/otlp-stub.ts) that it starts on 127.0.0.1. After every
 *   batch the benchmark waits for forceFlush, so that the export queue never
 *   fills and drops spans.
 *
 *   node --expose-gc dist/bench/memory.js --path host [--runs 100000] [--sample-every 10000] [--batch-size 500]
 *   node --expose-gc dist/bench/memory.js --path own [--runs 20000] [--sample-every 2000] [--batch-size 500]
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setImmediate as nextMacrotask } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { TracerProvider } from '@opentelemetry/sdk-trace';
import { FactoryIdGenerator, FactoryTelemetry, failureSignature, type ExportStats } from '../sdk/index.js';
import { canCollectGarbage, collectGarbage, formatTable, isEntryPoint, round } from './format.js';
import { CountingSpanProcessor } from './span-processor.js';
import { CI_OUTPUTS, recordSdkRun, SPANS_PER_RUN } from './scenario.js';

export type ProviderPath = 'host' | 'own';

export interface MemoryOptions {
  path: ProviderPath;
  runs: number;
  /** Runs between two heap samples; a multiple of `batchSize`. */
  sampleEvery: number;
  /** Runs recorded before the benchmark yields to the event loop (and, on the `own` path, flushes). */
  batchSize: number;
}

/** Handles, timers and listeners that keep or touch the process, at one moment. */
export interface ResourceSnapshot {
  /** `process.getActiveResourcesInfo()`, counted by resource type. */
  activeResources: Record<string, number>;
  exitListeners: number;
  sigtermListeners: number;
  sigintListeners: number;
}

export interface HeapSample {
  runs: number;
  heapUsedBytes: number;
  rssBytes: number;
}

export interface MemoryResult {
  options: MemoryOptions;
  collectedGarbage: boolean;
  samples: HeapSample[];
  /**
   * heapUsed at the last sample minus heapUsed at `growthFromRuns`, the third
   * sample (20,000 runs with the default options of the host path). The earlier
   * samples include warm-up allocations such as compiled code.
   */
  growthBytes: number;
  growthFromRuns: number;
  /** Snapshots by moment: before FactoryTelemetry exists, after the first batch, after the last run, after shutdown. */
  resources: Record<string, ResourceSnapshot>;
  spansRecorded: number;
  /** Problems that the SDK reported; the benchmark expects none. */
  problems: number;
  /** Export counts of the `own` path. */
  exportStats?: ExportStats;
  /** Requests and bytes that the stub receiver counted, on the `own` path. */
  receiver?: { requests: number; bodyBytes: number };
}

/** Records `options.runs` runs and returns the heap series and resource snapshots. */
export async function runMemoryBench(options: MemoryOptions): Promise<MemoryResult> {
  if (options.sampleEvery % options.batchSize !== 0) {
    throw new Error(`invalid sample interval ${options.sampleEvery}: expected a multiple of the batch size ${options.batchSize}`);
  }
  // Node.js creates process.stdout and process.stderr on first use, and the export
  // worker's start uses them. Creating them here keeps their handles out of the
  // difference between two snapshots.
  void process.stdout;
  void process.stderr;
  return options.path === 'host' ? runHostPath(options) : runOwnPath(options);
}

async function runHostPath(options: MemoryOptions): Promise<MemoryResult> {
  const resources: Record<string, ResourceSnapshot> = { beforeTelemetry: snapshotResources() };
  const processor = new CountingSpanProcessor();
  processor.stored = [];
  const provider = new TracerProvider({ idGenerator: new FactoryIdGenerator(), spanProcessors: [processor] });
  let problems = 0;
  const telemetry = new FactoryTelemetry({ tracerProvider: provider, onError: () => (problems += 1), env: {} });

  const samples = await recordBatches(telemetry, options, resources, async () => {
    processor.stored = [];
  });
  resources.afterLastRun = snapshotResources();
  await telemetry.shutdown();
  await provider.shutdown();
  resources.afterShutdown = snapshotResources();
  return summarizeMemory(options, samples, resources, processor.ended, problems);
}

async function runOwnPath(options: MemoryOptions): Promise<MemoryResult> {
  const resources: Record<string, ResourceSnapshot> = {};
  const receiver = await startStubReceiver();
  resources.beforeTelemetry = snapshotResources();
  let problems = 0;
  const target = (path: string) => ({
    url: `http://127.0.0.1:${receiver.port}${path}`,
    headers: {},
    protocol: 'http/protobuf' as const,
    timeoutMillis: 10_000,
    compression: 'none' as const,
  });
  const telemetry = new FactoryTelemetry({
    serviceName: 'factory-telemetry-bench',
    useGlobalTracerProvider: false,
    env: {},
    onError: () => (problems += 1),
    export: { target: target('/v1/traces'), metricsTarget: target('/v1/metrics') },
  });

  try {
    const samples = await recordBatches(telemetry, options, resources, () => telemetry.forceFlush());
    resources.afterLastRun = snapshotResources();
    await telemetry.shutdown();
    resources.afterShutdown = snapshotResources();
    const exportStats = telemetry.stats().export;
    return {
      ...summarizeMemory(options, samples, resources, exportStats?.accepted ?? 0, problems),
      exportStats,
      receiver: await receiver.stop(),
    };
  } finally {
    receiver.kill();
  }
}

// Records the runs in batches, calls `afterBatch` after each, and samples the
// heap before the first run and after every `sampleEvery` runs.
async function recordBatches(
  telemetry: FactoryTelemetry,
  options: MemoryOptions,
  resources: Record<string, ResourceSnapshot>,
  afterBatch: () => Promise<void>,
): Promise<HeapSample[]> {
  const signatures = CI_OUTPUTS.map((output) => failureSignature(output).signature);
  const samples: HeapSample[] = [sampleHeap(0)];
  for (let runs = 0; runs < options.runs; ) {
    const batch = Math.min(options.batchSize, options.runs - runs);
    for (let index = 0; index < batch; index += 1) recordSdkRun(telemetry, 'output', signatures);
    runs += batch;
    await afterBatch();
    // Lets promise callbacks and timers of the batch run, as in a long-lived service.
    await nextMacrotask();
    if (runs === batch) resources.afterFirstBatch = snapshotResources();
    if (runs % options.sampleEvery === 0 || runs === options.runs) samples.push(sampleHeap(runs));
  }
  return samples;
}

function sampleHeap(runs: number): HeapSample {
  collectGarbage();
  const usage = process.memoryUsage();
  return { runs, heapUsedBytes: usage.heapUsed, rssBytes: usage.rss };
}

function snapshotResources(): ResourceSnapshot {
  const activeResources: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo()) activeResources[type] = (activeResources[type] ?? 0) + 1;
  return {
    activeResources,
    exitListeners: process.listenerCount('exit'),
    sigtermListeners: process.listenerCount('SIGTERM'),
    sigintListeners: process.listenerCount('SIGINT'),
  };
}

function summarizeMemory(
  options: MemoryOptions,
  samples: HeapSample[],
  resources: Record<string, ResourceSnapshot>,
  spansRecorded: number,
  problems: number,
): MemoryResult {
  // The third sample (two sample intervals in), or the last one when there are fewer.
  const from = samples[Math.min(2, samples.length - 1)]!;
  const last = samples[samples.length - 1]!;
  return {
    options,
    collectedGarbage: canCollectGarbage(),
    samples,
    growthBytes: last.heapUsedBytes - from.heapUsedBytes,
    growthFromRuns: from.runs,
    resources,
    spansRecorded,
    problems,
  };
}

interface StubReceiver {
  port: number;
  /** Stops the receiver and returns what it counted. */
  stop(): Promise<{ requests: number; bodyBytes: number }>;
  /** Kills the receiver if it still runs. */
  kill(): void;
}

async function startStubReceiver(): Promise<StubReceiver> {
  const child = spawn(process.execPath, [join(import.meta.dirname, 'otlp-stub.js')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const iterator = lines[Symbol.asyncIterator]();
  const first = await iterator.next();
  const match = /^listening (\d+)$/.exec(first.done === true ? '' : first.value);
  if (match === null) {
    child.kill();
    throw new Error(`the stub OTLP receiver did not start: expected "listening <port>", got ${JSON.stringify(first.value)}`);
  }
  return {
    port: Number(match[1]),
    async stop() {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const counts = await iterator.next();
      await exited;
      return JSON.parse(counts.done === true ? '{}' : counts.value) as { requests: number; bodyBytes: number };
    },
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill();
    },
  };
}

const MIB = 1024 * 1024;

/** Formats the result as a heap table and a resource table. */
export function formatMemory(result: MemoryResult): string {
  const { path, runs, batchSize } = result.options;
  const title =
    path === 'host'
      ? `Memory, tracerProvider option (stored spans cleared after each batch): ${runs} runs in batches of ${batchSize}`
      : `Memory, the SDK's own provider exporting to a stub OTLP receiver on 127.0.0.1: ${runs} runs in batches of ${batchSize}, forceFlush after each`;
  const heapRows = result.samples.map((sample) => [
    String(sample.runs),
    (sample.heapUsedBytes / MIB).toFixed(2),
    (sample.rssBytes / MIB).toFixed(1),
  ]);
  const growth = result.growthBytes;
  const lastRuns = result.samples[result.samples.length - 1]!.runs;
  const perRun = growth / Math.max(1, lastRuns - result.growthFromRuns);

  const moments = Object.keys(result.resources);
  const resourceTypes = [...new Set(moments.flatMap((moment) => Object.keys(result.resources[moment]!.activeResources)))].sort();
  const resourceRows = moments.map((moment) => {
    const snapshot = result.resources[moment]!;
    return [
      moment,
      ...resourceTypes.map((type) => String(snapshot.activeResources[type] ?? 0)),
      String(snapshot.exitListeners),
      String(snapshot.sigtermListeners),
      String(snapshot.sigintListeners),
    ];
  });

  const lines = [
    title,
    `GC before each sample: ${result.collectedGarbage ? 'yes' : 'no (run node with --expose-gc)'}. Spans recorded: ${result.spansRecorded}. Problems reported: ${result.problems}.`,
    '',
    formatTable(['runs', 'heapUsed MiB', 'rss MiB'], heapRows),
    '',
    `heapUsed growth from ${result.growthFromRuns} to ${lastRuns} runs: ${(growth / MIB).toFixed(2)} MiB (${perRun.toFixed(1)} bytes per run)`,
    '',
    formatTable(['moment', ...resourceTypes, "'exit'", 'SIGTERM', 'SIGINT'], resourceRows),
  ];
  if (result.exportStats !== undefined) {
    const stats = result.exportStats;
    lines.push(
      '',
      `Export: ${stats.accepted} spans accepted, ${stats.exported} exported, ${stats.dropped} dropped, ${stats.failed} failed, ${stats.pending} pending.` +
        (result.receiver === undefined ? '' : ` The receiver got ${result.receiver.requests} requests, ${(result.receiver.bodyBytes / MIB).toFixed(1)} MiB.`),
    );
  }
  return lines.join('\n');
}

/** Reduces the result to what the final JSON line reports. */
export function memoryJson(result: MemoryResult): object {
  return {
    ...result.options,
    collectedGarbage: result.collectedGarbage,
    heapUsedMiB: result.samples.map((sample) => ({ runs: sample.runs, heapUsedMiB: round(sample.heapUsedBytes / MIB, 2) })),
    growthMiB: round(result.growthBytes / MIB, 3),
    growthFromRuns: result.growthFromRuns,
    resources: result.resources,
    spansRecorded: result.spansRecorded,
    problems: result.problems,
    ...(result.exportStats === undefined ? {} : { exportStats: result.exportStats }),
    ...(result.receiver === undefined ? {} : { receiver: result.receiver }),
  };
}

if (isEntryPoint(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      path: { type: 'string', default: 'host' },
      runs: { type: 'string' },
      'sample-every': { type: 'string' },
      'batch-size': { type: 'string' },
    },
  });
  if (values.path !== 'host' && values.path !== 'own') throw new Error(`invalid --path ${values.path}: expected host or own`);
  const path: ProviderPath = values.path;
  const runs = Number(values.runs ?? (path === 'host' ? 100_000 : 20_000));
  const sampleEvery = Number(values['sample-every'] ?? runs / 10);
  const options: MemoryOptions = {
    path,
    runs,
    sampleEvery,
    batchSize: Number(values['batch-size'] ?? Math.min(500, sampleEvery)),
  };
  for (const [name, value] of Object.entries(options)) {
    if (typeof value === 'number' && (!Number.isInteger(value) || value < 1)) throw new Error(`invalid ${name} ${value}: expected a positive integer`);
  }
  const result = await runMemoryBench(options);
  console.log(formatMemory(result));
  console.log(JSON.stringify({ bench: `memory-${path}`, ...memoryJson(result) }));
  const expectedSpans = runs * SPANS_PER_RUN;
  if (result.spansRecorded !== expectedSpans) {
    console.error(`the SDK recorded ${result.spansRecorded} spans, expected ${expectedSpans}`);
    process.exitCode = 1;
  }
}
