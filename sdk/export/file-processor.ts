import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

import { type Context, diag, TraceFlags } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';

import { installExitHooks } from './exit-hooks.js';
import { countSpans, describe, positiveInteger } from './helpers.js';
import { encodeSpansAsOtlpJsonLine } from './file-format.js';
import type { ExportStats } from './processor.js';
import { RunIdSet } from './run-ids.js';

/** Environment variable that turns the file sink on: the path of the OTLP JSON lines file. */
export const FACTORY_TELEMETRY_FILE = 'FACTORY_TELEMETRY_FILE';

/** Options of FileSpanProcessor. */
export interface FileSpanProcessorOptions {
  /** Path of the OTLP JSON lines file. Lines are appended; missing parent directories are created. */
  path: string;
  /** Maximum time in ms that an ended span waits before its batch is written. Default 200. */
  scheduledDelayMillis?: number;
  /**
   * Maximum number of spans per line, and so per write. A span that fills the
   * batch is written at once, so at most this many spans wait. Default 512.
   */
  maxExportBatchSize?: number;
  /** Receives every write failure. Default: `diag.error`. Exceptions thrown by it are ignored. */
  onError?: (error: Error) => void;
  /** Called once, synchronously, at exit or on SIGTERM or SIGINT, before the final write. Exceptions are ignored. */
  beforeExitFlush?: () => void;
}

const DEFAULT_SCHEDULED_DELAY_MILLIS = 200;
const NEWLINE = Buffer.from('\n');
const DEFAULT_MAX_EXPORT_BATCH_SIZE = 512;

/**
 * Span processor that appends ended spans to a local file as OTLP JSON lines (see
 * encodeSpansAsOtlpJsonLine), the embedded store that `analysis/` reads.
 *
 * Spans are batched like in ExitSafeSpanProcessor and each batch is written with one
 * synchronous append from a timer, never from `span.end()`. The writes are
 * synchronous so that the 'exit' listener can write the last batch and no write is
 * half done when the process ends: every accepted span is then written or counted
 * as failed, with nothing in between. The process ends the same ways as with the
 * OTLP export (installExitHooks): on return, `process.exit`, an uncaught exception,
 * an unhandled rejection, and SIGTERM or SIGINT.
 *
 * A failed write (a missing permission, a full disk) counts the batch's spans as
 * failed under the error code, for example `EACCES` or `ENOSPC`, reports it through
 * `onError` with the affected runs, and the next batch opens the file again.
 *
 * NOTE: a write blocks the event loop until the kernel takes the bytes, which on a
 * local disk takes well under a millisecond per batch. A file on a network mount
 * that stops responding would block the process.
 */
export class FileSpanProcessor implements SpanProcessor {
  readonly path: string;
  private readonly scheduledDelayMillis: number;
  private readonly maxExportBatchSize: number;
  private readonly onError: (error: Error) => void;
  private readonly beforeExitFlush: (() => void) | undefined;
  private beforeExitFlushCalled = false;

  private readonly queue: ReadableSpan[] = [];
  private timer: NodeJS.Timeout | undefined;
  private fd: number | undefined;
  private exiting = false;
  /** Set when a failed write left part of a line in the file, which the next write must end first. */
  private partialLineWritten = false;
  private stopped = false;
  private removeExitHooks: (() => void) | undefined;

  private accepted = 0;
  private written = 0;
  private failed = 0;
  private readonly failedByErrorType = new Map<string, number>();

  /** Creates the processor and installs its exit and signal listeners. The file is opened at the first write. */
  constructor(options: FileSpanProcessorOptions) {
    if (typeof options.path !== 'string' || options.path === '') {
      throw new TypeError(`invalid file path ${JSON.stringify(options.path)}: expected the path of the OTLP JSON lines file, such as runs.jsonl`);
    }
    this.path = options.path;
    this.onError = options.onError ?? ((error) => diag.error(error.message));
    this.beforeExitFlush = options.beforeExitFlush;
    const problems: string[] = [];
    this.scheduledDelayMillis = positiveInteger('scheduledDelayMillis', options.scheduledDelayMillis, DEFAULT_SCHEDULED_DELAY_MILLIS, problems);
    this.maxExportBatchSize = positiveInteger('maxExportBatchSize', options.maxExportBatchSize, DEFAULT_MAX_EXPORT_BATCH_SIZE, problems);
    for (const problem of problems) this.report(new Error(problem));
    this.removeExitHooks = installExitHooks({
      flushSync: () => this.flushAtExit(),
      flushAsync: () => this.writeQueuedSafely(),
    });
  }

  onStart(_span: Span, _parentContext: Context): void {}

  /** Queues a sampled span, and writes the batch when it is full. Never throws. */
  onEnd(span: ReadableSpan): void {
    try {
      if (this.stopped || (span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
      this.accepted += 1;
      this.queue.push(span);
      if (this.exiting || this.queue.length >= this.maxExportBatchSize) {
        // A span that ends in a later 'exit' listener is written at once.
        this.writeQueued();
      } else if (this.timer === undefined) {
        this.timer = setTimeout(() => {
          this.timer = undefined;
          this.writeQueuedSafely();
        }, this.scheduledDelayMillis);
        this.timer.unref();
      }
    } catch (error) {
      this.report(new Error(`recording an ended span in ${this.path} failed: ${describe(error)}`));
    }
  }

  /** Writes every queued span. Resolves when done; never rejects. */
  forceFlush(): Promise<void> {
    this.writeQueuedSafely();
    return Promise.resolve();
  }

  /** Writes every queued span, closes the file and removes the exit listeners. Never rejects. */
  shutdown(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.writeQueuedSafely();
    this.stopped = true;
    this.removeExitHooks?.();
    this.removeExitHooks = undefined;
    this.closeFile();
    return Promise.resolve();
  }

  /**
   * Span counts since the processor was created. `exported` counts the spans
   * written to the file, and `dropped` stays 0 because no span waits for room.
   */
  stats(): ExportStats {
    return {
      accepted: this.accepted,
      exported: this.written,
      dropped: 0,
      failed: this.failed,
      failedByErrorType: Object.fromEntries(this.failedByErrorType),
      pending: this.accepted - this.written - this.failed,
    };
  }

  private flushAtExit(): void {
    if (!this.beforeExitFlushCalled) {
      this.beforeExitFlushCalled = true;
      try {
        this.beforeExitFlush?.();
      } catch {
        // The hook belongs to the SDK's own code; an exit must not fail because of it.
      }
    }
    this.exiting = true;
    this.writeQueuedSafely();
  }

  private writeQueuedSafely(): void {
    try {
      this.writeQueued();
    } catch (error) {
      this.report(new Error(`writing spans to ${this.path} failed: ${describe(error)}`));
    }
  }

  private writeQueued(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    while (this.queue.length > 0) {
      this.writeBatch(this.queue.splice(0, this.maxExportBatchSize));
    }
  }

  private writeBatch(spans: ReadableSpan[]): void {
    let line: Buffer;
    try {
      line = Buffer.from(encodeSpansAsOtlpJsonLine(spans), 'utf8');
    } catch (error) {
      this.failSpans(spans, 'serialization', `serializing ${countSpans(spans.length)} as OTLP JSON failed: ${describe(error)}`);
      return;
    }
    if (this.partialLineWritten) line = Buffer.concat([NEWLINE, line]);
    let offset = 0;
    try {
      const fd = this.openFile();
      while (offset < line.length) offset += writeSync(fd, line, offset, line.length - offset);
      this.written += spans.length;
      this.partialLineWritten = false;
    } catch (error) {
      // The reader skips a partly written line as invalid JSON. The next write
      // starts with a line break so that the broken line does not take it along.
      if (offset > 0) this.partialLineWritten = true;
      this.closeFile();
      const code = (error as NodeJS.ErrnoException).code ?? '_OTHER';
      this.failSpans(spans, code, `writing ${countSpans(spans.length)} to ${this.path} failed: ${describe(error)}`);
    }
  }

  private openFile(): number {
    if (this.fd === undefined) {
      mkdirSync(dirname(this.path), { recursive: true });
      this.fd = openSync(this.path, 'a');
    }
    return this.fd;
  }

  private closeFile(): void {
    if (this.fd === undefined) return;
    try {
      closeSync(this.fd);
    } catch {
      // The descriptor is gone either way.
    }
    this.fd = undefined;
  }

  private failSpans(spans: readonly ReadableSpan[], errorType: string, message: string): void {
    this.failed += spans.length;
    this.failedByErrorType.set(errorType, (this.failedByErrorType.get(errorType) ?? 0) + spans.length);
    const runs = RunIdSet.of(spans).describe();
    this.report(new Error(runs === '' ? message : `${message}. ${runs}`));
  }

  private report(error: Error): void {
    try {
      this.onError(error);
    } catch {
      // A failing error handler must not break span recording or the exit flush.
    }
  }
}




/** The `file` option of FactoryTelemetry: where and how to write the OTLP JSON lines file. */
export type FileSinkOptions = { path: string } & Partial<Omit<FileSpanProcessorOptions, 'path' | 'onError' | 'beforeExitFlush'>>;

/**
 * Returns the file sink's path: `option.path`, else FACTORY_TELEMETRY_FILE, else
 * undefined (no file). An option of another type is passed on as it is, so that
 * FileSpanProcessor rejects it with a message instead of no file being written.
 */
export function fileSinkPath(option: FileSinkOptions | undefined, env: NodeJS.ProcessEnv): string | undefined {
  if (option !== undefined) return typeof option === 'object' && option !== null ? option.path : (option as unknown as string);
  const fromEnv = env[FACTORY_TELEMETRY_FILE];
  return fromEnv === undefined || fromEnv === '' ? undefined : fromEnv;
}

/** Returns whether an OTLP traces endpoint is set in `env`, which keeps the collector export on beside a file. */
export function otlpEndpointConfigured(env: NodeJS.ProcessEnv): boolean {
  return Boolean(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) || Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT);
}
