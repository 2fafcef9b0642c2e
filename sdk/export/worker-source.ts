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
 * - Main thread to worker, on `parentPort`: `{ type: 'batch', id, body }` and
 *   `{ type: 'exit', deadline }` (epoch ms).
 * - Worker to main thread, on `resultPort`: `{ type: 'retry', ... }` notices and exactly
 *   one `{ type: 'settled', ... }` result per batch. After posting a result the worker
 *   increments `sharedState[0]` and calls `Atomics.notify`, so a main thread blocked in
 *   `Atomics.wait` wakes up and can read the result with `receiveMessageOnPort`.
 * - A batch is sent again only after a retryable outcome: a network error, a timeout,
 *   or HTTP 429, 502, 503 or 504. NOTE: after a timeout or a lost connection the
 *   collector may have received the batch already, so that retry can duplicate spans.
 */
export const EXPORT_WORKER_SOURCE = `'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const http = require('node:http');
const https = require('node:https');
const zlib = require('node:zlib');

const config = workerData.config;
const settledCounter = new Int32Array(workerData.sharedState);
const resultPort = workerData.resultPort;
const endpoint = new URL(config.url);
const transport = endpoint.protocol === 'https:' ? https : http;
const agent = new transport.Agent({ keepAlive: true, maxSockets: config.maxConcurrentRequests });
const RETRYABLE_STATUS_CODES = new Set([429, 502, 503, 504]);
const BACKOFF_MULTIPLIER = 1.5;

// Batches waiting for a free request slot, in arrival order.
const readyBatches = [];
// Batches waiting for their retry time.
const backingOffBatches = new Set();
let activeRequests = 0;
// Epoch ms by which the main thread stops waiting at process exit, or 0 before exit.
let exitDeadline = 0;

parentPort.on('message', (message) => {
  if (message.type === 'batch') {
    readyBatches.push({ id: message.id, body: message.body, compressedBody: undefined, attempts: 0, retryTimer: undefined, retryAt: 0 });
    startRequests();
  } else if (message.type === 'exit') {
    exitDeadline = message.deadline;
    // Shorten waits that were scheduled without the exit deadline in mind.
    for (const batch of backingOffBatches) {
      scheduleRetry(batch, Math.max(0, batch.retryAt - Date.now()));
    }
  }
});

function startRequests() {
  while (activeRequests < config.maxConcurrentRequests && readyBatches.length > 0) {
    const batch = readyBatches.shift();
    activeRequests += 1;
    prepareBody(batch, (error, body) => {
      if (error) {
        activeRequests -= 1;
        settle(batch, { outcome: 'failed', error: 'gzip compression of the request body failed: ' + describeError(error) });
        startRequests();
        return;
      }
      sendRequest(batch, body);
    });
  }
}

function prepareBody(batch, callback) {
  if (config.compression !== 'gzip') {
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

function sendRequest(batch, body) {
  batch.attempts += 1;
  let finished = false;
  let timer;
  const finish = (outcome) => {
    if (finished) {
      return;
    }
    finished = true;
    clearTimeout(timer);
    activeRequests -= 1;
    handleOutcome(batch, outcome);
    startRequests();
  };

  const headers = Object.assign({ 'User-Agent': config.userAgent }, config.headers, {
    'Content-Type': config.contentType,
    'Content-Length': body.byteLength,
  });
  if (config.compression === 'gzip') {
    headers['Content-Encoding'] = 'gzip';
  }

  let request;
  try {
    request = transport.request(endpoint, { method: 'POST', headers, agent }, (response) => {
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
      response.on('error', (error) => finish({ error }));
      response.on('close', () => {
        if (!response.complete) {
          finish({ error: new Error('connection closed before the response was complete') });
        }
      });
    });
  } catch (error) {
    finish({ error });
    return;
  }
  timer = setTimeout(() => {
    request.destroy(new Error('request timed out after ' + config.timeoutMillis + ' ms'));
  }, config.timeoutMillis);
  request.on('error', (error) => finish({ error }));
  request.end(body);
}

function handleOutcome(batch, outcome) {
  const status = outcome.status;
  if (outcome.error === undefined && status >= 200 && status < 300) {
    settle(batch, { outcome: 'exported', status, contentType: outcome.contentType, body: outcome.body });
    return;
  }

  const retryable = outcome.error !== undefined || RETRYABLE_STATUS_CODES.has(status);
  const reason = outcome.error !== undefined ? describeError(outcome.error) : 'HTTP ' + status;
  if (!retryable) {
    settle(batch, { outcome: 'failed', status, contentType: outcome.contentType, body: outcome.body, error: reason });
    return;
  }
  if (batch.attempts >= config.maxAttempts) {
    settle(batch, {
      outcome: 'failed',
      status,
      contentType: outcome.contentType,
      body: outcome.body,
      error: reason + ' (gave up after ' + batch.attempts + ' attempts)',
    });
    return;
  }

  const delayMillis = retryDelay(batch, outcome.retryAfter);
  post({ type: 'retry', id: batch.id, attempt: batch.attempts, reason, delayMillis });
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
    readyBatches.push(batch);
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
