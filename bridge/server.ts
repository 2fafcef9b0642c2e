import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhooks } from '@octokit/webhooks';
import { otlpHttpMetricsTargetFromEnv, otlpHttpTargetFromEnv, type ExportStats } from '../sdk/index.js';
import { Dispatcher } from './dispatcher.js';
import type { BridgeEvent } from './events.js';
import { parseGithubEvent } from './github.js';
import { GroupCommit } from './group-commit.js';
import { Ledger, type ApplyResult } from './ledger.js';
import { createLogger, type Logger } from './log.js';
import { checkOptions, DEFAULTS, type BridgeOptions } from './options.js';
import { parsePipelineEvent } from './pipeline-events.js';
import { Recorder } from './recorder.js';
import { readBody, TokenBucket } from './request.js';
import { countRows, openStore, type StoreCounts } from './store.js';

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** A running bridge. */
export interface Bridge {
  /** Base URL, such as http://127.0.0.1:8787. */
  url: string;
  port: number;
  /** Resolves due pull requests now instead of at the next sweep, and starts delivering. */
  sweep(): void;
  /** Resolves when the outbox is empty or its current batch was not delivered. */
  drained(): Promise<void>;
  stats(): BridgeStats;
  /** Stops accepting requests, lets the batch in flight settle, flushes the SDK and closes the database. */
  close(): Promise<void>;
}

/** Counters since the start, and the state store's row counts. */
export interface BridgeStats {
  responses: Record<string, number>;
  /** Recordings confirmed delivered. */
  delivered: number;
  /** Outbox batches that were not fully delivered and were retried. */
  retries: number;
  /** Span counts of the SDK's exporter. */
  export: ExportStats;
  store: StoreCounts;
}

/** The result of one request, as the response body and the log line state it. */
interface Answer {
  status: number;
  result: string;
  detail: string;
  headers?: Record<string, string>;
}

const STATUS_OF_RESULT: Record<ApplyResult['status'], number> = { recorded: 200, duplicate: 200, late: 200, full: 503 };

/**
 * Starts the bridge: an HTTP server with `POST /github` for GitHub webhooks,
 * `POST /events` for CI and deploy pipelines, and `GET /healthz`. It resolves
 * once the server listens. Throws on invalid options or an unusable database.
 */
export async function startBridge(options: BridgeOptions): Promise<Bridge> {
  const problem = checkOptions(options);
  if (problem !== undefined) throw new TypeError(problem);
  const log = options.logger ?? createLogger();
  const now = options.now ?? Date.now;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULTS.maxBodyBytes;

  const db = openStore(options.database);
  const ledger = new Ledger(db, {
    agentLogins: options.agentLogins ?? [],
    productionEnvironments: options.productionEnvironments ?? DEFAULTS.productionEnvironments,
    recordVerifications: options.recordVerifications ?? DEFAULTS.recordVerifications,
    settleMillis: options.settleMillis ?? DEFAULTS.settleMillis,
    idleMillis: options.idleMillis ?? DEFAULTS.idleMillis,
    deployWaitMillis: options.deployWaitMillis ?? DEFAULTS.deployWaitMillis,
    deliveryRetentionMillis: options.deliveryRetentionMillis ?? DEFAULTS.deliveryRetentionMillis,
    maxDeliveries: options.maxDeliveries ?? DEFAULTS.maxDeliveries,
    maxPullRequests: options.maxPullRequests ?? DEFAULTS.maxPullRequests,
    maxOutbox: options.maxOutbox ?? DEFAULTS.maxOutbox,
    now,
  });
  const recorder = new Recorder({
    target: options.target ?? targetFromEnv(log),
    metricsTarget: options.metricsTarget ?? otlpHttpMetricsTargetFromEnv().target,
    serviceName: options.serviceName ?? DEFAULTS.serviceName,
    maxRetryDurationMillis: options.maxRetryDurationMillis ?? DEFAULTS.maxRetryDurationMillis,
    onProblem: (message) => log.warn('SDK problem', { problem: message }),
  });
  const dispatcher = new Dispatcher(ledger, recorder, log, { batchSize: 500, retryDelayMillis: options.retryDelayMillis ?? DEFAULTS.retryDelayMillis });
  const commits = new GroupCommit(ledger);
  const webhooks = new Webhooks({ secret: options.secret });
  const bucket = new TokenBucket(options.maxRequestsPerSecond ?? DEFAULTS.maxRequestsPerSecond, options.burstRequests ?? DEFAULTS.burstRequests);
  const responses: Record<string, number> = {};

  const sweep = () => {
    try {
      const result = ledger.sweep();
      if (result.resolved + result.abandoned > 0) log.info('pull requests resolved', { ...result });
      // A backlog is worked off in short transactions, with requests served in between.
      if (result.more) setImmediate(sweep);
    } catch (error) {
      log.error('sweep failed; it runs again at the next interval', { error: (error as Error).message });
    }
    dispatcher.kick();
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const delivery = headerValue(request, 'x-github-delivery');
    const event = headerValue(request, 'x-github-event');
    let answer: Answer;
    try {
      answer = await answerRequest(request, { webhooks, ledger, commits, bucket, maxBodyBytes });
    } catch (error) {
      answer = { status: 500, result: 'error', detail: `internal error: ${(error as Error).message}` };
    }
    responses[answer.status] = (responses[answer.status] ?? 0) + 1;

    const fields = { status: answer.status, result: answer.result, delivery, event, path: request.url, detail: answer.detail };
    if (answer.status >= 500) log.error('request failed', fields);
    else if (answer.status >= 400) log.warn('request rejected', fields);
    else if (answer.result === 'ok') log.debug('health check', fields);
    else log.info(answer.result === 'ignored' ? 'event ignored' : 'event applied', fields);

    const body = JSON.stringify({ result: answer.result, detail: answer.detail, delivery: delivery ?? null });
    response.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
    response.end(body);
    if (answer.status === 200 && answer.result === 'recorded') dispatcher.kick();
  };

  const server: Server = createServer({ requestTimeout: 30_000, headersTimeout: 10_000 }, (request, response) => {
    void handle(request, response);
  });
  server.on('clientError', (error, socket) => {
    log.warn('malformed HTTP request', { error: error.message });
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    else socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? DEFAULTS.port, options.host ?? DEFAULTS.host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch(async (error: Error) => {
    await recorder.shutdown();
    db.close();
    throw new Error(`cannot listen on ${options.host ?? DEFAULTS.host}:${options.port ?? DEFAULTS.port}: ${error.message}`);
  });
  const { port } = server.address() as AddressInfo;
  const timer = setInterval(sweep, options.sweepIntervalMillis ?? DEFAULTS.sweepIntervalMillis);
  timer.unref();
  // Recordings left by a previous process are delivered first.
  sweep();
  log.info('bridge listening', { url: `http://${options.host ?? DEFAULTS.host}:${port}`, database: options.database, outbox: ledger.pendingCount });

  let closing: Promise<void> | undefined;
  return {
    url: `http://${options.host ?? DEFAULTS.host}:${port}`,
    port,
    sweep,
    drained: async () => {
      await dispatcher.settled();
    },
    stats: () => ({ responses: { ...responses }, delivered: dispatcher.delivered, retries: dispatcher.retries, export: recorder.exportStats(), store: countRows(db) }),
    close: () => {
      closing ??= (async () => {
        clearInterval(timer);
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        await closed;
        await dispatcher.stop();
        await recorder.shutdown();
        db.close();
        log.info('bridge stopped', { outbox: 'kept in the database' });
      })();
      return closing;
    },
  };
}

interface Services {
  webhooks: Webhooks;
  ledger: Ledger;
  commits: GroupCommit;
  bucket: TokenBucket;
  maxBodyBytes: number;
}

async function answerRequest(request: IncomingMessage, services: Services): Promise<Answer> {
  const path = new URL(request.url ?? '/', 'http://bridge').pathname;
  if (path === '/healthz' && (request.method === 'GET' || request.method === 'HEAD')) {
    return { status: 200, result: 'ok', detail: `outbox ${services.ledger.pendingCount}` };
  }
  if (path !== '/github' && path !== '/events') {
    request.resume();
    return { status: 404, result: 'not-found', detail: `no endpoint ${path}; use POST /github or POST /events` };
  }
  if (request.method !== 'POST') {
    request.resume();
    return { status: 405, result: 'method-not-allowed', detail: `${path} accepts POST only`, headers: { allow: 'POST' } };
  }
  if (!services.bucket.take()) {
    request.resume();
    return { status: 429, result: 'rate-limited', detail: 'too many requests; retry later', headers: { 'retry-after': '1' } };
  }

  const body = await readBody(request, services.maxBodyBytes);
  if (body === 'too-large') {
    return { status: 413, result: 'too-large', detail: `body larger than ${services.maxBodyBytes} bytes`, headers: { connection: 'close' } };
  }
  if (body === 'aborted') return { status: 400, result: 'aborted', detail: 'the client aborted the request body' };

  const signature = headerValue(request, 'x-hub-signature-256');
  if (signature === undefined) return { status: 401, result: 'unauthorized', detail: 'missing X-Hub-Signature-256 header' };
  // The signature is checked over the decoded text, so bytes that are not UTF-8
  // would fail it and send the operator to check a secret that is fine.
  let text: string;
  try {
    text = UTF8.decode(body);
  } catch {
    return { status: 400, result: 'malformed', detail: 'the body is not valid UTF-8; send the JSON event as UTF-8' };
  }
  if (!(await verifySignature(services.webhooks, text, signature))) {
    return { status: 401, result: 'unauthorized', detail: 'X-Hub-Signature-256 does not match the body and the configured secret' };
  }

  const payload = parsePayload(text, headerValue(request, 'content-type'));
  if (payload instanceof Error) return { status: 400, result: 'malformed', detail: payload.message };
  return path === '/github' ? answerGithub(request, payload, services.commits) : answerPipeline(payload, services.commits);
}

async function answerGithub(request: IncomingMessage, payload: unknown, commits: GroupCommit): Promise<Answer> {
  const name = headerValue(request, 'x-github-event');
  const delivery = headerValue(request, 'x-github-delivery');
  if (name === undefined || delivery === undefined) {
    return { status: 400, result: 'malformed', detail: 'missing X-GitHub-Event or X-GitHub-Delivery header' };
  }
  const parsed = parseGithubEvent(name, payload);
  if (parsed.kind === 'ignored') return { status: 202, result: 'ignored', detail: parsed.reason };
  if (parsed.kind === 'invalid') return { status: 422, result: 'invalid', detail: parsed.message };
  return apply(commits, `github:${delivery}`, parsed.event);
}

async function answerPipeline(payload: unknown, commits: GroupCommit): Promise<Answer> {
  const parsed = parsePipelineEvent(payload);
  if (parsed.kind === 'invalid') return { status: 422, result: 'invalid', detail: parsed.message };
  if (parsed.kind === 'ignored' || parsed.id === undefined) return { status: 202, result: 'ignored', detail: 'nothing to record' };
  return apply(commits, `events:${parsed.id}`, parsed.event);
}

async function apply(commits: GroupCommit, deliveryId: string, event: BridgeEvent): Promise<Answer> {
  const result = await commits.submit(deliveryId, event);
  if (result instanceof Error) throw result;
  return { status: STATUS_OF_RESULT[result.status], result: result.status, detail: result.detail, ...(result.status === 'full' ? { headers: { 'retry-after': '60' } } : {}) };
}

async function verifySignature(webhooks: Webhooks, body: string, signature: string): Promise<boolean> {
  try {
    return await webhooks.verify(body, signature);
  } catch {
    // A malformed header (wrong prefix or length) is a mismatch, not a server error.
    return false;
  }
}

// GitHub sends JSON, or a form with a `payload` field when the webhook's content type is form-encoded.
// A form-typed body that does not start with `payload=` is read as JSON, as curl -d sends it.
function parsePayload(text: string, contentType: string | undefined): unknown {
  let json = text;
  if (contentType?.startsWith('application/x-www-form-urlencoded') && text.startsWith('payload=')) {
    const field = new URLSearchParams(text).get('payload');
    if (field === null) return new Error('form body without a payload field');
    json = field;
  }
  try {
    const value: unknown = JSON.parse(json);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return new Error('expected a JSON object');
    return value;
  } catch (error) {
    return new Error(`malformed JSON: ${(error as Error).message}`);
  }
}

function headerValue(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  const text = Array.isArray(value) ? value[0] : value;
  return text === undefined || text === '' ? undefined : text;
}

function targetFromEnv(log: Logger) {
  const { target, problems } = otlpHttpTargetFromEnv();
  for (const problem of problems) log.warn('OTLP configuration problem', { problem });
  return target;
}
