import { resourceFromAttributes } from '@opentelemetry/resources';
import { AlwaysOnSampler, ParentBasedSampler, TracerProvider, type SpanProcessor } from '@opentelemetry/sdk-trace';
import {
  ExitSafeSpanProcessor,
  FactoryIdGenerator,
  FactoryTelemetry,
  otlpHttpMetricsTargetFromEnv,
  otlpHttpTargetFromEnv,
  type ExportStats,
  type TelemetryStats,
} from '../../sdk/index.js';
import { createHistoryRecorder, type HistoryRecorderOptions, type HistoryResult } from '../history/index.js';
import type { ImportedPullRequest } from './pull-requests.js';
import { ImportAttributesProcessor, lastEventTime, recordPullRequest } from './record.js';

/**
 * Records imported pull requests live (OTLP to the collector, now) or as history
 * (aggregated and pushed into Prometheus at the pull requests' own times, moved
 * so that the last event is at the current hour).
 */

const HOUR_MS = 3_600_000;
const WEEK_MS = 7 * 24 * HOUR_MS;
/**
 * How far back a history import reaches from its last event. Prometheus's
 * out-of-order window (13 weeks in prometheus/prometheus.yml) must cover it; one
 * week is left as margin for the hour alignment and a slow import.
 */
export const HISTORY_MAX_WEEKS = 12;
// Flushing every few hundred pull requests keeps the export queue far below its limit.
const FLUSH_EVERY = 500;

export type ImportTarget =
  | { kind: 'live'; serviceName: string }
  | { kind: 'history'; serviceName: string; history: Pick<HistoryRecorderOptions, 'prometheusUrl' | 'promtool' | 'prometheusDataDir' | 'stepMs'> };

export interface PullRequestImportOptions {
  target: ImportTarget;
  /** History only: leave out pull requests opened before this time (in the source's own time). Default: 12 weeks before the last event. */
  since?: Date;
  /** History only: the time the last event moves to, floored to the history step. Default: now. */
  now?: Date;
  /** Receives the number of pull requests recorded so far, every FLUSH_EVERY and at the end. */
  onProgress?: (done: number) => void;
  /** Progress lines of the history push. */
  log?: (message: string) => void;
  /** Receives the SDK's and the exporter's problem reports. */
  onError: (error: Error) => void;
}

export interface PullRequestImportResult {
  /** Pull requests recorded, and those left out because they opened before `since`. */
  recorded: number;
  leftOut: number;
  open: number;
  outcomes: number;
  attempts: number;
  attemptsWithoutEnd: number;
  /** History only: milliseconds added to every source time, and the window of source times imported. */
  shiftMs: number;
  since?: Date;
  lastEvent?: Date;
  history?: HistoryResult;
  telemetry: TelemetryStats;
  /** Live only: the OTLP exporter's counts. */
  export?: ExportStats;
}

/** Imports `pullRequests`. Throws when `since` lies further back than the history can reach. */
export async function importPullRequests(pullRequests: readonly ImportedPullRequest[], options: PullRequestImportOptions): Promise<PullRequestImportResult> {
  const attributes = new ImportAttributesProcessor();
  const base = { recorded: 0, leftOut: 0, open: 0, outcomes: 0, attempts: 0, attemptsWithoutEnd: 0, shiftMs: 0 };

  let selected = pullRequests;
  let window: { since: Date; lastEvent: Date; endMs: number } | undefined;
  if (options.target.kind === 'history') {
    window = historyWindow(pullRequests, options.since, options.now ?? new Date(), options.target.history.stepMs);
    const sinceMs = window?.since.getTime() ?? 0;
    selected = pullRequests.filter((pr) => pr.createdAt.getTime() >= sinceMs);
  }
  const shiftMs = window === undefined ? 0 : window.endMs - window.lastEvent.getTime();

  const sink = openSink(options.target, attributes, options, window?.endMs);
  const telemetry = new FactoryTelemetry({ tracerProvider: sink.provider, onError: options.onError });
  const result: PullRequestImportResult = { ...base, leftOut: pullRequests.length - selected.length, shiftMs, since: window?.since, lastEvent: window?.lastEvent, telemetry: telemetry.stats() };

  for (const [index, pr] of selected.entries()) {
    const recorded = recordPullRequest(telemetry, attributes, pr, shiftMs);
    result.recorded += 1;
    result.attempts += recorded.attempts;
    result.attemptsWithoutEnd += recorded.attemptsWithoutEnd;
    if (recorded.outcome) result.outcomes += 1;
    if (pr.closedAt === undefined) result.open += 1;
    if ((index + 1) % FLUSH_EVERY === 0) {
      await sink.provider.forceFlush();
      options.onProgress?.(index + 1);
    }
  }
  await sink.provider.forceFlush();
  options.onProgress?.(selected.length);

  result.history = await sink.finish();
  result.telemetry = telemetry.stats();
  result.export = sink.exportStats?.();
  return result;
}

/**
 * The source times a history import covers, and the time its last event moves to:
 * `now` floored to the history step (default 1 hour), where the history ends, so
 * that no span ends after it. Undefined when there is nothing to import.
 */
export function historyWindow(
  pullRequests: readonly ImportedPullRequest[],
  since: Date | undefined,
  now: Date,
  stepMs: number = HOUR_MS,
): { since: Date; lastEvent: Date; endMs: number } | undefined {
  const lastEvent = lastEventTime(pullRequests);
  if (lastEvent === undefined) return undefined;
  const earliest = lastEvent.getTime() - HISTORY_MAX_WEEKS * WEEK_MS;
  if (since !== undefined && since.getTime() < earliest) {
    throw new Error(
      `--since ${since.toISOString()} is more than ${HISTORY_MAX_WEEKS} weeks before the last event (${lastEvent.toISOString()}), ` +
        `further back than Prometheus accepts history; pass --since ${new Date(earliest).toISOString()} or later`,
    );
  }
  return { since: since ?? new Date(earliest), lastEvent, endMs: Math.floor(now.getTime() / stepMs) * stepMs };
}

interface Sink {
  provider: TracerProvider;
  finish(): Promise<HistoryResult | undefined>;
  exportStats?: () => ExportStats;
}

function openSink(target: ImportTarget, attributes: ImportAttributesProcessor, options: PullRequestImportOptions, endMs: number | undefined): Sink {
  const provider = (processor: SpanProcessor): TracerProvider =>
    new TracerProvider({
      resource: resourceFromAttributes({ 'service.name': target.serviceName }),
      idGenerator: new FactoryIdGenerator(),
      sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }),
      spanProcessors: [attributes, processor],
    });

  if (target.kind === 'history') {
    const recorder = createHistoryRecorder({
      ...target.history,
      serviceName: target.serviceName,
      end: endMs === undefined ? undefined : new Date(endMs),
      log: options.log,
    });
    const tracerProvider = provider(recorder.aggregator);
    return {
      provider: tracerProvider,
      finish: async () => {
        await tracerProvider.forceFlush();
        return recorder.finish();
      },
    };
  }

  const exporter = new ExitSafeSpanProcessor({
    target: otlpHttpTargetFromEnv().target,
    metricsTarget: otlpHttpMetricsTargetFromEnv().target,
    serviceName: target.serviceName,
    // A command someone waits for gives up on an unreachable collector after a
    // minute instead of the SDK's default five, and reports what was lost.
    maxRetryDurationMillis: 60_000,
    onError: (error) => options.onError(error),
  });
  const tracerProvider = provider(exporter);
  return {
    provider: tracerProvider,
    finish: async () => {
      await tracerProvider.shutdown();
      return undefined;
    },
    exportStats: () => exporter.stats(),
  };
}
