import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { BRIDGE_DEFAULTS, createLogger, startBridge, type Bridge, type BridgeOptions, type LogLevel } from '../../bridge/index.js';

const DAY_MILLIS = 24 * 3600_000;

const USAGE = `Usage: factory-telemetry bridge --secret-file PATH [options]

Receives GitHub webhooks (POST /github) and CI and deploy events (POST /events),
and records the review, verification, deployment and outcome stages of each run
over OTLP to OTEL_EXPORTER_OTLP_ENDPOINT (default http://localhost:4318).
Each option can also be set by the environment variable after it; a flag wins.

  --port N                     port to listen on (FACTORY_BRIDGE_PORT, default ${BRIDGE_DEFAULTS.port})
  --host ADDR                  address to listen on (FACTORY_BRIDGE_HOST, default ${BRIDGE_DEFAULTS.host})
  --secret-file PATH           file with the webhook secret, at least 16 characters (FACTORY_BRIDGE_SECRET_FILE);
                               FACTORY_BRIDGE_SECRET may hold the secret itself instead
  --db PATH                    SQLite state file (FACTORY_BRIDGE_DB, default factory-bridge.db)
  --agent-login LOGIN          GitHub login of an agent; repeat or separate with commas
                               (FACTORY_BRIDGE_AGENT_LOGINS, default: each pull request's author)
  --production-environment N   environment whose deployments end stage F; repeat or separate with commas
                               (FACTORY_BRIDGE_PRODUCTION_ENVIRONMENTS, default production)
  --no-verification-spans      do not record CI results as verification spans (FACTORY_BRIDGE_VERIFICATION_SPANS=false)
  --max-body-bytes N           largest request body in bytes (FACTORY_BRIDGE_MAX_BODY_BYTES, default ${BRIDGE_DEFAULTS.maxBodyBytes})
  --max-requests-per-second N  sustained request rate (FACTORY_BRIDGE_MAX_REQUESTS_PER_SECOND, default ${BRIDGE_DEFAULTS.maxRequestsPerSecond})
  --burst N                    requests allowed in a burst (FACTORY_BRIDGE_BURST, default ${BRIDGE_DEFAULTS.burstRequests})
  --settle-seconds N           wait after a pull request's last event before recording it (FACTORY_BRIDGE_SETTLE_SECONDS, default ${BRIDGE_DEFAULTS.settleMillis / 1000})
  --idle-days N                days without events before an open pull request is abandoned (FACTORY_BRIDGE_IDLE_DAYS, default ${BRIDGE_DEFAULTS.idleMillis / DAY_MILLIS})
  --deploy-wait-days N         days a merged pull request waits for its deployment (FACTORY_BRIDGE_DEPLOY_WAIT_DAYS, default ${BRIDGE_DEFAULTS.deployWaitMillis / DAY_MILLIS})
  --max-pull-requests N        pull requests tracked at most (FACTORY_BRIDGE_MAX_PULL_REQUESTS, default ${BRIDGE_DEFAULTS.maxPullRequests})
  --max-outbox N               recordings waiting for the collector at most (FACTORY_BRIDGE_MAX_OUTBOX, default ${BRIDGE_DEFAULTS.maxOutbox})
  --max-deliveries N           delivery ids remembered at most (FACTORY_BRIDGE_MAX_DELIVERIES, default ${BRIDGE_DEFAULTS.maxDeliveries})
  --service-name NAME          service.name of the spans (FACTORY_BRIDGE_SERVICE_NAME, default ${BRIDGE_DEFAULTS.serviceName})
  --log-level LEVEL            debug, info, warn or error (FACTORY_BRIDGE_LOG_LEVEL, default info)

It stops on SIGTERM or SIGINT; recordings not yet delivered stay in the state
file and are sent at the next start. docs/bridge.md has the details.`;

const OPTIONS = {
  port: { type: 'string' },
  host: { type: 'string' },
  'secret-file': { type: 'string' },
  db: { type: 'string' },
  'agent-login': { type: 'string', multiple: true },
  'production-environment': { type: 'string', multiple: true },
  'no-verification-spans': { type: 'boolean' },
  'max-body-bytes': { type: 'string' },
  'max-requests-per-second': { type: 'string' },
  burst: { type: 'string' },
  'settle-seconds': { type: 'string' },
  'idle-days': { type: 'string' },
  'deploy-wait-days': { type: 'string' },
  'max-pull-requests': { type: 'string' },
  'max-outbox': { type: 'string' },
  'max-deliveries': { type: 'string' },
  'service-name': { type: 'string' },
  'log-level': { type: 'string' },
  help: { type: 'boolean' },
} as const;

type Flag = keyof typeof OPTIONS;

/** Runs `factory-telemetry bridge ...` until SIGTERM, SIGINT or `stop` aborts; returns the exit code. */
export async function runBridgeCommand(argv: string[], env: NodeJS.ProcessEnv = process.env, stop?: AbortSignal): Promise<number> {
  const options = parseBridgeArgs(argv, env);
  if (options === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (typeof options === 'string') {
    process.stderr.write(`${options}\n\n${USAGE}\n`);
    return 2;
  }

  let bridge: Bridge;
  try {
    bridge = await startBridge(options);
  } catch (error) {
    process.stderr.write(`cannot start the bridge: ${(error as Error).message}\n`);
    return 1;
  }

  await new Promise<void>((resolve) => {
    const onSignal = () => resolve();
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
    stop?.addEventListener('abort', onSignal, { once: true });
  });
  await bridge.close();
  return 0;
}

/** Reads the flags and FACTORY_BRIDGE_* variables; returns the options, 'help', or an error message. */
export function parseBridgeArgs(argv: string[], env: NodeJS.ProcessEnv): BridgeOptions | 'help' | string {
  let values: Partial<Record<Flag, string | string[] | boolean>>;
  try {
    ({ values } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: false, strict: true }));
  } catch (error) {
    return (error as Error).message;
  }
  if (values.help === true) return 'help';

  const text = (flag: Flag, variable: string): string | undefined => (values[flag] as string | undefined) ?? nonEmpty(env[variable]);
  const list = (flag: Flag, variable: string): string[] | undefined => {
    const given = (values[flag] as string[] | undefined) ?? (nonEmpty(env[variable]) === undefined ? undefined : [env[variable]!]);
    return given?.flatMap((item) => item.split(',')).map((item) => item.trim()).filter((item) => item !== '');
  };
  const problems: string[] = [];
  const number = (flag: Flag, variable: string, scale = 1): number | undefined => {
    const raw = text(flag, variable);
    if (raw === undefined) return undefined;
    const parsed = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(parsed) || parsed < 0) {
      problems.push(`invalid --${flag} (${variable}) ${JSON.stringify(raw)}: expected a number of 0 or more`);
      return undefined;
    }
    return Math.round(parsed * scale);
  };

  const secret = readSecret(text('secret-file', 'FACTORY_BRIDGE_SECRET_FILE'), env.FACTORY_BRIDGE_SECRET);
  if (secret.problem !== undefined) problems.push(secret.problem);
  const logLevel = text('log-level', 'FACTORY_BRIDGE_LOG_LEVEL') ?? 'info';
  if (!['debug', 'info', 'warn', 'error'].includes(logLevel)) problems.push(`invalid --log-level ${JSON.stringify(logLevel)}: expected debug, info, warn or error`);
  let verification: boolean | undefined;
  if (values['no-verification-spans'] === true || env.FACTORY_BRIDGE_VERIFICATION_SPANS === 'false') verification = false;

  const options: BridgeOptions = {
    secret: secret.value ?? '',
    database: text('db', 'FACTORY_BRIDGE_DB') ?? 'factory-bridge.db',
    port: number('port', 'FACTORY_BRIDGE_PORT'),
    host: text('host', 'FACTORY_BRIDGE_HOST'),
    agentLogins: list('agent-login', 'FACTORY_BRIDGE_AGENT_LOGINS'),
    productionEnvironments: list('production-environment', 'FACTORY_BRIDGE_PRODUCTION_ENVIRONMENTS'),
    recordVerifications: verification,
    maxBodyBytes: number('max-body-bytes', 'FACTORY_BRIDGE_MAX_BODY_BYTES'),
    maxRequestsPerSecond: number('max-requests-per-second', 'FACTORY_BRIDGE_MAX_REQUESTS_PER_SECOND'),
    burstRequests: number('burst', 'FACTORY_BRIDGE_BURST'),
    settleMillis: number('settle-seconds', 'FACTORY_BRIDGE_SETTLE_SECONDS', 1000),
    idleMillis: number('idle-days', 'FACTORY_BRIDGE_IDLE_DAYS', DAY_MILLIS),
    deployWaitMillis: number('deploy-wait-days', 'FACTORY_BRIDGE_DEPLOY_WAIT_DAYS', DAY_MILLIS),
    maxPullRequests: number('max-pull-requests', 'FACTORY_BRIDGE_MAX_PULL_REQUESTS'),
    maxOutbox: number('max-outbox', 'FACTORY_BRIDGE_MAX_OUTBOX'),
    maxDeliveries: number('max-deliveries', 'FACTORY_BRIDGE_MAX_DELIVERIES'),
    serviceName: text('service-name', 'FACTORY_BRIDGE_SERVICE_NAME'),
    logger: createLogger({ level: logLevel as LogLevel }),
  };
  if (problems.length > 0) return problems.join('\n');
  // Unset options fall back to the bridge's defaults.
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as unknown as BridgeOptions;
}

// The secret itself never appears in a message.
function readSecret(file: string | undefined, inline: string | undefined): { value?: string; problem?: string } {
  if (file !== undefined) {
    try {
      const value = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
      if (value.length < 16) return { problem: `the secret in ${file} has ${value.length} characters; expected at least 16` };
      return { value };
    } catch (error) {
      return { problem: `cannot read the secret file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` };
    }
  }
  if (inline !== undefined && inline !== '') {
    if (inline.length < 16) return { problem: `FACTORY_BRIDGE_SECRET has ${inline.length} characters; expected at least 16` };
    return { value: inline };
  }
  return { problem: 'missing --secret-file (or FACTORY_BRIDGE_SECRET_FILE or FACTORY_BRIDGE_SECRET): the bridge rejects every webhook without the secret' };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
