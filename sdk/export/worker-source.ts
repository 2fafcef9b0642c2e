/**
 * Source of the export worker thread, started with `new Worker(source, { eval: true })`.
 *
 * The worker is kept as plain CommonJS text, not as a module file, for two reasons.
 * The same text runs whether the SDK is loaded from TypeScript source (vitest) or
 * from compiled `dist/`, because `tsc` copies no `.js` or `.cjs` files. And a
 * function's `toString()` would break as soon as a bundler or coverage tool rewrites
 * its body.
 *
 * Protocol, see ExportWorkerConfig and the message types in export-worker.ts:
 * - `workerData`: `{ config, sharedState, resultPort }`.
 * - Main thread to worker, on `parentPort`: `{ type: 'batch', id, signal, body,
 *   maxRetryDurationMillis }`, where `signal` is 'traces' or 'metrics', and
 *   `{ type: 'exit', deadline }` (epoch ms).
 * - Worker to main thread, on `resultPort`: `{ type: 'retry', ... }` notices and exactly
 *   one `{ type: 'settled', ... }` result per batch. After posting a result the worker
 *   increments `sharedState[0]` and calls `Atomics.notify`, so a main thread blocked in
 *   `Atomics.wait` wakes up and can read the result with `receiveMessageOnPort`.
 * - A batch is sent again only after a retryable outcome: a network error, a timeout,
 *   or HTTP 429, 502, 503 or 504, and only until `maxRetryDurationMillis` have passed
 *   since its first request started. NOTE: after a timeout or a lost connection the
 *   collector may have received the batch already, so that retry can duplicate spans.
 * - Span batches share `maxConcurrentRequests` request slots. Metrics batches have one
 *   slot of their own, so that they neither wait behind span batches nor delay them.
 *   A metrics batch carries cumulative counts, so a newer one makes every older one
 *   that is not being sent obsolete: the older one settles as 'superseded'.
 */
export const EXPORT_WORKER_SOURCE = `'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const http = require('node:http');
const https = require('node:https');
const zlib = require('node:zlib');

const config = workerData.config;
const settledCounter = new Int32Array(workerData.sharedState);
const resultPort = workerData.resultPort;
const RETRYABLE_STATUS_CODES = new Set([429, 502, 503, 504]);
const BACKOFF_MULTIPLIER = 1.5;

// Connection settings by signal ('traces', 'metrics'), from config.endpoints.
const endpoints = {};
for (const signal of Object.keys(config.endpoints)) {
  const settings = config.endpoints[signal];
  const url = new URL(settings.url);
  const transport = url.protocol === 'https:' ? https : http;
  endpoints[signal] = {
    settings,
    url,
    transport,
    agent: new transport.Agent({ keepAlive: true, maxSockets: config.maxConcurrentRequests }),
  };
}

// Batches waiting for a free request slot, in arrival order, and the number of
// requests running, by signal.
const lanes = {
  traces: { readyBatches: [], activeRequests: 0, maxActiveRequests: config.maxConcurrentRequests },
  metrics: { readyBatches: [], activeRequests: 0, maxActiveRequests: 1 },
};
// Batches waiting for their retry time.
const backingOffBatches = new Set();
// Id of the newest metrics batch; older ones are obsolete.
let newestMetricsBatchId = 0;
// Epoch ms by which the main thread stops waiting at process exit, or 0 before exit.
let exitDeadline = 0;

parentPort.on('message', (message) => {
  if (message.type === 'batch') {
    receiveBatch(message);
  } else if (message.type === 'exit') {
    exitDeadline = message.deadline;
    // Shorten waits that were scheduled without the exit deadline in mind.
    for (const batch of backingOffBatches) {
      scheduleRetry(batch, Math.max(0, batch.retryAt - Date.now()));
    }
  }
});

function receiveBatch(message) {
  const batch = {
    id: message.id,
    signal: message.signal,
    body: message.body,
    maxRetryDurationMillis: message.maxRetryDurationMillis,
    compressedBody: undefined,
    attempts: 0,
    firstAttemptAt: 0,
    retryTimer: undefined,
    retryAt: 0,
  };
  if (endpoints[batch.signal] === undefined) {
    settle(batch, { outcome: 'failed', errorType: '_OTHER', error: 'no endpoint is configured for ' + batch.signal });
    return;
  }
  if (batch.signal === 'metrics') {
    newestMetricsBatchId = Math.max(newestMetricsBatchId, batch.id);
    supersedeWaitingMetricsBatches();
  }
  lanes[batch.signal].readyBatches.push(batch);
  startRequests();
}

// Settles the metrics batches that wait for a slot or a retry and are older than the
// newest one. A metrics batch that is being sent finishes its request first.
function supersedeWaitingMetricsBatches() {
  const lane = lanes.metrics;
  const waiting = lane.readyBatches.filter((batch) => batch.id < newestMetricsBatchId);
  lane.readyBatches = lane.readyBatches.filter((batch) => batch.id >= newestMetricsBatchId);
  for (const batch of backingOffBatches) {
    if (batch.signal === 'metrics' && batch.id < newestMetricsBatchId) {
      clearTimeout(batch.retryTimer);
      backingOffBatches.delete(batch);
      waiting.push(batch);
    }
  }
  for (const batch of waiting) {
    settle(batch, { outcome: 'superseded' });
  }
}

function startRequests() {
  for (const signal of Object.keys(lanes)) {
    const lane = lanes[signal];
    while (lane.activeRequests < lane.maxActiveRequests && lane.readyBatches.length > 0) {
      startRequest(lane, lane.readyBatches.shift());
    }
  }
}

function startRequest(lane, batch) {
  lane.activeRequests += 1;
  prepareBody(batch, (error, body) => {
    if (error) {
      lane.activeRequests -= 1;
      settle(batch, {
        outcome: 'failed',
        errorType: 'serialization',
        error: 'gzip compression of the request body failed: ' + describeError(error),
      });
      startRequests();
      return;
    }
    sendRequest(lane, batch, body);
  });
}

function prepareBody(batch, callback) {
  if (endpoints[batch.signal].settings.compression !== 'gzip') {
    callback(undefined, batch.body);
  } else if (batch.compressedBody !== undefined) {
    callback(undefined, batch.compressedBody);
  } else {
    zlib.gzip(batch.body, (error, compressed) => {
      if (!error) {
        batch.compressedBody = compressed;
      }
      callback(error, compressed);
    });
  }
}

function sendRequest(lane, batch, body) {
  const endpoint = endpoints[batch.signal];
  const settings = endpoint.settings;
  batch.attempts += 1;
  if (batch.firstAttemptAt === 0) {
    batch.firstAttemptAt = Date.now();
  }
  let finished = false;
  let timedOut = false;
  let timer;
  const finish = (outcome) => {
    if (finished) {
      return;
    }
    finished = true;
    clearTimeout(timer);
    lane.activeRequests -= 1;
    handleOutcome(batch, outcome);
    startRequests();
  };

  const headers = Object.assign({ 'User-Agent': config.userAgent }, settings.headers, {
    'Content-Type': settings.contentType,
    'Content-Length': body.byteLength,
  });
  if (settings.compression === 'gzip') {
    headers['Content-Encoding'] = 'gzip';
  }

  let request;
  try {
    request = endpoint.transport.request(endpoint.url, { method: 'POST', headers, agent: endpoint.agent }, (response) => {
      const chunks = [];
      let size = 0;
      response.on('data', (chunk) => {
        if (size < config.maxResponseBytes) {
          chunks.push(chunk);
          size += chunk.length;
        }
      });
      response.on('end', () => {
        finish({
          status: response.statusCode,
          retryAfter: response.headers['retry-after'],
          contentType: response.headers['content-type'],
          body: new Uint8Array(Buffer.concat(chunks).subarray(0, config.maxResponseBytes)),
        });
      });
      response.on('error', (error) => finish({ error, timedOut }));
      response.on('close', () => {
        if (!response.complete) {
          finish({ error: new Error('connection closed before the response was complete'), timedOut });
        }
      });
    });
  } catch (error) {
    finish({ error, timedOut: false });
    return;
  }
  timer = setTimeout(() => {
    timedOut = true;
    request.destroy(new Error('request timed out after ' + settings.timeoutMillis + ' ms'));
  }, settings.timeoutMillis);
  request.on('error', (error) => finish({ error, timedOut }));
  request.end(body);
}

function handleOutcome(batch, outcome) {
  const status = outcome.status;
  if (outcome.error === undefined && status >= 200 && status < 300) {
    settle(batch, { outcome: 'exported', status, contentType: outcome.contentType, body: outcome.body });
    return;
  }

  const networkError = outcome.error !== undefined;
  const reason = networkError ? describeError(outcome.error) : 'HTTP ' + status;
  const failure = {
    outcome: 'failed',
    status,
    contentType: outcome.contentType,
    body: outcome.body,
    errorType: networkError ? (outcome.timedOut ? 'timeout' : 'network') : String(status),
    error: reason,
  };
  if (!networkError && !RETRYABLE_STATUS_CODES.has(status)) {
    settle(batch, failure);
    return;
  }
  if (batch.signal === 'metrics' && batch.id < newestMetricsBatchId) {
    settle(batch, { outcome: 'superseded' });
    return;
  }
  const elapsedMillis = Date.now() - batch.firstAttemptAt;
  const remainingMillis = batch.maxRetryDurationMillis - elapsedMillis;
  if (remainingMillis <= 0) {
    failure.error = reason + ' (gave up after ' + batch.attempts + ' attempts in ' + (elapsedMillis / 1000).toFixed(1) + ' s)';
    settle(batch, failure);
    return;
  }

  // The last retry starts when the retry duration ends, even if the backoff or the
  // collector's Retry-After requests a longer wait.
  const delayMillis = Math.min(retryDelay(batch, outcome.retryAfter), remainingMillis);
  post({ type: 'retry', id: batch.id, attempt: batch.attempts, reason, delayMillis, remainingMillis });
  scheduleRetry(batch, delayMillis);
}

// Exponential backoff with +-20% jitter, or the collector's Retry-After when it sends one.
function retryDelay(batch, retryAfter) {
  const requested = parseRetryAfter(retryAfter);
  if (requested !== undefined) {
    return Math.min(requested, config.maxRetryAfterMillis);
  }
  const backoff = Math.min(
    config.initialBackoffMillis * Math.pow(BACKOFF_MULTIPLIER, batch.attempts - 1),
    config.maxBackoffMillis,
  );
  return Math.round(backoff * (0.8 + 0.4 * Math.random()));
}

// Retry-After is either delay-seconds or an HTTP-date (RFC 9110, section 10.2.3).
function parseRetryAfter(value) {
  if (typeof value !== 'string' || value.trim() === '') {
    return undefined;
  }
  const text = value.trim();
  if (/^\\d+$/.test(text)) {
    return Number(text) * 1000;
  }
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function scheduleRetry(batch, delayMillis) {
  let delay = delayMillis;
  if (exitDeadline > 0) {
    // At exit the main thread waits only until exitDeadline, so start the retry within
    // a quarter of the time left, leaving room for the request and one more retry.
    delay = Math.min(delay, Math.max(0, Math.floor((exitDeadline - Date.now()) / 4)));
  }
  clearTimeout(batch.retryTimer);
  batch.retryAt = Date.now() + delay;
  backingOffBatches.add(batch);
  batch.retryTimer = setTimeout(() => {
    backingOffBatches.delete(batch);
    lanes[batch.signal].readyBatches.push(batch);
    startRequests();
  }, delay);
}

function settle(batch, result) {
  result.type = 'settled';
  result.id = batch.id;
  result.attempts = batch.attempts;
  post(result);
  Atomics.add(settledCounter, 0, 1);
  Atomics.notify(settledCounter, 0);
}

function post(message) {
  try {
    resultPort.postMessage(message);
  } catch {
    // The main thread closed its port during shutdown and no longer reads results.
  }
}

function describeError(error) {
  if (error === null || typeof error !== 'object') {
    return String(error);
  }
  const message = String(error.message || error);
  return error.code && !message.includes(error.code) ? error.code + ': ' + message : message;
}
`;
