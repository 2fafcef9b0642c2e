// Records the same demo runs through the live pipeline (SDK -> collector ->
// Prometheus) and through the history path (SDK -> HistoryAggregator -> Prometheus),
// and checks that both give the same metrics, label names, types and units, and that
// the backfilled recording rules give the exact figures of the runs in a past window.
//
// The live collector here is a second collector process whose Prometheus exporter
// sends OTLP/JSON through a proxy, and the history path sends JSON through the same
// proxy, so that the test can compare the OTLP metric descriptors. Prometheus 3.16
// lists no metadata for series that arrived over OTLP (/api/v1/metadata reads only
// scrape targets), so the OTLP requests are where types and units are visible.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';

import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { demoExportTargets } from '../../cli/commands/demo.js';
import { simulateSmallFactory, type SimulatedRun } from '../../cli/demo/small-factory.js';
import type { CounterSeries } from '../../cli/history/aggregator.js';
import { createHistoryRecorder, evaluateAlertOverHistory, readRuleFiles, type HistoryResult } from '../../cli/history/index.js';
import { queryInstant, waitUntil } from '../../cli/prometheus.js';
import { collectorLaunch } from '../../cli/stack/launch.js';
import { FactoryIdGenerator, FactoryTelemetry } from '../../sdk/index.js';
import { startTestStack } from './stack.js';

const REPO = join(import.meta.dirname, '..', '..');
const RUNS = 40;
const SEED = 21;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const LIVE_JOB = 'history-e2e-live';
const HISTORY_JOB = 'history-e2e-history';
// Ports of the second collector and the proxy, in the range this test owns.
const PORTS = { otlpHttp: 36318, otlpGrpc: 36317, health: 36133, collectorTelemetry: 36888, prometheus: 36090 };

/** Metric names of the connectors' output in Prometheus. */
const SERIES = [
  'factory_span_calls_total',
  'factory_span_duration_seconds_bucket',
  'factory_span_duration_seconds_sum',
  'factory_span_duration_seconds_count',
  'factory_run_cost_usd_total',
  'factory_run_attempts_bucket',
  'factory_run_attempts_sum',
  'factory_run_attempts_count',
];

// Labels whose values differ between the two paths by design: the service name
// (job, service_name) and the collector process (collector_instance_id).
const PATH_LABELS = new Set(['job', 'service_name', 'collector_instance_id']);

interface OtlpMetric {
  name: string;
  unit?: string;
  description?: string;
  sum?: { aggregationTemporality?: number; isMonotonic?: boolean; dataPoints: { attributes?: { key: string }[] }[] };
  histogram?: { aggregationTemporality?: number; dataPoints: { attributes?: { key: string }[]; explicitBounds?: number[] }[] };
  gauge?: unknown;
}

interface OtlpRequest {
  resourceMetrics?: { resource?: { attributes?: { key: string; value: { stringValue?: string } }[] }; scopeMetrics?: { scope?: { name?: string }; metrics?: OtlpMetric[] }[] }[];
}

/** Passes every request to Prometheus and keeps the OTLP/JSON metric requests. */
function startProxy(prometheusUrl: string, captured: OtlpRequest[]): Promise<Server> {
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', async () => {
      const body = Buffer.concat(chunks);
      const encoding = request.headers['content-encoding'];
      try {
        if (request.url === '/api/v1/otlp/v1/metrics' && String(request.headers['content-type']).startsWith('application/json')) {
          // The collector's otlp_http exporter compresses with gzip by default.
          const text = (encoding === 'gzip' ? gunzipSync(body) : body).toString('utf8');
          captured.push(JSON.parse(text) as OtlpRequest);
        }
        const headers: Record<string, string> = { 'content-type': String(request.headers['content-type'] ?? 'application/octet-stream') };
        if (typeof encoding === 'string') headers['content-encoding'] = encoding;
        const upstream = await fetch(new URL(request.url!, prometheusUrl), {
          method: request.method,
          headers,
          body: request.method === 'GET' || request.method === 'HEAD' ? undefined : body,
        });
        response.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
        response.end(Buffer.from(await upstream.arrayBuffer()));
      } catch (error) {
        response.writeHead(502);
        response.end(String(error));
      }
    });
  });
  return new Promise((resolve) => server.listen(PORTS.prometheus, '127.0.0.1', () => resolve(server)));
}

/** Starts a collector with the repository's configuration whose Prometheus exporter sends JSON to the proxy. */
async function startJsonCollector(binary: string, stateDir: string): Promise<ChildProcess> {
  mkdirSync(stateDir, { recursive: true });
  const overlay = join(stateDir, 'json-exporter.yaml');
  writeFileSync(overlay, 'exporters:\n  otlp_http/prometheus:\n    encoding: json\n');
  const launch = collectorLaunch(binary, REPO, PORTS, '2s', process.env);
  const log = createWriteStream(join(stateDir, 'collector.log'));
  const child = spawn(launch.command, [...launch.args, '--config', overlay], { env: launch.env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  const healthy = await waitUntil(async () => (await fetch(`http://127.0.0.1:${PORTS.health}/`)).ok, 60_000, 500);
  if (!healthy) throw new Error(`the JSON collector did not become healthy; see ${join(stateDir, 'collector.log')}`);
  return child;
}

/** Per connector metric: type, temporality, unit, description and the attribute keys seen. */
function describeMetrics(requests: OtlpRequest[], serviceName: string): Map<string, string> {
  const described = new Map<string, { shape: string; keys: Set<string> }>();
  for (const request of requests) {
    for (const resource of request.resourceMetrics ?? []) {
      const service = resource.resource?.attributes?.find((attribute) => attribute.key === 'service.name')?.value.stringValue;
      if (service !== serviceName) continue;
      for (const scope of resource.scopeMetrics ?? []) {
        for (const metric of scope.metrics ?? []) {
          if (metric.name.startsWith('factory.sdk.')) continue;
          const body = metric.sum ?? metric.histogram;
          let type = 'other';
          if (metric.sum) type = 'sum';
          else if (metric.histogram) type = 'histogram';
          const bounds = metric.histogram?.dataPoints[0]?.explicitBounds ?? [];
          const shape = `${type} temporality=${body?.aggregationTemporality} monotonic=${metric.sum?.isMonotonic ?? '-'} unit=${metric.unit ?? ''} description=${metric.description ?? ''} bounds=${bounds.join(',')}`;
          const entry = described.get(metric.name) ?? { shape, keys: new Set<string>() };
          expect(entry.shape, `${metric.name} changed shape between requests`).toBe(shape);
          for (const point of body?.dataPoints ?? []) for (const attribute of point.attributes ?? []) entry.keys.add(attribute.key);
          described.set(metric.name, entry);
        }
      }
    }
  }
  return new Map([...described].map(([name, entry]) => [name, `${entry.shape} attributes=${[...entry.keys].sort().join(',')}`]));
}

async function series(prometheusUrl: string, match: string): Promise<Record<string, string>[]> {
  const url = new URL('/api/v1/series', prometheusUrl);
  url.searchParams.set('match[]', match);
  url.searchParams.set('start', String((Date.now() - 30 * DAY) / 1000));
  const body = (await (await fetch(url)).json()) as { data: Record<string, string>[] };
  return body.data;
}

function labelSets(items: Record<string, string>[]): string[] {
  return [...new Set(items.map((item) => JSON.stringify(Object.entries(item).filter(([name]) => !PATH_LABELS.has(name)).sort())))].sort();
}

function bucketBound(le: string | undefined): number {
  return le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le);
}

async function valueAt(prometheusUrl: string, query: string, timeMs: number): Promise<{ labels: Record<string, string>; value: number }[]> {
  const url = new URL('/api/v1/query', prometheusUrl);
  url.searchParams.set('query', query);
  url.searchParams.set('time', String(timeMs / 1000));
  const body = (await (await fetch(url)).json()) as { status: string; error?: string; data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
  expect(body.status, body.error).toBe('success');
  return body.data.result.map((item) => ({ labels: item.metric, value: Number(item.value[1]) }));
}

describe('history against the live pipeline', () => {
  let stack: Awaited<ReturnType<typeof startTestStack>>;
  let proxy: Server;
  let collector: ChildProcess | undefined;
  const captured: OtlpRequest[] = [];
  let runs: SimulatedRun[];
  let result: HistoryResult;
  const spans = new InMemorySpanExporter();
  let recorderSeries: CounterSeries[] = [];
  // The history's runs end in the 6 days before this time, 10 days ago, so that the
  // live runs recorded now stay out of the windows checked below.
  const historyNow = Math.floor((Date.now() - 10 * DAY) / HOUR) * HOUR;
  // A 7-day window that contains every span of the history's runs: the last deployment
  // ends at most about 6 hours after historyNow.
  const windowEnd = historyNow + 8 * HOUR;

  beforeAll(async () => {
    stack = await startTestStack('history');
    proxy = await startProxy(stack.info.prometheusUrl, captured);
    collector = await startJsonCollector(stack.info.binaries.collector, join(REPO, '.stack', 'e2e-history-json-collector'));
    const proxyUrl = `http://127.0.0.1:${PORTS.prometheus}`;

    const targets = demoExportTargets(`http://127.0.0.1:${PORTS.otlpHttp}`, process.env);
    const live = new FactoryTelemetry({ serviceName: LIVE_JOB, export: { target: targets.target, metricsTarget: targets.metricsTarget } });
    await simulateSmallFactory(live, { runs: RUNS, seed: SEED, now: new Date() });
    await live.shutdown();
    // Before the history starts, because the proxy runs in this process and the
    // history's large requests would hold up the collector's exports.
    const counted = await waitUntil(
      async () => (await queryInstant(stack.info.prometheusUrl, `sum(increase(factory_span_calls_total{job="${LIVE_JOB}", span_name="factory.outcome"}[1h] anchored))`))[0]?.value === RUNS,
      120_000,
    );
    expect(counted, 'the live runs did not all reach Prometheus').toBe(true);

    const recorder = createHistoryRecorder({
      prometheusUrl: proxyUrl,
      serviceName: HISTORY_JOB,
      promtool: join(dirname(stack.info.binaries.prometheus), 'promtool'),
      prometheusDataDir: join(stack.info.stateDir, 'prometheus-data'),
      otlpEncoding: 'json',
      log: (message) => process.stderr.write(`[history] ${message}\n`),
    });
    // The recorder's aggregator and a memory exporter in one provider, so that the
    // tests know every outcome span's end time.
    const provider = new TracerProvider({
      resource: resourceFromAttributes({ 'service.name': HISTORY_JOB }),
      idGenerator: new FactoryIdGenerator(),
      spanProcessors: [recorder.aggregator, new SimpleSpanProcessor({ exporter: spans })],
    });
    const telemetry = new FactoryTelemetry({ tracerProvider: provider });
    runs = await simulateSmallFactory(telemetry, { runs: RUNS, seed: SEED, now: new Date(historyNow) });
    result = await recorder.finish();
    recorderSeries = recorder.aggregator.snapshot().calls;

  });

  afterAll(async () => {
    collector?.kill('SIGTERM');
    await new Promise<void>((resolve) => (proxy ? proxy.close(() => resolve()) : resolve()));
    await stack?.stop();
  });

  it('aggregates every span and backfills the rules', () => {
    expect(result.spans).toBeGreaterThan(RUNS * 5);
    expect(result.spansAfterEnd).toBe(0);
    expect(result.rulesSkipped).toBeUndefined();
    expect(result.rules!.levels).toBeGreaterThan(1);
    expect(result.rules!.blocks).toBeGreaterThan(0);
  });

  it('sends the same OTLP metrics as the collector', () => {
    const live = describeMetrics(captured, LIVE_JOB);
    const history = describeMetrics(captured, HISTORY_JOB);
    expect(live.size).toBeGreaterThan(0);
    expect([...history.keys()].sort()).toEqual([...live.keys()].sort());
    for (const [name, shape] of live) expect(history.get(name), name).toBe(shape);
  });

  it.each(SERIES)('writes %s with the live label names', async (name) => {
    const live = await series(stack.info.prometheusUrl, `${name}{job="${LIVE_JOB}"}`);
    const history = await series(stack.info.prometheusUrl, `${name}{job="${HISTORY_JOB}"}`);
    expect(live.length, `no live ${name}`).toBeGreaterThan(0);
    const names = (items: Record<string, string>[]) => [...new Set(items.flatMap((item) => Object.keys(item)))].sort();
    expect(names(history)).toEqual(names(live));
    expect(labelSets(history)).toEqual(labelSets(live));
  });

  it('writes target_info for the history like the collector', async () => {
    const live = await series(stack.info.prometheusUrl, `target_info{job="${LIVE_JOB}", signal_to_metrics_service_instance_id!=""}`);
    const history = await series(stack.info.prometheusUrl, `target_info{job="${HISTORY_JOB}"}`);
    expect(history.map((item) => Object.keys(item).sort())).toEqual(live.map((item) => Object.keys(item).sort()));
  });

  it('backfills the run counts of a past window', async () => {
    const oneShot = runs.filter((run) => run.oneShot).length;
    const autonomous = runs.filter((run) => run.autonomous).length;
    const at = (query: string) => valueAt(stack.info.prometheusUrl, query, windowEnd);
    expect(await at('factory:runs_resolved:increase_7d')).toEqual([{ labels: { __name__: 'factory:runs_resolved:increase_7d' }, value: RUNS }]);
    expect((await at('factory:runs_one_shot:increase_7d'))[0]?.value).toBe(oneShot);
    expect((await at('factory:runs_autonomous:increase_7d'))[0]?.value).toBe(autonomous);
    expect((await at('factory:one_shot_success:ratio_7d'))[0]?.value).toBeCloseTo(oneShot / RUNS, 12);
  });

  it('backfills the model and complexity slices', async () => {
    const expected = new Map<string, number>();
    for (const run of runs) expected.set(`${run.model}/${run.complexity}`, (expected.get(`${run.model}/${run.complexity}`) ?? 0) + 1);
    const samples = await valueAt(stack.info.prometheusUrl, 'model_complexity:factory_runs_resolved:increase_7d', windowEnd);
    const actual = new Map(samples.map((sample) => [`${sample.labels.model}/${sample.labels.complexity}`, sample.value]));
    expect(actual).toEqual(expected);
  });

  it('backfills cycle time and MLTC buckets', async () => {
    const cycle = await valueAt(stack.info.prometheusUrl, 'le:factory_cycle_time_seconds_bucket:increase_7d', windowEnd);
    const mltc = await valueAt(stack.info.prometheusUrl, 'le:factory_mltc_seconds_bucket:increase_7d', windowEnd);
    expect(cycle.length).toBeGreaterThan(10);
    for (const bucket of cycle) {
      const le = bucketBound(bucket.labels.le);
      expect(bucket.value, `cycle time le=${bucket.labels.le}`).toBe(runs.filter((run) => run.cycleTimeSeconds !== undefined && run.cycleTimeSeconds <= le).length);
    }
    for (const bucket of mltc) {
      const le = bucketBound(bucket.labels.le);
      expect(bucket.value, `MLTC le=${bucket.labels.le}`).toBe(runs.filter((run) => run.mltcSeconds !== undefined && run.mltcSeconds <= le).length);
    }
    const merged = runs.filter((run) => run.merged).length;
    expect((await valueAt(stack.info.prometheusUrl, 'factory:reviews_merged:increase_7d', windowEnd))[0]?.value).toBe(merged);
  });

  // The step end at which the history counts each outcome span.
  const outcomeSteps = () =>
    spans
      .getFinishedSpans()
      .filter((span) => span.name === 'factory.outcome')
      .map((span) => Math.ceil((span.endTime[0] * 1000 + span.endTime[1] / 1e6) / HOUR) * HOUR)
      .sort((a, b) => a - b);
  const outcomesBefore = (timeMs: number) => outcomeSteps().filter((step) => step > timeMs - 7 * DAY && step <= timeMs).length;

  it('counts a window that starts inside the history', async () => {
    const at = historyNow + 2 * DAY;
    const expected = outcomesBefore(at);
    expect(expected).toBeGreaterThan(0);
    expect(expected).toBeLessThan(RUNS);
    expect((await valueAt(stack.info.prometheusUrl, 'factory:runs_resolved:increase_7d', at))[0]?.value).toBe(expected);
  });

  it('counts a new label set between two steps', async () => {
    // The window starts half an hour before a step that counts outcomes. No sample
    // lies within the lookback delta before that start, so the count relies on the
    // zero written just before the step of a series' first span.
    const steps = outcomeSteps();
    const at = steps[Math.floor(steps.length / 2)]! + 7 * DAY - 30 * 60_000;
    const query = `sum(increase(factory_span_calls_total{job="${HISTORY_JOB}", span_name="factory.outcome"}[7d] anchored))`;
    expect((await valueAt(stack.info.prometheusUrl, query, at))[0]?.value).toBe(outcomesBefore(at));
  });

  it('counts a grown counter between two steps', async () => {
    // As above, at the second step of a label set, where the count relies on the
    // copy of the previous value written just before the step.
    const grown = recorderSeries.find((series) => series.attributes['span.name'] === 'factory.outcome' && series.increments.size >= 2);
    expect(grown, 'no outcome label set with runs in two steps; raise RUNS').toBeDefined();
    const second = [...grown!.increments.keys()].sort((a, b) => a - b)[1]! * HOUR;
    const at = second + 7 * DAY - 30 * 60_000;
    const query = `sum(increase(factory_span_calls_total{job="${HISTORY_JOB}", span_name="factory.outcome"}[7d] anchored))`;
    expect((await valueAt(stack.info.prometheusUrl, query, at))[0]?.value).toBe(outcomesBefore(at));
  });

  it('counts nothing before the first run', async () => {
    const before = await valueAt(stack.info.prometheusUrl, 'factory:runs_resolved:increase_7d', historyNow - 7 * DAY);
    expect(before.every((sample) => sample.value === 0)).toBe(true);
  });

  it('keeps backfilled rules within the lookback delta', async () => {
    const url = new URL('/api/v1/query_range', stack.info.prometheusUrl);
    url.searchParams.set('query', 'factory:runs_resolved:increase_7d');
    url.searchParams.set('start', String((windowEnd - 2 * HOUR) / 1000));
    url.searchParams.set('end', String(windowEnd / 1000));
    url.searchParams.set('step', '60s');
    const body = (await (await fetch(url)).json()) as { data: { result: { values: unknown[] }[] } };
    expect(body.data.result).toHaveLength(1);
    expect(body.data.result[0]!.values).toHaveLength(121);
  });

  it('evaluates an alert over the history', async () => {
    const rule = readRuleFiles(join(REPO, 'prometheus', 'rules')).find((item) => item.kind === 'alert')!;
    const history = await evaluateAlertOverHistory({ prometheusUrl: stack.info.prometheusUrl, rule, startMs: historyNow - 7 * DAY, endMs: windowEnd, stepMs: HOUR });
    expect(Array.isArray(history.series)).toBe(true);
    for (const item of history.series) expect(item.labels.alertname).toBe(rule.name);
  });
});
