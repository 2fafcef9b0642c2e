import type { Ledger } from './ledger.js';
import type { Logger } from './log.js';
import type { Recorder } from './recorder.js';

/** Timing of the dispatcher. */
export interface DispatcherOptions {
  /** Recordings handed to the SDK per flush. */
  batchSize: number;
  /** Wait in ms before a batch that was not fully delivered is recorded again. */
  retryDelayMillis: number;
}

/**
 * Moves recordings from the outbox to the collector: it hands a batch to the SDK,
 * waits until the SDK's exporter settled every span, and removes the batch from
 * the outbox only when the collector accepted all of its spans. Otherwise the
 * batch stays and is recorded again after `retryDelayMillis`, so delivery is at
 * least once. Recordings the SDK rejects as invalid end no span, are reported
 * through the SDK's error handler, and are removed.
 */
export class Dispatcher {
  private readonly ledger: Ledger;
  private readonly recorder: Recorder;
  private readonly log: Logger;
  private readonly options: DispatcherOptions;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private wakeRetry: (() => void) | undefined;
  private waitingForRetry = false;
  private waiters: (() => void)[] = [];
  /** Recordings confirmed delivered since the start. */
  delivered = 0;
  /** Batches that were not fully delivered and are retried. */
  retries = 0;

  constructor(ledger: Ledger, recorder: Recorder, log: Logger, options: DispatcherOptions) {
    this.ledger = ledger;
    this.recorder = recorder;
    this.log = log;
    this.options = options;
  }

  /** Starts draining the outbox, or drains again after the current pass. */
  kick(): void {
    if (this.stopped) return;
    if (this.running !== undefined) {
      this.again = true;
      return;
    }
    // A failed pass must not become an unhandled rejection, which ends the
    // process: it is logged, and the outbox keeps the batch for the next pass.
    const pass = this.drain().catch((error: unknown) => {
      this.log.error('outbox pass failed; its batch stays in the outbox', { error: error instanceof Error ? error.message : String(error) });
    });
    this.running = pass.finally(() => {
      this.running = undefined;
      if (!this.again || this.stopped) this.notifySettled();
      if (this.again && !this.stopped) {
        this.again = false;
        this.kick();
      }
    });
  }

  /** Resolves when the outbox is empty, or when a batch was not delivered and waits for its retry. */
  settled(): Promise<void> {
    if (this.running === undefined || this.waitingForRetry) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Stops after the batch in flight; what is left stays in the outbox for the next start. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.wakeRetry?.();
    while (this.running !== undefined) await this.running;
  }

  private notifySettled(): void {
    for (const resolve of this.waiters.splice(0)) resolve();
  }

  private async drain(): Promise<void> {
    while (!this.stopped) {
      const rows = this.ledger.pendingRecordings(this.options.batchSize);
      if (rows.length === 0) return;

      const before = this.recorder.exportStats();
      let spans = 0;
      for (const row of rows) spans += this.recorder.record(row.recording);
      await this.recorder.flush();
      const after = this.recorder.exportStats();

      const exported = after.exported - before.exported;
      const lost = after.failed - before.failed + (after.dropped - before.dropped);
      if (lost === 0 && exported >= spans && after.pending === 0) {
        this.ledger.confirmDelivered(rows.map((row) => row.seq));
        this.delivered += rows.length;
        continue;
      }

      this.retries += 1;
      this.log.warn('outbox batch not delivered; it stays in the outbox and is recorded again', {
        recordings: rows.length,
        spans,
        exported,
        lost,
        retry_in_ms: this.options.retryDelayMillis,
      });
      this.waitingForRetry = true;
      this.notifySettled();
      await new Promise<void>((resolve) => {
        this.wakeRetry = resolve;
        this.retryTimer = setTimeout(resolve, this.options.retryDelayMillis);
        this.retryTimer.unref();
      });
      this.waitingForRetry = false;
    }
  }
}
