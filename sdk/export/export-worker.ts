import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';

import { EXPORT_WORKER_SOURCE } from './worker-source.js';

/** Kind of telemetry in a batch, which selects the endpoint it is sent to. */
export type ExportSignal = 'traces' | 'metrics';

/** Connection settings of one OTLP/HTTP endpoint. */
export interface ExportEndpointConfig {
  url: string;
  headers: Record<string, string>;
  contentType: string;
  compression: 'gzip' | 'none';
  /** Maximum duration in ms of one HTTP request. */
  timeoutMillis: number;
}

/** Settings the export worker receives in `workerData.config`. */
export interface ExportWorkerConfig {
  /** Endpoint by signal. A batch of a signal without an endpoint fails at once. */
  endpoints: Partial<Record<ExportSignal, ExportEndpointConfig>>;
  userAgent: string;
  initialBackoffMillis: number;
  maxBackoffMillis: number;
  /** Upper limit in ms for a collector's Retry-After. */
  maxRetryAfterMillis: number;
  /** Maximum number of span requests at a time. Metrics requests have one slot of their own. */
  maxConcurrentRequests: number;
  /** Maximum response body bytes kept for parsing. The rest of a longer body is discarded. */
  maxResponseBytes: number;
}


/** Final result of one batch, posted exactly once per batch. */
export interface BatchSettledMessage {
  type: 'settled';
  id: number;
  /** 'superseded': a newer metrics batch replaced this one before it was delivered. */
  outcome: 'exported' | 'failed' | 'superseded';
  attempts: number;
  /** HTTP status of the last response, absent after a network error. */
  status?: number;
  contentType?: string;
  /** First `maxResponseBytes` bytes of the last response body. */
  body?: Uint8Array;
  /** Why the batch failed, for example "HTTP 400" or "ECONNREFUSED: connect ...". */
  error?: string;
  /**
   * `error.type` of the failed-spans metric, present when `outcome` is 'failed': the
   * HTTP status code as a string, 'timeout' for a request that exceeded its timeout,
   * 'network' for other connection errors, or 'serialization' when gzip compression
   * failed. '_OTHER' covers the rest.
   */
  errorType?: string;
}

/** Notice that a batch will be sent again after `delayMillis`. */
export interface BatchRetryMessage {
  type: 'retry';
  id: number;
  attempt: number;
  reason: string;
  delayMillis: number;
  /** Time in ms left of the batch's maximum retry duration. */
  remainingMillis: number;
}

export type ExportWorkerMessage = BatchSettledMessage | BatchRetryMessage;

export interface ExportWorkerHandlers {
  onMessage(message: ExportWorkerMessage): void;
  /** Called once if the worker thread stops on its own, for example after a crash. */
  onStopped(error: Error): void;
}

const SETTLED_COUNT_INDEX = 0;

/**
 * Main-thread handle of the export worker thread.
 *
 * Neither the worker nor its result port keeps the process alive, unless `keepAlive`
 * is set, so the host exits as it would without the SDK. `waitSync` is the only
 * blocking call and is meant for 'exit' and signal handlers.
 */
export class ExportWorker {
  private readonly worker: Worker;
  private readonly resultPort: MessagePort;
  /** Number of batches the worker has settled, incremented by the worker thread. */
  private readonly settledCount: Int32Array;
  private stopped = false;

  /** Starts the worker thread. Throws if the thread cannot be created. */
  constructor(config: ExportWorkerConfig, private readonly handlers: ExportWorkerHandlers) {
    const sharedState = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);
    this.settledCount = new Int32Array(sharedState);

    const channel = new MessageChannel();
    this.resultPort = channel.port1;
    this.resultPort.on('message', (message: ExportWorkerMessage) => this.handlers.onMessage(message));
    this.resultPort.unref();

    this.worker = new Worker(EXPORT_WORKER_SOURCE, {
      eval: true,
      // Without this the worker inherits flags such as --import of a TypeScript loader.
      execArgv: [],
      workerData: { config, sharedState, resultPort: channel.port2 },
      transferList: [channel.port2],
    });
    this.worker.unref();
    this.worker.on('error', (error) => this.markStopped(error));
    this.worker.on('exit', (code) => this.markStopped(new Error(`export worker thread exited with code ${code}`)));
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /**
   * Sends one serialized OTLP request body to the worker, which retries it for at most
   * `maxRetryDurationMillis` after its first request. The body is copied.
   */
  postBatch(id: number, signal: ExportSignal, body: Uint8Array, maxRetryDurationMillis: number): void {
    const copy = new Uint8Array(body);
    this.worker.postMessage({ type: 'batch', id, signal, body: copy, maxRetryDurationMillis }, [copy.buffer]);
  }

  /** Tells the worker that the process is exiting and when the main thread stops waiting. */
  postExitDeadline(deadline: number): void {
    this.worker.postMessage({ type: 'exit', deadline });
  }

  /**
   * Hands every result the worker posts to `onMessage` and blocks until `isDone()`
   * returns true, the worker stops or `deadline` (epoch ms) passes. Returns the last
   * value of `isDone()`.
   */
  waitSync(deadline: number, isDone: () => boolean): boolean {
    for (;;) {
      // Read the counter before draining: a result posted after the drain changes the
      // counter, so Atomics.wait then returns at once instead of sleeping.
      const settled = Atomics.load(this.settledCount, SETTLED_COUNT_INDEX);
      if (!this.stopped) {
        this.drainMessagesSync();
      }
      const remaining = deadline - Date.now();
      if (isDone() || remaining <= 0 || this.stopped) {
        return isDone();
      }
      Atomics.wait(this.settledCount, SETTLED_COUNT_INDEX, settled, remaining);
    }
  }

  /** Hands every result already posted by the worker to `onMessage`, without waiting. */
  drainMessagesSync(): void {
    for (;;) {
      const received = receiveMessageOnPort(this.resultPort);
      if (received === undefined) {
        return;
      }
      this.handlers.onMessage(received.message as ExportWorkerMessage);
    }
  }

  /** Keeps the process alive while results are expected, for example during forceFlush. */
  setKeepAlive(keepAlive: boolean): void {
    if (keepAlive) {
      this.resultPort.ref();
    } else {
      this.resultPort.unref();
    }
  }

  /** Stops the worker thread. Batches still in it are abandoned, so flush first. */
  async terminate(): Promise<void> {
    this.stopped = true;
    this.resultPort.close();
    await this.worker.terminate();
  }

  private markStopped(error: Error): void {
    if (this.stopped) {
      return;
    }
    this.stopped = true;
    // Results posted before the thread stopped are still valid.
    this.drainMessagesSync();
    this.resultPort.close();
    this.handlers.onStopped(error);
  }
}
