import type { OtlpHttpTarget } from '../sdk/index.js';
import type { Logger } from './log.js';

/** Options of startBridge. Every limit has a default; docs/bridge.md lists them. */
export interface BridgeOptions {
  /** Secret of the GitHub webhook, which also signs `POST /events` bodies. Required, at least 16 characters. */
  secret: string;
  /** SQLite state file; `:memory:` keeps state in memory (lost at exit, for tests). Required. */
  database: string;
  /** Port to listen on; 0 lets the OS pick. Default 8787. */
  port?: number;
  /** Address to listen on. Default 127.0.0.1; put a TLS proxy in front for GitHub. */
  host?: string;
  /** Collector traces endpoint. Default: from the OTEL_EXPORTER_OTLP_* variables. */
  target?: OtlpHttpTarget;
  /** Collector metrics endpoint for the exporter's own counts. Default: from the OTEL_EXPORTER_OTLP_* variables. */
  metricsTarget?: OtlpHttpTarget;
  /** `service.name` of the recorded spans. Default `factory-telemetry-bridge`. */
  serviceName?: string;
  /** Agent logins; see ResolutionPolicy.agentLogins. Default: none, so each pull request's author. */
  agentLogins?: readonly string[];
  /** Environments whose successful deployment ends stage F. Default `['production']`. */
  productionEnvironments?: readonly string[];
  /** Record CI results as factory.verification spans. Default true. */
  recordVerifications?: boolean;
  /** Largest request body in bytes; larger ones get 413. Default 5 MiB (5242880). */
  maxBodyBytes?: number;
  /** Sustained requests per second over all clients; more get 429. Default 200. */
  maxRequestsPerSecond?: number;
  /** Requests allowed in a burst above the sustained rate. Default 400. */
  burstRequests?: number;
  /** Time in ms after a pull request's last event, once closed, before its run is recorded. Default 60000. */
  settleMillis?: number;
  /** Time in ms without events after which an open pull request's run is recorded as abandoned. Default 14 days. */
  idleMillis?: number;
  /** Time in ms a merged pull request waits for its production deployment. Default 30 days. */
  deployWaitMillis?: number;
  /** Time in ms a delivery id is remembered. Default 7 days. */
  deliveryRetentionMillis?: number;
  /** Delivery ids remembered at most; the oldest are forgotten first. Default 1000000. */
  maxDeliveries?: number;
  /** Pull requests tracked at most; events of a new one get 503 beyond it. Default 100000. */
  maxPullRequests?: number;
  /** Recordings waiting for the collector at most; new events get 503 beyond it. Default 100000. */
  maxOutbox?: number;
  /** Time in ms between two sweeps (resolving due pull requests, pruning). Default 5000. */
  sweepIntervalMillis?: number;
  /** Time in ms the SDK retries a batch while the collector is unreachable. Default 60000. */
  maxRetryDurationMillis?: number;
  /** Wait in ms before an undelivered outbox batch is recorded again. Default 5000. */
  retryDelayMillis?: number;
  /** Log destination. Default: logfmt lines on stderr at level info. */
  logger?: Logger;
  /** Clock in epoch ms. Default Date.now; for tests. */
  now?: () => number;
}

export const DEFAULTS = {
  port: 8787,
  host: '127.0.0.1',
  serviceName: 'factory-telemetry-bridge',
  productionEnvironments: ['production'],
  recordVerifications: true,
  maxBodyBytes: 5 * 1024 * 1024,
  maxRequestsPerSecond: 200,
  burstRequests: 400,
  settleMillis: 60_000,
  idleMillis: 14 * 24 * 3600_000,
  deployWaitMillis: 30 * 24 * 3600_000,
  deliveryRetentionMillis: 7 * 24 * 3600_000,
  maxDeliveries: 1_000_000,
  maxPullRequests: 100_000,
  maxOutbox: 100_000,
  sweepIntervalMillis: 5_000,
  maxRetryDurationMillis: 60_000,
  retryDelayMillis: 5_000,
} as const;

/** Returns a message naming each invalid option, or undefined. */
export function checkOptions(options: BridgeOptions): string | undefined {
  const problems: string[] = [];
  if (typeof options.secret !== 'string' || options.secret.length < 16) {
    problems.push('secret: expected at least 16 characters (GitHub recommends a random string of high entropy)');
  }
  if (typeof options.database !== 'string' || options.database === '') problems.push('database: expected a file path or :memory:');
  const integers: [keyof BridgeOptions, number][] = [
    ['port', 0],
    ['maxBodyBytes', 1],
    ['maxRequestsPerSecond', 1],
    ['burstRequests', 1],
    ['settleMillis', 0],
    ['idleMillis', 1],
    ['deployWaitMillis', 1],
    ['deliveryRetentionMillis', 1],
    ['maxDeliveries', 1],
    ['maxPullRequests', 1],
    ['maxOutbox', 1],
    ['sweepIntervalMillis', 1],
    ['maxRetryDurationMillis', 0],
    ['retryDelayMillis', 0],
  ];
  for (const [key, minimum] of integers) {
    const value = options[key];
    if (value !== undefined && (typeof value !== 'number' || !Number.isSafeInteger(value) || value < minimum)) {
      problems.push(`${key}: expected an integer of ${minimum} or more, got ${String(value)}`);
    }
  }
  if (options.port !== undefined && options.port > 65535) problems.push(`port: expected 0 to 65535, got ${options.port}`);
  return problems.length === 0 ? undefined : `invalid bridge options: ${problems.join('; ')}`;
}
