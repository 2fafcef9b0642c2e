import { join } from 'node:path';

import { resourceFromAttributes } from '@opentelemetry/resources';
import { AlwaysOnSampler, ParentBasedSampler, TracerProvider } from '@opentelemetry/sdk-trace';
import { parse } from 'yaml';

import { FactoryIdGenerator } from '../../sdk/index.js';
import { findRepoRoot } from '../stack/options.js';
import { HistoryAggregator } from './aggregator.js';
import { readConnectorDefinitions } from './collector-config.js';
import { pushHistory } from './otlp-push.js';
import { backfillRules, type RuleBackfillResult } from './rule-backfill.js';
import { prometheusDurationMs, readRuleFiles } from './rule-levels.js';

const HOUR_MS = 3_600_000;
const FIVE_MINUTES_MS = 300_000;

export interface HistoryRecorderOptions {
  /** Base URL of a Prometheus 3.16+ with the OTLP receiver and an out-of-order window that covers the history. */
  prometheusUrl: string;
  /** `service.name` of the recorded spans, which becomes `job` and `service_name`. Default `factory-telemetry`. */
  serviceName?: string;
  /** Spans that end after this time are left out. Default: when the recorder is created. */
  end?: Date;
  /** Width of one history step in ms: spans are stamped at the end of their step. Default 1 hour. */
  stepMs?: number;
  /** Time between two backfilled recording-rule samples in ms. Default 5 minutes, Prometheus's lookback delta. */
  ruleSampleStepMs?: number;
  /** Collector configuration to read the connectors from. Default: collector/config.yaml of this package. */
  collectorConfig?: string;
  /** Directory of the recording rules to backfill. Default: prometheus/rules of this package. */
  rulesDir?: string;
  /** promtool of the same Prometheus build. Without it (or without `prometheusDataDir`), rules are not backfilled. */
  promtool?: string;
  /** Prometheus's --storage.tsdb.path, where rule blocks are moved. */
  prometheusDataDir?: string;
  /** Encoding of the OTLP requests. Default protobuf; json lets a proxy read them. */
  otlpEncoding?: 'protobuf' | 'json';
  /** Progress lines. Default: none. */
  log?: (message: string) => void;
}

export interface HistoryResult {
  /** Spans aggregated, and spans left out because they ended after `end` or had no service.name. */
  spans: number;
  spansAfterEnd: number;
  spansWithoutService: number;
  /** Raw series (span_metrics and signal_to_metrics label sets) written. */
  series: number;
  dataPoints: number;
  requests: number;
  /** First and last sample time of the raw history, or undefined without spans. */
  start?: Date;
  end?: Date;
  /** Undefined when rules were not backfilled, with the reason in `rulesSkipped`. */
  rules?: RuleBackfillResult;
  rulesSkipped?: string;
  seconds: { push: number; rules: number };
}

export interface HistoryRecorder {
  /** Record through this provider (FactoryTelemetry's `tracerProvider` option). It exports nothing by itself. */
  tracerProvider: TracerProvider;
  /**
   * Returns a provider with another `service.name` that feeds the same history, for
   * runs recorded from several processes (harness, webhook handler, deploy job).
   */
  tracerProviderFor(serviceName: string): TracerProvider;
  aggregator: HistoryAggregator;
  /** Writes the aggregated history to Prometheus and backfills the recording rules. Call once. */
  finish(): Promise<HistoryResult>;
}

/**
 * Creates a recorder that gives Prometheus a past. Spans recorded through its tracer
 * provider become the series that the collector would have written at the spans'
 * end times. `finish()` pushes them to Prometheus's OTLP receiver, evaluates the
 * recording rules over them and writes the results as TSDB blocks. docs/history.md
 * explains the steps and limits.
 */
export function createHistoryRecorder(options: HistoryRecorderOptions): HistoryRecorder {
  const stepMs = options.stepMs ?? HOUR_MS;
  const ruleSampleStepMs = options.ruleSampleStepMs ?? FIVE_MINUTES_MS;
  const definitions = readConnectorDefinitions(options.collectorConfig ?? join(findRepoRoot(), 'collector', 'config.yaml'));
  // The last step must not lie in the future, where it would move the head past
  // the live samples.
  const endMs = Math.floor((options.end ?? new Date()).getTime() / stepMs) * stepMs;
  const aggregator = new HistoryAggregator({ definitions, stepMs, notAfterMs: endMs });
  const providers: TracerProvider[] = [];
  const tracerProviderFor = (serviceName: string): TracerProvider => {
    const provider = new TracerProvider({
      resource: resourceFromAttributes({ 'service.name': serviceName }),
      idGenerator: new FactoryIdGenerator(),
      sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }),
      spanProcessors: [aggregator],
    });
    providers.push(provider);
    return provider;
  };
  const tracerProvider = tracerProviderFor(options.serviceName ?? 'factory-telemetry');
  let finished = false;

  const finish = async (): Promise<HistoryResult> => {
    if (finished) throw new Error('finish() was called twice on one history recorder; create a new recorder for more history.');
    finished = true;
    await Promise.all(providers.map((provider) => provider.forceFlush()));
    const stats = aggregator.stats();
    const range = aggregator.stepRange();
    const base = { spans: stats.spans, spansAfterEnd: stats.spansAfterEnd, spansWithoutService: stats.spansWithoutService, series: stats.series };
    if (range === undefined) return { ...base, dataPoints: 0, requests: 0, rulesSkipped: 'no spans were recorded', seconds: { push: 0, rules: 0 } };

    const lastStep = endMs / stepMs;
    const startMs = (range.first - 1) * stepMs;
    await checkOutOfOrderWindow(options.prometheusUrl, startMs);

    const pushStarted = performance.now();
    options.log?.(`pushing ${stats.series} series from ${new Date(startMs).toISOString()} to ${new Date(endMs).toISOString()}`);
    const pushed = await pushHistory({
      prometheusUrl: options.prometheusUrl,
      definitions,
      series: aggregator.snapshot(),
      stepMs,
      firstStep: range.first,
      lastStep,
      collectorInstanceId: aggregator.collectorInstanceId,
      encoding: options.otlpEncoding,
    });
    const pushSeconds = (performance.now() - pushStarted) / 1000;
    const result: HistoryResult = { ...base, ...pushed, start: new Date(startMs), end: new Date(endMs), seconds: { push: pushSeconds, rules: 0 } };

    if (options.promtool === undefined || options.prometheusDataDir === undefined) {
      result.rulesSkipped = 'no promtool or Prometheus data directory was given';
      return result;
    }
    // Rule samples after Prometheus started would sit beside the ones it evaluates
    // itself, so the backfill stops at its start.
    // NOTE: the samples Prometheus evaluated between its start and the end of the
    // push saw no history or part of it, and they are not replaced.
    const serverStart = await prometheusStartMs(options.prometheusUrl);
    const rulesEndMs = Math.min(endMs, Math.floor(serverStart / stepMs) * stepMs);
    if (rulesEndMs <= startMs) {
      result.rulesSkipped = `Prometheus started at ${new Date(serverStart).toISOString()}, before the history, so it evaluated the rules itself`;
      return result;
    }
    const rulesStarted = performance.now();
    result.rules = await backfillRules({
      prometheusUrl: options.prometheusUrl,
      promtool: options.promtool,
      dataDir: options.prometheusDataDir,
      rules: readRuleFiles(options.rulesDir ?? join(findRepoRoot(), 'prometheus', 'rules')),
      startMs: startMs + stepMs,
      endMs: rulesEndMs,
      evaluationStepMs: stepMs,
      sampleStepMs: ruleSampleStepMs,
      log: options.log,
    });
    result.seconds.rules = (performance.now() - rulesStarted) / 1000;
    return result;
  };

  return { tracerProvider, tracerProviderFor, aggregator, finish };
}

// Prometheus rejects a sample older than the newest one minus the window, so a
// history that starts earlier would fail half way through the push.
async function checkOutOfOrderWindow(prometheusUrl: string, startMs: number): Promise<void> {
  const response = await fetch(new URL('/api/v1/status/config', prometheusUrl), { signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`cannot read the configuration of Prometheus at ${prometheusUrl}: HTTP ${response.status}`);
  const body = (await response.json()) as { data: { yaml: string } };
  const config = parse(body.data.yaml) as { storage?: { tsdb?: { out_of_order_time_window?: string } } } | null;
  const window = config?.storage?.tsdb?.out_of_order_time_window;
  const windowMs = window === undefined ? 0 : prometheusDurationMs(window);
  const neededMs = Date.now() - startMs;
  if (windowMs < neededMs) {
    throw new Error(
      `the history starts ${Math.ceil(neededMs / 86_400_000)} days ago, but Prometheus at ${prometheusUrl} accepts samples only ${window ?? '0s'} into the past. ` +
        'Set storage.tsdb.out_of_order_time_window in its configuration to cover the history (prometheus/prometheus.yml sets 13w).',
    );
  }
}

async function prometheusStartMs(prometheusUrl: string): Promise<number> {
  const response = await fetch(new URL('/api/v1/status/runtimeinfo', prometheusUrl), { signal: AbortSignal.timeout(10_000) });
  const body = (await response.json()) as { data: { startTime: string } };
  return Date.parse(body.data.startTime);
}
