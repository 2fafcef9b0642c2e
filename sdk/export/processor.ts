import { randomUUID } from 'node:crypto';
import { writeSync } from 'node:fs';

import { type Context, diag, TraceFlags } from '@opentelemetry/api';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';

import { type OtlpHttpTarget, otlpHttpMetricsTargetFromEnv } from './env.js';
import { installExitHooks } from './exit-hooks.js';
import {
  type BatchSettledMessage,
  type ExportEndpointConfig,
  type ExportSignal,
  ExportWorker,
  type ExportWorkerConfig,
  type ExportWorkerMessage,
} from './export-worker.js';
import { readCollectorMessage, readPartialSuccess } from './response.js';
import { RunIdSet } from './run-ids.js';
import { serializeSelfMetrics } from './self-metrics.js';
import { countSpans, describe, positiveInteger } from './helpers.js';

/** Options of ExitSafeSpanProcessor. */
export interface ExitSafeSpanProcessorOptions {
  /** Collector traces endpoint and request settings, for example from `otlpHttpTargetFromEnv()`. */
  target: OtlpHttpTarget;
  /** Maximum time in ms that an ended span waits before its batch is sent. Default 200. */
  scheduledDelayMillis?: number;
  /** Maximum number of spans per OTLP request. Default 512, at most `maxQueueSize`. */
  maxExportBatchSize?: number;
  /**
   * Maximum number of accepted spans not yet settled (waiting, being sent or being
   * retried). Spans that end while the limit is reached are dropped and counted.
   * Default 10000.
   */
  maxQueueSize?: number;
  /**
   * Maximum time in ms during which a batch is retried after network errors, timeouts
   * and HTTP 429, 502, 503 and 504, counted from its first request. Afterwards its
   * spans count as failed. Default 300000 (5 minutes).
   */
  maxRetryDurationMillis?: number;
  /**
   * Maximum time in ms that the process waits at exit, or on SIGTERM or SIGINT, for
   * pending spans and the last self-metrics to be delivered. Default 5000.
   */
  exitTimeoutMillis?: number;
  /**
   * Whether to send the span counts as the metrics factory.sdk.spans.exported,
   * factory.sdk.spans.dropped and factory.sdk.spans.failed. Default true.
   */
  selfMetrics?: boolean;
  /**
   * Collector metrics endpoint for the self-metrics. Default: `otlpHttpMetricsTargetFromEnv()`
   * of `process.env`, whose problems go to `onError`.
   */
  metricsTarget?: OtlpHttpTarget;
  /** Time in ms between two self-metrics requests. Default 15000. */
  metricsIntervalMillis?: number;
  /**
   * `service.name` resource attribute of the self-metrics. Pass the `service.name` of
   * the TracerProvider's resource. Default: that attribute of the first span's resource.
   */
  serviceName?: string;
  /**
   * Receives every export problem: failed batches, partial success rejections, queue
   * overflows and self-metrics failures. Default: `diag.error` of `@opentelemetry/api`,
   * which prints nothing unless a diag logger is registered. Exceptions thrown by it
   * are ignored.
   */
  onError?: (error: Error) => void;
  /**
   * Called once, synchronously, when the process exits or gets SIGTERM or SIGINT,
   * before the final flush; spans it ends are part of that flush. The SDK uses it
   * to end the spans of runs that were still open. Exceptions are ignored.
   */
  beforeExitFlush?: () => void;
}

/**
 * Span counts since the processor was created. `accepted` equals
 * `exported + dropped + failed + pending`.
 */
export interface ExportStats {
  /** Sampled spans that ended while the processor was running. */
  accepted: number;
  /** Spans the collector accepted. */
  exported: number;
  /** Spans refused because `maxQueueSize` spans were pending. */
  dropped: number;
  /**
   * Spans whose export failed permanently: a non-retryable response such as HTTP 400,
   * retries that went on for `maxRetryDurationMillis`, spans the collector rejected in
   * a partial success response, a serialization or worker failure, or spans still
   * pending at the exit deadline.
   */
  failed: number;
  /**
   * `failed` by the `error.type` of the factory.sdk.spans.failed metric: the HTTP
   * status code such as '400', 'timeout', 'network', 'rejected' (partial success),
   * 'serialization' or '_OTHER'.
   */
  failedByErrorType: Record<string, number>;
  /** Spans accepted but not yet settled. */
  pending: number;
}

const DEFAULT_SCHEDULED_DELAY_MILLIS = 200;
const DEFAULT_MAX_EXPORT_BATCH_SIZE = 512;
const DEFAULT_MAX_QUEUE_SIZE = 10_000;
const DEFAULT_MAX_RETRY_DURATION_MILLIS = 300_000;
const DEFAULT_EXIT_TIMEOUT_MILLIS = 5_000;
const DEFAULT_TIMEOUT_MILLIS = 10_000;
const DEFAULT_METRICS_INTERVAL_MILLIS = 15_000;

// Backoff of the export worker: the initial delay, growth of 1.5 and +-20% jitter of the
// retrying transport in @opentelemetry/otlp-exporter-base 0.223, plus limits on the
// delay and on a collector's Retry-After.
const RETRY_POLICY = {
  initialBackoffMillis: 1_000,
  maxBackoffMillis: 5_000,
  maxRetryAfterMillis: 30_000,
} as const;
const MAX_CONCURRENT_REQUESTS = 4;
const MAX_RESPONSE_BYTES = 64 * 1024;
const USER_AGENT = 'factory-telemetry-exit-safe-span-processor';
/** Time in ms after the first drop of a burst by which the drops are reported. */
const DROP_REPORT_DELAY_MILLIS = 5_000;
/** Upper limit in ms for the part of the exit time kept for the last self-metrics. */
const MAX_METRICS_EXIT_RESERVE_MILLIS = 1_000;

/** A batch posted to the worker and not yet settled. */
type PostedBatch = { signal: 'traces'; spanCount: number; runIds: RunIdSet } | { signal: 'metrics' };

/** Spans dropped since the last drop report. */
interface DropBurst {
  spanCount: number;
  runIds: RunIdSet;
  /** Reports the burst DROP_REPORT_DELAY_MILLIS after its first drop, if it has not ended. */
  timer: NodeJS.Timeout;
}

/**
 * Span processor that sends spans to an OTLP/HTTP collector from a worker thread, so
 * that spans also reach the collector when the process exits right after recording them.
 *
 * The main thread batches ended spans, serializes each batch as protobuf or JSON (see
 * `target.protocol`) and posts the bytes to the worker. The worker sends them and
 * retries network errors, timeouts, 429, 502, 503 and 504 with exponential backoff,
 * honouring Retry-After up to 30 s, until `maxRetryDurationMillis` have passed since
 * the batch's first request.
 *
 * The process may end by returning, `process.exit(n)`, an uncaught exception or an
 * unhandled rejection. In each case the 'exit' listener posts the queued spans and
 * blocks until the worker has settled every span batch or the exit deadline,
 * `exitTimeoutMillis` after the exit flush started, is near. It then sends the
 * self-metrics with the final counts and waits for them until the deadline. On SIGTERM
 * and SIGINT it does the same and then re-raises the signal, unless the host listens
 * to that signal itself (see installExitHooks). Batches already in the worker are waited for, never posted again,
 * so the exit flush adds no duplicates. Spans still pending when the wait for spans
 * ends count as failed, and one line on stderr names their count, the endpoint and
 * their runs.
 *
 * The self-metrics are the counts of `stats()` as OTLP metrics, sent every
 * `metricsIntervalMillis`, at `forceFlush()`, at `shutdown()` and at exit (see
 * serializeSelfMetrics).
 *
 * Neither the worker nor timers keep the process alive, except that a pending
 * `forceFlush()` or `shutdown()` keeps it alive until its promise settles. onEnd and the
 * exit listener never throw. Problems are counted in `stats()` and passed to `onError`,
 * with the `factory.run.id` values of the spans they affect.
 */
export class ExitSafeSpanProcessor implements SpanProcessor {
  private readonly target: OtlpHttpTarget;
  private readonly scheduledDelayMillis: number;
  private readonly maxExportBatchSize: number;
  private readonly maxQueueSize: number;
  private readonly maxRetryDurationMillis: number;
  private readonly exitTimeoutMillis: number;
  private readonly onError: (error: Error) => void;
  private readonly beforeExitFlush: (() => void) | undefined;
  private beforeExitFlushCalled = false;
  /** Target URL without credentials and query, safe to print. */
  private readonly endpointForMessages: string;
  private readonly serializer: typeof ProtobufTraceSerializer;
  private readonly workerConfig: ExportWorkerConfig;

  private readonly queue: ReadableSpan[] = [];
  /** Batches posted to the worker and not yet settled, by batch id. */
  private readonly postedBatches = new Map<number, PostedBatch>();
  private nextBatchId = 1;
  private worker: ExportWorker | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly flushWaiters: { lastBatchId: number; resolve: () => void }[] = [];

  private accepted = 0;
  private exported = 0;
  private dropped = 0;
  private failed = 0;
  private readonly failedByErrorType = new Map<string, number>();
  private dropBurst: DropBurst | undefined;
  private reportedSpansAfterShutdown = false;
  private workerStartFailed = false;

  /** Settings of the self-metrics, or undefined when they are off. */
  private readonly selfMetrics:
    | {
        target: OtlpHttpTarget;
        endpointForMessages: string;
        intervalMillis: number;
        timer: NodeJS.Timeout;
        /** Epoch ms when counting started. */
        startTimeMillis: number;
        /** Identifies this processor's series among those of other processes. */
        instanceId: string;
      }
    | undefined;
  /** `service.name` of the self-metrics, from the option or the first span's resource. */
  private serviceName: string | undefined;
  /** Whether a self-metrics failure was reported since the last delivery. */
  private metricsFailureReported = false;

  private removeExitHooks: (() => void) | undefined;
  private shutdownPromise: Promise<void> | undefined;
  /** Set once shutdown has stopped the worker, which must not start again. */
  private stopped = false;
  /** Epoch ms until which the exit flush waits, set by the first exit or signal flush. */
  private exitDeadline: number | undefined;

  /**
   * Creates the processor and installs its 'exit', SIGTERM and SIGINT listeners. The
   * worker thread starts when the first span starts. Invalid numeric options are
   * replaced by their defaults and reported through `onError`. An invalid
   * `metricsTarget` turns the self-metrics off and is reported the same way.
   *
   * @throws TypeError if `target.url` is not an http:// or https:// URL
   */
  constructor(options: ExitSafeSpanProcessorOptions) {
    this.onError = options.onError ?? ((error) => diag.error(error.message));
    this.beforeExitFlush = options.beforeExitFlush;
    const problems: string[] = [];

    const url = parseHttpUrl(options.target.url);
    this.endpointForMessages = `${url.origin}${url.pathname}`;
    this.target = {
      ...options.target,
      timeoutMillis: positiveInteger('target.timeoutMillis', options.target.timeoutMillis, DEFAULT_TIMEOUT_MILLIS, problems),
    };
    this.scheduledDelayMillis = positiveInteger(
      'scheduledDelayMillis',
      options.scheduledDelayMillis,
      DEFAULT_SCHEDULED_DELAY_MILLIS,
      problems,
    );
    this.maxQueueSize = positiveInteger('maxQueueSize', options.maxQueueSize, DEFAULT_MAX_QUEUE_SIZE, problems);
    this.maxExportBatchSize = Math.min(
      positiveInteger('maxExportBatchSize', options.maxExportBatchSize, DEFAULT_MAX_EXPORT_BATCH_SIZE, problems),
      this.maxQueueSize,
    );
    this.maxRetryDurationMillis = positiveInteger(
      'maxRetryDurationMillis',
      options.maxRetryDurationMillis,
      DEFAULT_MAX_RETRY_DURATION_MILLIS,
      problems,
    );
    this.exitTimeoutMillis = positiveInteger(
      'exitTimeoutMillis',
      options.exitTimeoutMillis,
      DEFAULT_EXIT_TIMEOUT_MILLIS,
      problems,
    );
    this.serviceName = options.serviceName;

    const json = this.target.protocol === 'http/json';
    this.serializer = json ? JsonTraceSerializer : ProtobufTraceSerializer;
    const endpoints: Partial<Record<ExportSignal, ExportEndpointConfig>> = { traces: endpointConfig(url, this.target) };

    if (options.selfMetrics !== false) {
      const intervalMillis = positiveInteger(
        'metricsIntervalMillis',
        options.metricsIntervalMillis,
        DEFAULT_METRICS_INTERVAL_MILLIS,
        problems,
      );
      const metricsTarget = this.resolveMetricsTarget(options.metricsTarget, problems);
      if (metricsTarget !== undefined) {
        endpoints.metrics = endpointConfig(metricsTarget.url, metricsTarget.target);
        const timer = setInterval(() => this.exportSelfMetricsSafely(), intervalMillis);
        timer.unref();
        this.selfMetrics = {
          target: metricsTarget.target,
          endpointForMessages: `${metricsTarget.url.origin}${metricsTarget.url.pathname}`,
          intervalMillis,
          timer,
          startTimeMillis: Date.now(),
          instanceId: randomUUID(),
        };
      }
    }

    this.workerConfig = {
      endpoints,
      userAgent: USER_AGENT,
      maxConcurrentRequests: MAX_CONCURRENT_REQUESTS,
      maxResponseBytes: MAX_RESPONSE_BYTES,
      ...RETRY_POLICY,
    };

    for (const problem of problems) {
      this.report(new Error(problem));
    }
    this.removeExitHooks = installExitHooks({
      flushSync: () => this.flushSync(),
      flushAsync: () => this.exportQueuedSafely(),
    });
  }

  /**
   * Starts the export worker thread if it is not running yet, so that it is ready when
   * the span ends. After a failed start only the next batch tries again.
   */
  onStart(_span: Span, _parentContext: Context): void {
    if (this.shutdownPromise !== undefined || this.workerStartFailed) {
      return;
    }
    try {
      this.startWorker();
    } catch (error) {
      this.workerStartFailed = true;
      this.report(new Error(`starting the OTLP export worker thread failed: ${describe(error)}`));
    }
  }

  /** Queues a sampled span for export, or drops and counts it if the queue is full. Never throws. */
  onEnd(span: ReadableSpan): void {
    try {
      this.acceptSpan(span);
    } catch (error) {
      this.report(new Error(`recording an ended span failed: ${describe(error)}`));
    }
  }

  /**
   * Resolves when every span accepted so far is settled (exported, failed or dropped)
   * and the self-metrics with the resulting counts are settled too. Never rejects.
   */
  forceFlush(): Promise<void> {
    this.reportDrops();
    this.exportQueuedSafely();
    return this.waitForPostedBatches().then(() => {
      const metricsBatchId = this.exportSelfMetricsSafely();
      return metricsBatchId === undefined ? undefined : this.waitForPostedBatches();
    });
  }

  /**
   * Stops accepting spans, flushes, then stops the worker thread and removes the exit
   * and signal listeners. Later calls return the same promise. Never rejects.
   */
  shutdown(): Promise<void> {
    this.shutdownPromise ??= this.shutdownOnce();
    return this.shutdownPromise;
  }

  /** Returns the span counts since the processor was created. */
  stats(): ExportStats {
    return {
      accepted: this.accepted,
      exported: this.exported,
      dropped: this.dropped,
      failed: this.failed,
      failedByErrorType: Object.fromEntries(this.failedByErrorType),
      pending: this.pendingCount(),
    };
  }

  private pendingCount(): number {
    return this.accepted - this.exported - this.dropped - this.failed;
  }

  /** Returns the validated self-metrics target, or undefined after reporting why there is none. */
  private resolveMetricsTarget(
    option: OtlpHttpTarget | undefined,
    problems: string[],
  ): { target: OtlpHttpTarget; url: URL } | undefined {
    let target = option;
    if (target === undefined) {
      const fromEnv = otlpHttpMetricsTargetFromEnv(process.env);
      problems.push(...fromEnv.problems);
      target = fromEnv.target;
    }
    let url: URL;
    try {
      url = parseHttpUrl(target.url);
    } catch (error) {
      problems.push(`self-metrics are off: ${describe(error).replace('OTLP target url', 'metricsTarget.url')}`);
      return undefined;
    }
    const timeoutMillis = positiveInteger('metricsTarget.timeoutMillis', target.timeoutMillis, DEFAULT_TIMEOUT_MILLIS, problems);
    return { target: { ...target, timeoutMillis }, url };
  }

  private acceptSpan(span: ReadableSpan): void {
    if (this.shutdownPromise !== undefined) {
      if (!this.reportedSpansAfterShutdown) {
        this.reportedSpansAfterShutdown = true;
        this.report(new Error('a span ended after shutdown() was called; it and later spans are not exported'));
      }
      return;
    }
    if ((span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) {
      return;
    }
    if (this.serviceName === undefined) {
      const serviceName = span.resource.attributes['service.name'];
      this.serviceName = typeof serviceName === 'string' && serviceName !== '' ? serviceName : 'unknown_service';
    }

    const pending = this.pendingCount();
    this.accepted += 1;
    if (pending >= this.maxQueueSize) {
      this.dropped += 1;
      this.noteDrop(span);
      return;
    }
    // An accepted span ends the burst of drops.
    this.reportDrops();
    this.queue.push(span);

    if (this.exitDeadline !== undefined) {
      // The span ended in an 'exit' listener that ran after this processor's own.
      this.flushSync();
    } else if (this.queue.length >= this.maxExportBatchSize) {
      this.exportQueued();
    } else if (this.timer === undefined) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.exportQueuedSafely();
      }, this.scheduledDelayMillis);
      this.timer.unref();
    }
  }

  /** Adds a dropped span to the current burst, starting one if there is none. */
  private noteDrop(span: ReadableSpan): void {
    if (this.dropBurst === undefined) {
      const timer = setTimeout(() => this.reportDrops(), DROP_REPORT_DELAY_MILLIS);
      timer.unref();
      this.dropBurst = { spanCount: 0, runIds: new RunIdSet(), timer };
    }
    this.dropBurst.spanCount += 1;
    this.dropBurst.runIds.addSpan(span);
  }

  /**
   * Reports the current burst of drops, if any. A burst ends when a span is accepted
   * again, at forceFlush, shutdown and exit, and DROP_REPORT_DELAY_MILLIS after its
   * first drop, so a queue that stays full is reported every few seconds. Never throws.
   */
  private reportDrops(): void {
    const burst = this.dropBurst;
    if (burst === undefined) {
      return;
    }
    this.dropBurst = undefined;
    clearTimeout(burst.timer);
    const runs = burst.runIds.describe();
    this.report(
      new Error(
        `span queue is full: ${countSpans(burst.spanCount)} dropped because maxQueueSize (${this.maxQueueSize}) spans ` +
          `were waiting for export to ${this.endpointForMessages}; ${this.dropped} dropped so far.${runs === '' ? '' : ` ${runs}`} ` +
          'The collector may be slow or unreachable; check it, or raise maxQueueSize if spans end in large bursts.',
      ),
    );
  }

  private exportQueuedSafely(): void {
    try {
      this.exportQueued();
    } catch (error) {
      this.report(new Error(`exporting queued spans failed: ${describe(error)}`));
    }
  }

  /** Serializes all queued spans in batches of at most maxExportBatchSize and posts them to the worker. */
  private exportQueued(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    while (this.queue.length > 0) {
      const spans = this.queue.splice(0, this.maxExportBatchSize);
      this.postSpanBatch(spans);
    }
  }

  private postSpanBatch(spans: ReadableSpan[]): void {
    const runIds = RunIdSet.of(spans);
    let body: Uint8Array | undefined;
    try {
      body = this.serializer.serializeRequest(spans);
    } catch (error) {
      const message = `serializing ${countSpans(spans.length)} as ${this.target.protocol} failed: ${describe(error)}`;
      this.failSpans(spans.length, 'serialization', message, runIds);
      return;
    }
    if (body === undefined) {
      const message = `serializing ${countSpans(spans.length)} as ${this.target.protocol} returned no data`;
      this.failSpans(spans.length, 'serialization', message, runIds);
      return;
    }

    const posted = this.postBatch('traces', body, this.maxRetryDurationMillis);
    if (!posted.ok) {
      this.failSpans(spans.length, '_OTHER', `could not export ${countSpans(spans.length)} because ${posted.error}`, runIds);
      return;
    }
    this.postedBatches.set(posted.id, { signal: 'traces', spanCount: spans.length, runIds });
  }

  /** Posts a serialized request to the worker, starting it if needed. */
  private postBatch(
    signal: ExportSignal,
    body: Uint8Array,
    maxRetryDurationMillis: number,
  ): { ok: true; id: number } | { ok: false; error: string } {
    if (this.stopped) {
      return { ok: false, error: 'the processor is shut down' };
    }
    let worker: ExportWorker;
    try {
      worker = this.startWorker();
      this.workerStartFailed = false;
    } catch (error) {
      this.workerStartFailed = true;
      return { ok: false, error: `starting the OTLP export worker thread failed: ${describe(error)}` };
    }
    const id = this.nextBatchId;
    this.nextBatchId += 1;
    try {
      worker.postBatch(id, signal, body, maxRetryDurationMillis);
    } catch (error) {
      return { ok: false, error: `posting the request to the export worker thread failed: ${describe(error)}` };
    }
    return { ok: true, id };
  }

  /** Returns the running export worker, starting one if needed. Throws if the thread cannot be created. */
  private startWorker(): ExportWorker {
    if (this.worker === undefined || this.worker.isStopped) {
      this.worker = new ExportWorker(this.workerConfig, {
        onMessage: (message) => this.handleWorkerMessage(message),
        onStopped: (error) => this.handleWorkerStopped(error),
      });
    }
    return this.worker;
  }

  private handleWorkerMessage(message: ExportWorkerMessage): void {
    try {
      if (message.type === 'retry') {
        const batch = this.postedBatches.get(message.id);
        const endpoint = batch?.signal === 'metrics' ? this.selfMetrics?.endpointForMessages : this.endpointForMessages;
        diag.debug(
          `OTLP export of batch ${message.id} to ${endpoint ?? 'the collector'} failed (${message.reason}); ` +
            `attempt ${message.attempt + 1} in ${message.delayMillis} ms, retries end in ${message.remainingMillis} ms`,
        );
        return;
      }
      this.settleBatch(message);
    } catch (error) {
      this.report(new Error(`handling an export result failed: ${describe(error)}`));
    }
  }

  private settleBatch(message: BatchSettledMessage): void {
    const batch = this.postedBatches.get(message.id);
    if (batch === undefined) {
      return;
    }
    this.postedBatches.delete(message.id);
    if (batch.signal === 'metrics') {
      this.settleMetricsBatch(message);
    } else {
      this.settleSpanBatch(message, batch.spanCount, batch.runIds);
    }
    this.resolveFlushWaiters();
  }

  private settleSpanBatch(message: BatchSettledMessage, spanCount: number, runIds: RunIdSet): void {
    if (message.outcome === 'exported') {
      // A response without Content-Type is assumed to use the request's encoding.
      const contentType = message.contentType ?? this.workerConfig.endpoints.traces?.contentType;
      const partialSuccess = readPartialSuccess(contentType, message.body);
      const rejected = Math.min(partialSuccess?.rejectedSpans ?? 0, spanCount);
      this.exported += spanCount - rejected;
      if (rejected > 0) {
        const reason = partialSuccess?.errorMessage ? `: ${partialSuccess.errorMessage}` : ' without a message';
        const runs = runIds.describe('Runs in the batch');
        this.countFailed(rejected, 'rejected');
        this.report(
          new Error(
            `collector at ${this.endpointForMessages} rejected ${rejected} of ${countSpans(spanCount)}${reason}` +
              (runs === '' ? '' : `. ${runs}`),
          ),
        );
      } else if (partialSuccess?.errorMessage) {
        diag.warn(`collector at ${this.endpointForMessages} accepted all spans with a warning: ${partialSuccess.errorMessage}`);
      }
      return;
    }

    const collectorMessage = readCollectorMessage(message.contentType, message.body);
    const response = collectorMessage === undefined ? '' : `; collector response: ${collectorMessage}`;
    // A collector that was only slow or paused processes a timed-out request later,
    // so these spans count as failed although they may have arrived.
    const mayHaveArrived =
      message.errorType === 'timeout'
        ? '; the collector may still have received them, because it can process a request after the request timed out'
        : '';
    this.failSpans(
      spanCount,
      message.errorType ?? '_OTHER',
      `OTLP export of ${countSpans(spanCount)} to ${this.endpointForMessages} failed: ${message.error ?? 'unknown error'}${response}${mayHaveArrived}`,
      runIds,
    );
  }

  private settleMetricsBatch(message: BatchSettledMessage): void {
    if (message.outcome === 'exported') {
      this.metricsFailureReported = false;
    } else if (message.outcome === 'failed') {
      const collectorMessage = readCollectorMessage(message.contentType, message.body);
      const response = collectorMessage === undefined ? '' : `; collector response: ${collectorMessage}`;
      this.reportMetricsFailure(`${message.error ?? 'unknown error'}${response}`);
    }
  }

  private handleWorkerStopped(error: Error): void {
    this.worker = undefined;
    let lostSpans = 0;
    let batchCount = 0;
    const runIds = new RunIdSet();
    for (const batch of this.postedBatches.values()) {
      if (batch.signal === 'traces') {
        lostSpans += batch.spanCount;
        batchCount += 1;
        runIds.addAll(batch.runIds);
      }
    }
    this.postedBatches.clear();
    if (lostSpans > 0) {
      this.failSpans(
        lostSpans,
        '_OTHER',
        `the OTLP export worker thread stopped (${error.message}) before it settled ${countSpans(lostSpans)} ` +
          `in ${batchCount === 1 ? '1 batch' : `${batchCount} batches`}; they may or may not have reached ${this.endpointForMessages}`,
        runIds,
      );
    } else if (this.shutdownPromise === undefined) {
      this.report(new Error(`the OTLP export worker thread stopped: ${error.message}; it restarts for the next batch`));
    }
    this.resolveFlushWaiters();
  }

  /** Counts spans as failed and reports `message`, followed by their runs. */
  private failSpans(spanCount: number, errorType: string, message: string, runIds: RunIdSet): void {
    this.countFailed(spanCount, errorType);
    const runs = runIds.describe();
    this.report(new Error(runs === '' ? message : `${message}. ${runs}`));
  }

  private countFailed(spanCount: number, errorType: string): void {
    this.failed += spanCount;
    this.failedByErrorType.set(errorType, (this.failedByErrorType.get(errorType) ?? 0) + spanCount);
  }

  /**
   * Serializes the current counts and posts them to the worker. Returns the batch id,
   * or undefined when the self-metrics are off, no span has ended yet or posting
   * failed. Never throws.
   */
  private exportSelfMetricsSafely(): number | undefined {
    const selfMetrics = this.selfMetrics;
    // Before the first span there is nothing to count, and no service.name to send.
    if (selfMetrics === undefined || this.accepted === 0 || this.stopped) {
      return undefined;
    }
    try {
      const body = serializeSelfMetrics(
        {
          resourceAttributes: {
            'service.name': this.serviceName ?? 'unknown_service',
            // Every process counts from zero, so its cumulative sums form series of their own.
            'service.instance.id': selfMetrics.instanceId,
          },
          startTimeMillis: selfMetrics.startTimeMillis,
          timeMillis: Date.now(),
          exported: this.exported,
          dropped: this.dropped,
          failedByErrorType: Object.fromEntries(this.failedByErrorType),
        },
        selfMetrics.target.protocol,
      );
      // Each request carries all counts, so the next interval's request replaces a
      // failed one. Retrying for longer than one interval would gain nothing.
      const posted = this.postBatch('metrics', body, Math.min(selfMetrics.intervalMillis, this.maxRetryDurationMillis));
      if (!posted.ok) {
        this.reportMetricsFailure(posted.error);
        return undefined;
      }
      this.postedBatches.set(posted.id, { signal: 'metrics' });
      return posted.id;
    } catch (error) {
      this.reportMetricsFailure(`building the request failed: ${describe(error)}`);
      return undefined;
    }
  }

  /** Reports the first self-metrics failure after a delivery; later ones go to diag.debug. */
  private reportMetricsFailure(reason: string): void {
    const message =
      `sending the self-metrics to ${this.selfMetrics?.endpointForMessages ?? 'the collector'} failed: ${reason}. ` +
      'Span export is not affected. Further failures are not reported until a request succeeds.';
    if (this.metricsFailureReported) {
      diag.debug(message);
      return;
    }
    this.metricsFailureReported = true;
    this.report(new Error(message));
  }

  /** Resolves when every batch posted so far is settled. Keeps the process alive until then. */
  private waitForPostedBatches(): Promise<void> {
    if (this.postedBatches.size === 0) {
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.flushWaiters.push({ lastBatchId: this.nextBatchId - 1, resolve });
      this.worker?.setKeepAlive(true);
    });
  }

  private resolveFlushWaiters(): void {
    let oldestPostedId = Number.POSITIVE_INFINITY;
    for (const id of this.postedBatches.keys()) {
      oldestPostedId = Math.min(oldestPostedId, id);
    }
    for (let index = this.flushWaiters.length - 1; index >= 0; index -= 1) {
      const waiter = this.flushWaiters[index];
      if (waiter !== undefined && waiter.lastBatchId < oldestPostedId) {
        this.flushWaiters.splice(index, 1);
        waiter.resolve();
      }
    }
    if (this.flushWaiters.length === 0) {
      this.worker?.setKeepAlive(false);
    }
  }

  private async shutdownOnce(): Promise<void> {
    await this.forceFlush();
    if (this.selfMetrics !== undefined) {
      clearInterval(this.selfMetrics.timer);
    }
    this.removeExitHooks?.();
    this.removeExitHooks = undefined;
    this.stopped = true;
    const worker = this.worker;
    this.worker = undefined;
    if (worker !== undefined) {
      try {
        await worker.terminate();
      } catch (error) {
        this.report(new Error(`stopping the OTLP export worker thread failed: ${describe(error)}`));
      }
    }
  }

  /**
   * Posts all queued spans and blocks until the worker has settled every span batch or
   * the time for spans runs out, then sends the self-metrics with the final counts and
   * blocks until they are settled or the exit deadline passes. Spans still pending
   * count as failed. Runs in the 'exit' listener and before a re-raised signal, where
   * no asynchronous code runs any more. Never throws.
   */
  private flushSync(): void {
    if (!this.beforeExitFlushCalled) {
      this.beforeExitFlushCalled = true;
      try {
        this.beforeExitFlush?.();
      } catch {
        // The hook belongs to the SDK's own code; an exit must not fail because of it.
      }
    }
    try {
      this.exitDeadline ??= Date.now() + this.exitTimeoutMillis;
      // Keep part of the exit time for the self-metrics, which report spans lost at
      // the end of the span wait.
      const spanDeadline =
        this.selfMetrics === undefined
          ? this.exitDeadline
          : this.exitDeadline - Math.min(MAX_METRICS_EXIT_RESERVE_MILLIS, Math.floor(this.exitTimeoutMillis / 5));
      this.exportQueued();
      this.reportDrops();

      const worker = this.worker;
      if (worker !== undefined && this.hasPendingSpanBatches()) {
        worker.postExitDeadline(spanDeadline);
        worker.waitSync(spanDeadline, () => !this.hasPendingSpanBatches());
      }
      this.failSpansLostAtExit();
      this.exportSelfMetricsSync(this.exitDeadline);
    } catch (error) {
      writeStderrLine(`factory-telemetry: delivering spans at exit failed: ${describe(error)}`);
    }
  }

  private hasPendingSpanBatches(): boolean {
    for (const batch of this.postedBatches.values()) {
      if (batch.signal === 'traces') {
        return true;
      }
    }
    return false;
  }

  /**
   * Counts the spans of every unsettled span batch as failed (error.type 'timeout') and
   * writes one stderr line with their count and runs. NOTE: the worker thread keeps
   * sending them until the process ends, so the collector may still receive some.
   */
  private failSpansLostAtExit(): void {
    let lostSpans = 0;
    const runIds = new RunIdSet();
    for (const [id, batch] of this.postedBatches) {
      if (batch.signal === 'traces') {
        lostSpans += batch.spanCount;
        runIds.addAll(batch.runIds);
        this.postedBatches.delete(id);
      }
    }
    if (lostSpans === 0) {
      return;
    }
    this.countFailed(lostSpans, 'timeout');
    const runs = runIds.describe();
    writeStderrLine(
      `factory-telemetry: ${countSpans(lostSpans)} ${lostSpans === 1 ? 'was' : 'were'} not delivered to ${this.endpointForMessages} ` +
        `within exitTimeoutMillis (${this.exitTimeoutMillis} ms) and are lost.${runs === '' ? '' : ` ${runs}`}`,
    );
  }

  /** Sends the self-metrics and blocks until they are settled or `deadline` passes. */
  private exportSelfMetricsSync(deadline: number): void {
    // Without a worker no span was posted, so there is nothing new to count.
    if (this.selfMetrics === undefined || this.accepted === 0 || this.worker === undefined) {
      return;
    }
    if (deadline - Date.now() <= 0) {
      this.reportMetricsFailure(`no time was left within exitTimeoutMillis (${this.exitTimeoutMillis} ms) at exit`);
      return;
    }
    const id = this.exportSelfMetricsSafely();
    const worker = this.worker;
    if (id === undefined || worker === undefined) {
      return;
    }
    worker.postExitDeadline(deadline);
    const settled = worker.waitSync(deadline, () => !this.postedBatches.has(id));
    if (!settled) {
      this.postedBatches.delete(id);
      this.reportMetricsFailure(`the request did not finish within exitTimeoutMillis (${this.exitTimeoutMillis} ms) at exit`);
    }
  }

  private report(error: Error): void {
    try {
      this.onError(error);
    } catch {
      // A failing error handler must not break span recording or the exit flush.
    }
  }
}

/** Returns the worker's connection settings for `target`. */
function endpointConfig(url: URL, target: OtlpHttpTarget): ExportEndpointConfig {
  return {
    url: url.href,
    headers: { ...target.headers },
    contentType: target.protocol === 'http/json' ? 'application/json' : 'application/x-protobuf',
    compression: target.compression === 'gzip' ? 'gzip' : 'none',
    timeoutMillis: target.timeoutMillis,
  };
}

function parseHttpUrl(text: string): URL {
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new TypeError(
      `invalid OTLP target url "${text}": expected an http:// or https:// URL such as http://localhost:4318/v1/traces`,
    );
  }
  return url;
}




/** Writes synchronously, because an 'exit' listener cannot wait for a stream. */
function writeStderrLine(line: string): void {
  try {
    writeSync(2, `${line}\n`);
  } catch {
    // stderr is closed; there is nowhere left to report to.
  }
}
