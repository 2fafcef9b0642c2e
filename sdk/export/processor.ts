import { writeSync } from 'node:fs';

import { type Context, diag, TraceFlags } from '@opentelemetry/api';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';

import type { OtlpHttpTarget } from './env.js';
import { installExitHooks } from './exit-hooks.js';
import {
  type BatchSettledMessage,
  ExportWorker,
  type ExportWorkerConfig,
  type ExportWorkerMessage,
} from './export-worker.js';
import { readCollectorMessage, readPartialSuccess } from './response.js';

/** Options of ExitSafeSpanProcessor. */
export interface ExitSafeSpanProcessorOptions {
  /** Collector endpoint and request settings, for example from `otlpHttpTargetFromEnv()`. */
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
   * Maximum time in ms that the process waits at exit, or on SIGTERM or SIGINT, for
   * pending spans to be delivered. Default 5000.
   */
  exitTimeoutMillis?: number;
  /**
   * Receives every export problem: failed batches, partial success rejections and
   * queue overflows. Default: `diag.error` of `@opentelemetry/api`, which prints nothing
   * unless a diag logger is registered. Exceptions thrown by it are ignored.
   */
  onError?: (error: Error) => void;
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
   * retries exhausted, spans the collector rejected in a partial success response, or
   * a serialization or worker failure.
   */
  failed: number;
  /** Spans accepted but not yet settled. After an exit timeout these spans are lost. */
  pending: number;
}

const DEFAULT_SCHEDULED_DELAY_MILLIS = 200;
const DEFAULT_MAX_EXPORT_BATCH_SIZE = 512;
const DEFAULT_MAX_QUEUE_SIZE = 10_000;
const DEFAULT_EXIT_TIMEOUT_MILLIS = 5_000;
const DEFAULT_TIMEOUT_MILLIS = 10_000;

// Retry policy of the export worker: the attempt count, backoff and +-20% jitter of the
// retrying transport in @opentelemetry/otlp-exporter-base 0.223, plus a limit on Retry-After.
const RETRY_POLICY = {
  maxAttempts: 5,
  initialBackoffMillis: 1_000,
  maxBackoffMillis: 5_000,
  maxRetryAfterMillis: 30_000,
} as const;
const MAX_CONCURRENT_REQUESTS = 4;
const MAX_RESPONSE_BYTES = 64 * 1024;
const USER_AGENT = 'factory-telemetry-exit-safe-span-processor';

/**
 * Span processor that sends spans to an OTLP/HTTP collector from a worker thread, so
 * that spans also reach the collector when the process exits right after recording them.
 *
 * The main thread batches ended spans, serializes each batch as protobuf or JSON (see
 * `target.protocol`) and posts the bytes to the worker. The worker sends them and
 * retries network errors, timeouts, 429, 502, 503 and 504 with exponential backoff,
 * honouring Retry-After up to 30 s, for at most 5 attempts per batch.
 *
 * At process exit, whether by returning, `process.exit(n)`, an uncaught exception or an
 * unhandled rejection, the 'exit' listener posts the queued spans and blocks until the
 * worker has settled every batch or `exitTimeoutMillis` passes. On SIGTERM and SIGINT
 * it does the same and then re-raises the signal, unless the host listens to that
 * signal itself (see installExitHooks). Batches already in the worker are waited for,
 * never posted again, so the exit flush adds no duplicates. Spans still pending at the
 * deadline are lost, and one line on stderr names their count and the endpoint.
 *
 * Neither the worker nor timers keep the process alive, except that a pending
 * `forceFlush()` or `shutdown()` keeps it alive until its promise settles. onEnd and the
 * exit listener never throw. Problems are counted in `stats()` and passed to `onError`.
 */
export class ExitSafeSpanProcessor implements SpanProcessor {
  private readonly target: OtlpHttpTarget;
  private readonly scheduledDelayMillis: number;
  private readonly maxExportBatchSize: number;
  private readonly maxQueueSize: number;
  private readonly exitTimeoutMillis: number;
  private readonly onError: (error: Error) => void;
  /** Target URL without credentials and query, safe to print. */
  private readonly endpointForMessages: string;
  private readonly serializer: typeof ProtobufTraceSerializer;
  private readonly workerConfig: ExportWorkerConfig;

  private readonly queue: ReadableSpan[] = [];
  /** Span count of each batch posted to the worker and not yet settled, by batch id. */
  private readonly postedBatches = new Map<number, number>();
  private nextBatchId = 1;
  private worker: ExportWorker | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly flushWaiters: { lastBatchId: number; resolve: () => void }[] = [];

  private accepted = 0;
  private exported = 0;
  private dropped = 0;
  private failed = 0;
  /** 'pending' from the first drop of a burst until the report, 'reported' until a span is accepted again. */
  private dropReport: 'none' | 'pending' | 'reported' = 'none';
  private reportedSpansAfterShutdown = false;
  private workerStartFailed = false;

  private removeExitHooks: (() => void) | undefined;
  private shutdownPromise: Promise<void> | undefined;
  /** Epoch ms until which the exit flush waits, set by the first exit or signal flush. */
  private exitDeadline: number | undefined;
  private lostSpansReportedAtExit = 0;

  /**
   * Creates the processor and installs its 'exit', SIGTERM and SIGINT listeners. The
   * worker thread starts when the first span starts. Invalid numeric options are
   * replaced by their defaults and reported through `onError`.
   *
   * @throws TypeError if `target.url` is not an http:// or https:// URL
   */
  constructor(options: ExitSafeSpanProcessorOptions) {
    this.onError = options.onError ?? ((error) => diag.error(error.message));
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
    this.exitTimeoutMillis = positiveInteger(
      'exitTimeoutMillis',
      options.exitTimeoutMillis,
      DEFAULT_EXIT_TIMEOUT_MILLIS,
      problems,
    );

    const json = this.target.protocol === 'http/json';
    this.serializer = json ? JsonTraceSerializer : ProtobufTraceSerializer;
    this.workerConfig = {
      url: url.href,
      headers: { ...this.target.headers },
      userAgent: USER_AGENT,
      contentType: json ? 'application/json' : 'application/x-protobuf',
      compression: this.target.compression === 'gzip' ? 'gzip' : 'none',
      timeoutMillis: this.target.timeoutMillis,
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

  /** Resolves when every span accepted so far is settled: exported, failed or dropped. Never rejects. */
  forceFlush(): Promise<void> {
    this.exportQueuedSafely();
    if (this.postedBatches.size === 0) {
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.flushWaiters.push({ lastBatchId: this.nextBatchId - 1, resolve });
      this.worker?.setKeepAlive(true);
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
      pending: this.accepted - this.exported - this.dropped - this.failed,
    };
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

    const pending = this.stats().pending;
    this.accepted += 1;
    if (pending >= this.maxQueueSize) {
      this.dropped += 1;
      this.noteDrop();
      return;
    }
    if (this.dropReport === 'reported') {
      this.dropReport = 'none';
    }
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

  /** Reports a burst of drops once, after the current synchronous run, with the running total. */
  private noteDrop(): void {
    if (this.dropReport !== 'none') {
      return;
    }
    this.dropReport = 'pending';
    queueMicrotask(() => this.reportDrops());
  }

  private reportDrops(): void {
    if (this.dropReport !== 'pending') {
      return;
    }
    this.dropReport = 'reported';
    this.report(
      new Error(
        `span queue is full: ${this.maxQueueSize} spans are waiting for export to ${this.endpointForMessages}, ` +
          `so new spans are dropped; ${this.dropped} dropped so far. The collector may be slow or unreachable; ` +
          'check it, or raise maxQueueSize if spans end in large bursts.',
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
      this.postBatch(spans);
    }
  }

  private postBatch(spans: ReadableSpan[]): void {
    let body: Uint8Array | undefined;
    try {
      body = this.serializer.serializeRequest(spans);
    } catch (error) {
      this.failSpans(spans.length, `serializing ${countSpans(spans.length)} as ${this.target.protocol} failed: ${describe(error)}`);
      return;
    }
    if (body === undefined) {
      this.failSpans(spans.length, `serializing ${countSpans(spans.length)} as ${this.target.protocol} returned no data`);
      return;
    }

    let worker: ExportWorker;
    try {
      worker = this.startWorker();
      this.workerStartFailed = false;
    } catch (error) {
      this.workerStartFailed = true;
      this.failSpans(
        spans.length,
        `could not export ${countSpans(spans.length)} because starting the OTLP export worker thread failed: ${describe(error)}`,
      );
      return;
    }
    const id = this.nextBatchId;
    this.nextBatchId += 1;
    try {
      worker.postBatch(id, body);
    } catch (error) {
      this.failSpans(spans.length, `posting ${countSpans(spans.length)} to the export worker thread failed: ${describe(error)}`);
      return;
    }
    this.postedBatches.set(id, spans.length);
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
        diag.debug(
          `OTLP export of batch ${message.id} to ${this.endpointForMessages} failed (${message.reason}); ` +
            `attempt ${message.attempt + 1} of ${RETRY_POLICY.maxAttempts} in ${message.delayMillis} ms`,
        );
        return;
      }
      this.settleBatch(message);
    } catch (error) {
      this.report(new Error(`handling an export result failed: ${describe(error)}`));
    }
  }

  private settleBatch(message: BatchSettledMessage): void {
    const spanCount = this.postedBatches.get(message.id);
    if (spanCount === undefined) {
      return;
    }
    this.postedBatches.delete(message.id);

    if (message.outcome === 'exported') {
      // A response without Content-Type is assumed to use the request's encoding.
      const contentType = message.contentType ?? this.workerConfig.contentType;
      const partialSuccess = readPartialSuccess(contentType, message.body);
      const rejected = Math.min(partialSuccess?.rejectedSpans ?? 0, spanCount);
      this.exported += spanCount - rejected;
      this.failed += rejected;
      if (rejected > 0) {
        const reason = partialSuccess?.errorMessage ? `: ${partialSuccess.errorMessage}` : ' without a message';
        this.report(new Error(`collector at ${this.endpointForMessages} rejected ${rejected} of ${countSpans(spanCount)}${reason}`));
      } else if (partialSuccess?.errorMessage) {
        diag.warn(`collector at ${this.endpointForMessages} accepted all spans with a warning: ${partialSuccess.errorMessage}`);
      }
    } else {
      const collectorMessage = readCollectorMessage(message.contentType, message.body);
      const response = collectorMessage === undefined ? '' : `; collector response: ${collectorMessage}`;
      this.failSpans(
        spanCount,
        `OTLP export of ${countSpans(spanCount)} to ${this.endpointForMessages} failed: ${message.error ?? 'unknown error'}${response}`,
      );
    }
    this.resolveFlushWaiters();
  }

  private handleWorkerStopped(error: Error): void {
    this.worker = undefined;
    let lostSpans = 0;
    for (const spanCount of this.postedBatches.values()) {
      lostSpans += spanCount;
    }
    const batchCount = this.postedBatches.size;
    this.postedBatches.clear();
    if (lostSpans > 0) {
      this.failSpans(
        lostSpans,
        `the OTLP export worker thread stopped (${error.message}) before it settled ${countSpans(lostSpans)} ` +
          `in ${batchCount === 1 ? '1 batch' : `${batchCount} batches`}; they may or may not have reached ${this.endpointForMessages}`,
      );
    } else if (this.shutdownPromise === undefined) {
      this.report(new Error(`the OTLP export worker thread stopped: ${error.message}; it restarts for the next batch`));
    }
    this.resolveFlushWaiters();
  }

  private failSpans(spanCount: number, message: string): void {
    this.failed += spanCount;
    this.report(new Error(message));
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
    this.removeExitHooks?.();
    this.removeExitHooks = undefined;
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
   * Posts all queued spans and blocks until the worker has settled every batch or the
   * exit deadline passes. Runs in the 'exit' listener and before a re-raised signal,
   * where no asynchronous code runs any more. Never throws.
   */
  private flushSync(): void {
    try {
      this.exitDeadline ??= Date.now() + this.exitTimeoutMillis;
      this.exportQueued();
      this.reportDrops();

      const worker = this.worker;
      if (worker !== undefined && this.postedBatches.size > 0) {
        worker.postExitDeadline(this.exitDeadline);
        worker.waitForSettledSync(this.exitDeadline);
      }

      const lostSpans = this.stats().pending;
      if (lostSpans > this.lostSpansReportedAtExit) {
        this.lostSpansReportedAtExit = lostSpans;
        writeStderrLine(
          `factory-telemetry: ${countSpans(lostSpans)} ${lostSpans === 1 ? 'was' : 'were'} not delivered to ${this.endpointForMessages} ` +
            `within exitTimeoutMillis (${this.exitTimeoutMillis} ms) and are lost`,
        );
      }
    } catch (error) {
      writeStderrLine(`factory-telemetry: delivering spans at exit failed: ${describe(error)}`);
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

function positiveInteger(name: string, value: number | undefined, fallback: number, problems: string[]): number {
  if (value === undefined) {
    return fallback;
  }
  if (Number.isSafeInteger(value) && value > 0) {
    return value;
  }
  problems.push(`invalid ${name} ${String(value)}: expected a positive whole number; using the default ${fallback}`);
  return fallback;
}

/** Returns "1 span" or "<count> spans". */
function countSpans(count: number): string {
  return count === 1 ? '1 span' : `${count} spans`;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Writes synchronously, because an 'exit' listener cannot wait for a stream. */
function writeStderrLine(line: string): void {
  try {
    writeSync(2, `${line}\n`);
  } catch {
    // stderr is closed; there is nowhere left to report to.
  }
}
