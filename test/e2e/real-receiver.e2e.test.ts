/**
 * The SDK's export guarantees against a receiver that is not the project's own: the
 * real OpenTelemetry Collector binary (0.165.0, from collector/builder-config.yaml).
 * test/sdk/export/ checks the same behaviour against the project's stub receiver.
 *
 * Each test starts a collector with a minimal configuration: the OTLP/HTTP receiver
 * on 127.0.0.1, traces and metrics to the debug exporter, which prints every span it
 * gets on stdout, and the collector's own metrics on a Prometheus endpoint on
 * 127.0.0.1. The receiver path is synchronous, so a span appears in the debug output
 * exactly once per request in which the collector accepted it. A test then records
 * factory runs through the public SDK and induces a fault. At the end, the
 * collector's accepted count, the spans in its output, `telemetry.stats()`, the
 * onError reports and the SDK's self-metrics must agree. Every ended span is
 * delivered, or its loss is counted and reported with its run id.
 *
 * Ports: 26318 (OTLP/HTTP) and 26388 (collector metrics) on 127.0.0.1, both shifted
 * by FACTORY_E2E_PORT_OFFSET.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { diag, DiagLogLevel } from '@opentelemetry/api';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { waitUntil } from '../../cli/prometheus.js';
import { ensureBinaries } from '../../cli/stack/binaries.js';
import { FactoryTelemetry, type OtlpHttpTarget } from '../../sdk/index.js';
import { portOffset } from './stack.js';

const REPO = join(import.meta.dirname, '..', '..');
const OTLP_PORT = 26318 + portOffset();
const TELEMETRY_PORT = 26388 + portOffset();
const TRACES_URL = `http://127.0.0.1:${OTLP_PORT}/v1/traces`;
const METRICS_URL = `http://127.0.0.1:${OTLP_PORT}/v1/metrics`;

/** Spans that one recorded run ends: run, context, execution, attempt, verification, outcome. */
const SPANS_PER_RUN = 6;
/** Request timeout in ms of the SDK's exporter in every test. */
const REQUEST_TIMEOUT_MILLIS = 1_000;

let binary: string;
let directory: string;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  ({ collector: binary } = await ensureBinaries(REPO, process.env, (message) => process.stderr.write(`[collector] ${message}\n`)));
  directory = mkdtempSync(join(tmpdir(), 'factory-telemetry-real-receiver-'));
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

afterAll(() => {
  if (directory !== undefined) rmSync(directory, { recursive: true, force: true });
});

describe('SDK export against the real collector', () => {
  it('delivers after request timeouts', { timeout: 60_000 }, async () => {
    const collector = await startCollector();
    const retries = captureRetryNotices();
    const sdk = createTelemetry({ maxRetryDurationMillis: 30_000 });

    await recordRuns(sdk.telemetry, 'warm', 3);
    await sdk.telemetry.forceFlush();
    expect(sdk.telemetry.stats().export?.exported).toBe(3 * SPANS_PER_RUN);

    // While the process is stopped, the kernel still completes TCP handshakes and
    // buffers the request bytes, so the SDK gets no error until the request times out.
    collector.pause();
    await recordRuns(sdk.telemetry, 'paused', 5);
    await sleep(PAUSE_MILLIS);
    collector.resume();
    await sdk.telemetry.shutdown();
    const timedOut = retries.notices.filter((notice) => notice.includes(`to ${TRACES_URL} failed (request timed out`));
    retries.stop();

    const ended = 8 * SPANS_PER_RUN;
    expect(timedOut.length, 'attempts that timed out while paused').toBeGreaterThanOrEqual(2);
    expect(sdk.telemetry.stats().export).toEqual({ accepted: ended, exported: ended, dropped: 0, failed: 0, failedByErrorType: {}, pending: 0 });
    expect(sdk.errors).toEqual([]);

    const delivered = await collector.waitForSpans(ended + timedOut.length * 5 * SPANS_PER_RUN);
    expect(distinctSpans(delivered), 'every ended span arrived').toBe(ended);
    const counts = await collector.receiverCounts();
    expect(counts.accepted, 'accepted_spans counts every printed copy').toBe(delivered.length);
    expect(counts.refused).toBe(0);

    // A request that timed out stayed in the paused collector's socket buffer, and
    // the collector processed it after SIGCONT although the SDK had closed the
    // connection. Each timed-out attempt therefore delivered one more copy.
    const copies = copiesBySpan(delivered);
    const copiesOf = (prefix: string) => new Set(delivered.filter((span) => span.runId?.startsWith(prefix)).map((span) => copies.get(spanKey(span))));
    expect(copiesOf('warm-'), 'warm-up spans arrived once').toEqual(new Set([1]));
    expect(copiesOf('paused-'), 'one copy per timed-out attempt plus the successful one').toEqual(new Set([timedOut.length + 1]));
    expect(counts.accepted - ended, 'duplicates, which the SDK does not count').toBe(timedOut.length * 5 * SPANS_PER_RUN);

    const selfMetrics = collector.lastSelfMetrics();
    expect(selfMetrics.get('factory.sdk.spans.exported')).toBe(ended);
    expect(selfMetrics.get('factory.sdk.spans.dropped')).toBe(0);
    console.info(`[real-receiver] timeout: ended ${ended}, accepted ${counts.accepted}, refused ${counts.refused}, timed-out attempts ${timedOut.length}, copies per paused span ${timedOut.length + 1}`);
  });

  it('reports timed-out spans that arrived', { timeout: 60_000 }, async () => {
    const collector = await startCollector();
    const retries = captureRetryNotices();
    // The retries end while the collector is still paused, so the batch fails.
    // The retry budget ends 4.5 s before the collector resumes, so that a slow
    // timer on a loaded machine cannot let the last attempt reach it.
    const sdk = createTelemetry({ maxRetryDurationMillis: GIVE_UP_PAUSE_MILLIS - 4_500 });

    collector.pause();
    await recordRuns(sdk.telemetry, 'given-up', 5);
    await sleep(GIVE_UP_PAUSE_MILLIS);
    collector.resume();
    await sdk.telemetry.shutdown();
    const timedOut = retries.notices.filter((notice) => notice.includes(`to ${TRACES_URL} failed (request timed out`));
    retries.stop();

    const ended = 5 * SPANS_PER_RUN;
    expect(sdk.telemetry.stats().export).toEqual({ accepted: ended, exported: 0, dropped: 0, failed: ended, failedByErrorType: { timeout: ended }, pending: 0 });
    const failures = sdk.errors.filter((message) => message.startsWith('OTLP export of'));
    expect(failures).toHaveLength(1);
    expect(failures[0]).toContain(`OTLP export of ${ended} spans to ${TRACES_URL} failed: request timed out after ${REQUEST_TIMEOUT_MILLIS} ms (gave up after`);
    expect(failures[0]).toContain('the collector may still have received them');
    expect(failures[0]).toContain('Affected runs (factory.run.id): given-up-0, given-up-1, given-up-2, given-up-3, given-up-4.');

    // Every attempt timed out, and the collector processed each of them after SIGCONT:
    // the spans that the SDK counts as failed all arrived, once per attempt.
    const attempts = timedOut.length + 1;
    const delivered = await collector.waitForSpans(attempts * ended);
    expect(distinctSpans(delivered), 'every span counted as failed arrived').toBe(ended);
    const copies = copiesBySpan(delivered);
    expect(new Set(copies.values()), 'one copy per attempt').toEqual(new Set([attempts]));
    const counts = await collector.receiverCounts();
    expect(counts.accepted).toBe(attempts * ended);
    expect(counts.refused).toBe(0);

    const selfMetrics = collector.lastSelfMetrics();
    expect(selfMetrics.get('factory.sdk.spans.exported')).toBe(0);
    expect(selfMetrics.get('factory.sdk.spans.failed')).toBe(ended);
    console.info(`[real-receiver] gave up: ended ${ended}, accepted ${counts.accepted}, refused ${counts.refused}, failed ${ended} (timeout), attempts ${attempts}`);
  });

  it('counts drops in a 30 s outage', { timeout: 90_000 }, async () => {
    const first = await startCollector();
    // One run of 6 spans every 200 ms ends about 900 spans during the outage. The
    // queue takes 300 of them and the rest are dropped.
    const maxQueueSize = 300;
    const sdk = createTelemetry({ maxQueueSize, maxRetryDurationMillis: 60_000 });

    const recorder = recordSteadily(sdk.telemetry, 'outage', 200);
    await sleep(1_000);
    await first.stop();
    await sleep(OUTAGE_MILLIS);
    const pendingAtEnd = sdk.telemetry.stats().export?.pending;
    const second = await startCollector();
    await sleep(1_000);
    const runs = await recorder.stop();
    await sdk.telemetry.shutdown();

    const stats = sdk.telemetry.stats().export!;
    expect(stats.accepted, 'every run ended its spans').toBe(runs * SPANS_PER_RUN);
    expect(pendingAtEnd, 'the queue was full when the collector came back').toBe(maxQueueSize);
    expect(stats.dropped).toBeGreaterThan(0);
    expect(stats.failed).toBe(0);
    expect(stats.pending).toBe(0);
    expect(stats.exported + stats.dropped).toBe(stats.accepted);

    const dropReports = sdk.errors.filter((message) => message.startsWith('span queue is full'));
    expect(dropReports.length).toBeGreaterThan(0);
    expect(sumOfCounts(dropReports, /^span queue is full: (\d+) spans? dropped/), 'drops reported through onError').toBe(stats.dropped);
    expect(dropReports.every((message) => /Affected runs \(factory\.run\.id\): outage-\d+/.test(message))).toBe(true);
    expect(sdk.errors.filter((message) => !message.startsWith('span queue is full') && !message.startsWith('sending the self-metrics'))).toEqual([]);

    // The first collector's counters ended with its process, so its share comes
    // from its debug output. The second one's counter is checked against its output.
    const beforeOutage = first.deliveredSpans();
    const afterOutage = await second.waitForSpans(stats.exported - beforeOutage.length);
    const delivered = [...beforeOutage, ...afterOutage];
    expect(beforeOutage.length).toBeGreaterThan(0);
    expect(delivered.length, 'collectors received exactly the exported spans').toBe(stats.exported);
    expect(distinctSpans(delivered), 'no span arrived twice').toBe(stats.exported);
    const counts = await second.receiverCounts();
    expect(counts.accepted).toBe(afterOutage.length);
    expect(counts.refused).toBe(0);

    const selfMetrics = second.lastSelfMetrics();
    expect(selfMetrics.get('factory.sdk.spans.exported')).toBe(stats.exported);
    expect(selfMetrics.get('factory.sdk.spans.dropped')).toBe(stats.dropped);
    console.info(
      `[real-receiver] outage: ended ${stats.accepted} (${runs} runs), accepted ${beforeOutage.length} + ${counts.accepted}, ` +
        `refused ${counts.refused}, exported ${stats.exported}, dropped ${stats.dropped} in ${dropReports.length} reports, failed ${stats.failed}`,
    );
  });

  it('reports a batch rejected with 400', { timeout: 60_000 }, async () => {
    const maxRequestBodySize = 64 * 1024;
    const collector = await startCollector({ maxRequestBodySize });

    const direct = await fetch(TRACES_URL, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: new Uint8Array(maxRequestBodySize + 1),
    });
    expect(direct.status, 'the collector rejects a body over max_request_body_size').toBe(400);
    expect(await direct.text()).toContain('request body too large');

    // scheduledDelayMillis is longer than recording a few runs takes, so the batches
    // are exactly the groups between the explicit flushes.
    const sdk = createTelemetry({ scheduledDelayMillis: 5_000, maxRetryDurationMillis: 10_000 }, { attributeValueLengthLimit: LARGE_VALUE_LENGTH });
    await recordRuns(sdk.telemetry, 'small-before', 5);
    await sdk.telemetry.forceFlush();
    const beforeLarge = sdk.telemetry.stats().export!.accepted;
    await recordRun(sdk.telemetry, 'large-run', largeAttributes());
    const largeRunSpans = sdk.telemetry.stats().export!.accepted - beforeLarge;
    await sdk.telemetry.forceFlush();
    await recordRuns(sdk.telemetry, 'small-after', 5);
    await sdk.telemetry.shutdown();

    const ended = 11 * SPANS_PER_RUN;
    expect(largeRunSpans).toBe(SPANS_PER_RUN);
    expect(sdk.telemetry.stats().export).toEqual({
      accepted: ended,
      exported: ended - largeRunSpans,
      dropped: 0,
      failed: largeRunSpans,
      failedByErrorType: { '400': largeRunSpans },
      pending: 0,
    });
    const failures = sdk.errors.filter((message) => message.startsWith('OTLP export of'));
    expect(failures).toEqual([
      `OTLP export of ${largeRunSpans} spans to ${TRACES_URL} failed: HTTP 400; collector response: http: request body too large. ` +
        'Affected runs (factory.run.id): large-run.',
    ]);
    expect(sdk.errors.filter((message) => !message.startsWith('OTLP export of'))).toEqual([]);

    const delivered = await collector.waitForSpans(ended - largeRunSpans);
    expect(delivered.length).toBe(ended - largeRunSpans);
    expect(distinctSpans(delivered)).toBe(ended - largeRunSpans);
    expect(delivered.filter((span) => span.runId === 'large-run')).toEqual([]);
    const counts = await collector.receiverCounts();
    expect(counts.accepted).toBe(ended - largeRunSpans);
    // The receiver rejects the body before decoding it, so none of the collector's
    // counters includes the lost spans. Only the SDK's report and self-metric count them.
    expect(counts.refused).toBe(0);
    expect(counts.failed).toBe(0);

    const selfMetrics = collector.lastSelfMetrics();
    expect(selfMetrics.get('factory.sdk.spans.exported')).toBe(ended - largeRunSpans);
    expect(selfMetrics.get('factory.sdk.spans.failed')).toBe(largeRunSpans);
    console.info(`[real-receiver] 400: ended ${ended}, accepted ${counts.accepted}, refused ${counts.refused}, failed ${largeRunSpans} (HTTP 400)`);
  });
});

const OUTAGE_MILLIS = 30_000;
/**
 * Time in ms the collector stays paused: two request timeouts plus the backoff of
 * 0.8 to 1.2 s between them, so that two attempts time out and the third starts
 * after SIGCONT.
 */
const PAUSE_MILLIS = 4_000;
/** How long the collector stays paused while the SDK's retries run out. */
const GIVE_UP_PAUSE_MILLIS = 7_000;
/** Length of each large attribute value, also the SDK's attribute value length limit in that test. */
const LARGE_VALUE_LENGTH = 4_000;

/** 40 custom attributes of LARGE_VALUE_LENGTH characters, about 160 KB on the run's root span. */
function largeAttributes(): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (let index = 0; index < 40; index += 1) attributes[`test.large.${index}`] = String(index % 10).repeat(LARGE_VALUE_LENGTH);
  return attributes;
}

/** Records one merged run with one passing attempt, which ends SPANS_PER_RUN spans. */
async function recordRun(telemetry: FactoryTelemetry, runId: string, attributes?: Record<string, string>): Promise<void> {
  const run = telemetry.startRun({
    runId,
    repository: 'acme/payments',
    changeId: 1234,
    model: 'claude-sonnet-4-5',
    provider: 'anthropic',
    complexity: 'standard',
    team: 'checkout',
    ...(attributes === undefined ? {} : { attributes }),
  });
  run.recordContext({ sources: { story: 900, code_search: 3100 }, complete: true });
  await run.attempt(async (attempt) => {
    attempt.setUsage({ inputTokens: 18_000, outputTokens: 2_400, costUsd: 0.21 });
    attempt.recordVerification({ result: 'success' });
    return true;
  });
  run.recordOutcome({ status: 'merged', attempts: 1, firstAttemptPassed: true, humanModified: false });
  run.end();
}

async function recordRuns(telemetry: FactoryTelemetry, prefix: string, count: number): Promise<void> {
  for (let index = 0; index < count; index += 1) await recordRun(telemetry, `${prefix}-${index}`);
}

/** Records one run every `intervalMillis` until `stop()`, which resolves to the number of runs. */
function recordSteadily(telemetry: FactoryTelemetry, prefix: string, intervalMillis: number): { stop: () => Promise<number> } {
  let count = 0;
  let recording = Promise.resolve();
  const timer = setInterval(() => {
    const runId = `${prefix}-${count}`;
    count += 1;
    recording = recording.then(() => recordRun(telemetry, runId));
  }, intervalMillis);
  return {
    stop: async () => {
      clearInterval(timer);
      await recording;
      return count;
    },
  };
}

/**
 * Creates a FactoryTelemetry that exports to the test collector with short request
 * timeouts, and collects every report it makes through onError.
 */
function createTelemetry(
  exportOptions: { maxQueueSize?: number; maxRetryDurationMillis?: number; scheduledDelayMillis?: number },
  options: { attributeValueLengthLimit?: number } = {},
): { telemetry: FactoryTelemetry; errors: string[] } {
  const errors: string[] = [];
  const target = (url: string): OtlpHttpTarget => ({ url, headers: {}, protocol: 'http/protobuf', timeoutMillis: REQUEST_TIMEOUT_MILLIS, compression: 'none' });
  const telemetry = new FactoryTelemetry({
    serviceName: 'real-receiver-test',
    env: {},
    onError: (error) => errors.push(error.message),
    ...options,
    export: { target: target(TRACES_URL), metricsTarget: target(METRICS_URL), exitTimeoutMillis: 2_000, ...exportOptions },
  });
  // A test that fails during a fault must not wait out the retries of its spans.
  cleanups.push(() => Promise.race([telemetry.shutdown(), sleep(3_000)]));
  return { telemetry, errors };
}

/** Collects the SDK's retry notices, which it writes to diag at debug level. */
function captureRetryNotices(): { notices: string[]; stop: () => void } {
  const notices: string[] = [];
  const ignore = (): void => undefined;
  diag.setLogger(
    {
      debug: (message) => {
        if (message.startsWith('OTLP export of batch')) notices.push(message);
      },
      verbose: ignore,
      info: ignore,
      warn: ignore,
      error: ignore,
    },
    { logLevel: DiagLogLevel.DEBUG, suppressOverrideMessage: true },
  );
  const stop = (): void => diag.disable();
  cleanups.push(async () => stop());
  return { notices, stop };
}

/** A span as the debug exporter printed it. */
interface PrintedSpan {
  traceId: string;
  spanId: string;
  runId: string | undefined;
}

interface RunningCollector {
  /** SIGSTOP: the process keeps its sockets but reads nothing. */
  pause(): void;
  /** SIGCONT. */
  resume(): void;
  /** SIGTERM, then waits for the process to exit; SIGKILL after 10 s. */
  stop(): Promise<void>;
  /** Every span in the debug output so far, one entry per received copy. */
  deliveredSpans(): PrintedSpan[];
  /** Waits up to 10 s until the debug output contains `count` spans, then returns them. */
  waitForSpans(count: number): Promise<PrintedSpan[]>;
  /** The collector's own otlp receiver counters for spans. */
  receiverCounts(): Promise<{ accepted: number; refused: number; failed: number }>;
  /** Values of the factory.sdk.spans.* metrics in the last metrics request printed, summed over data points. */
  lastSelfMetrics(): Map<string, number>;
}

/**
 * Starts the collector binary on OTLP_PORT and TELEMETRY_PORT and waits until its
 * receiver responds. `maxRequestBodySize` (bytes) limits the OTLP/HTTP request body.
 */
async function startCollector(options: { maxRequestBodySize?: number } = {}): Promise<RunningCollector> {
  const configPath = join(directory, `collector-${Date.now()}.yaml`);
  writeFileSync(configPath, collectorConfig(options.maxRequestBodySize));
  const child = spawn(binary, ['--config', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let running = true;
  void exited.then(() => (running = false));

  const stop = async (): Promise<void> => {
    if (!running) return;
    child.kill('SIGCONT');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  cleanups.push(stop);

  const ready = await waitUntil(async () => {
    const traces = await fetch(TRACES_URL, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    const metrics = await fetch(`http://127.0.0.1:${TELEMETRY_PORT}/metrics`);
    return running && traces.ok && metrics.ok;
  }, 20_000, 100);
  if (!ready) throw new Error(`the collector did not start: no response on 127.0.0.1:${OTLP_PORT} within 20 s. Its stderr:\n${stderr}`);

  const deliveredSpans = (): PrintedSpan[] => parsePrintedSpans(stdout);
  return {
    pause: () => signal(child, 'SIGSTOP'),
    resume: () => signal(child, 'SIGCONT'),
    stop,
    deliveredSpans,
    waitForSpans: async (count) => {
      await waitUntil(async () => deliveredSpans().length >= count, 10_000, 100);
      return deliveredSpans();
    },
    receiverCounts: async () => {
      const text = await (await fetch(`http://127.0.0.1:${TELEMETRY_PORT}/metrics`)).text();
      return {
        accepted: metricValue(text, 'otelcol_receiver_accepted_spans'),
        refused: metricValue(text, 'otelcol_receiver_refused_spans'),
        failed: metricValue(text, 'otelcol_receiver_failed_spans'),
      };
    },
    lastSelfMetrics: () => parseLastSelfMetrics(stdout),
  };
}

function signal(child: ChildProcess, name: NodeJS.Signals): void {
  if (!child.kill(name)) throw new Error(`sending ${name} to the collector (pid ${child.pid}) failed`);
}

/**
 * Returns a configuration with only the OTLP/HTTP receiver and the debug exporter,
 * which prints every span and data point on stdout. The collector's own metrics
 * (otelcol_receiver_*) are served on TELEMETRY_PORT.
 */
function collectorConfig(maxRequestBodySize: number | undefined): string {
  const bodyLimit = maxRequestBodySize === undefined ? '' : `\n        max_request_body_size: ${maxRequestBodySize}`;
  return `receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${OTLP_PORT}${bodyLimit}
exporters:
  debug:
    verbosity: detailed
    use_internal_logger: false
service:
  telemetry:
    logs:
      level: warn
    metrics:
      level: normal
      readers:
        - pull:
            exporter:
              prometheus:
                host: 127.0.0.1
                port: ${TELEMETRY_PORT}
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [debug]
    metrics:
      receivers: [otlp]
      exporters: [debug]
`;
}

/** Reads the spans from the debug exporter's detailed output (collector 0.165.0). */
function parsePrintedSpans(output: string): PrintedSpan[] {
  const spans: PrintedSpan[] = [];
  let current: PrintedSpan | undefined;
  for (const line of output.split('\n')) {
    if (/^Span #\d+$/.test(line)) {
      current = { traceId: '', spanId: '', runId: undefined };
      spans.push(current);
    } else if (/^(ResourceSpans|ScopeSpans|Metrics|Traces)\b/.test(line)) {
      current = undefined;
    } else if (current !== undefined) {
      const traceId = /^\s+Trace ID\s+: ([0-9a-f]{32})$/.exec(line)?.[1];
      const spanId = /^\s+ID\s+: ([0-9a-f]{16})$/.exec(line)?.[1];
      const runId = /^\s+-> factory\.run\.id: Str\((.*)\)$/.exec(line)?.[1];
      if (traceId !== undefined) current.traceId = traceId;
      if (spanId !== undefined) current.spanId = spanId;
      if (runId !== undefined) current.runId = runId;
    }
  }
  return spans;
}

/** Sums the data point values of each factory.sdk.spans.* metric in the last metrics request of the debug output. */
function parseLastSelfMetrics(output: string): Map<string, number> {
  let values = new Map<string, number>();
  let metric: string | undefined;
  for (const line of output.split('\n')) {
    if (line.startsWith('Metrics\t')) {
      values = new Map();
      metric = undefined;
    } else if (line.startsWith('Traces\t')) {
      metric = undefined;
    }
    const name = /^\s+-> Name: (\S+)$/.exec(line)?.[1];
    if (name !== undefined) metric = name.startsWith('factory.sdk.spans.') ? name : undefined;
    const value = /^Value: (\d+)$/.exec(line)?.[1];
    if (value !== undefined && metric !== undefined) values.set(metric, (values.get(metric) ?? 0) + Number(value));
  }
  return values;
}

/** Returns the sum of a counter's samples in Prometheus text format, 0 when it is absent. */
function metricValue(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) sum += Number(line.split(' ').pop());
  }
  return sum;
}

function spanKey(span: PrintedSpan): string {
  return `${span.traceId}/${span.spanId}`;
}

function distinctSpans(spans: readonly PrintedSpan[]): number {
  return new Set(spans.map(spanKey)).size;
}

function copiesBySpan(spans: readonly PrintedSpan[]): Map<string, number> {
  const copies = new Map<string, number>();
  for (const span of spans) copies.set(spanKey(span), (copies.get(spanKey(span)) ?? 0) + 1);
  return copies;
}

/** Sums the first number that `pattern` captures in each message. */
function sumOfCounts(messages: readonly string[], pattern: RegExp): number {
  return messages.reduce((sum, message) => sum + Number(pattern.exec(message)?.[1] ?? Number.NaN), 0);
}

function sleep(millis: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, millis));
}
