import { parseArgs } from 'node:util';

import { INTERVAL_ENV, STATE_DIR_ENV, parseInterval, type StackOptions } from './options.js';
import { PORT_NAMES, PORT_SPECS, resolvePorts } from './ports.js';
import { getStackStatus, startStack, stopStack } from './stack.js';

const USAGE = `Usage: factory-telemetry stack <up|down|status> [options]

Runs the collector and Prometheus as local processes on 127.0.0.1, without Docker.

  up       Build the binaries if missing (takes minutes the first time), start both
           services and wait until they are ready. Prints OTEL_EXPORTER_OTLP_ENDPOINT=
           and PROMETHEUS_URL= lines on stdout.
  down     Stop both services. Safe to run when nothing runs.
  status   Print which services run. Exit code 0 if both run, 1 otherwise.

Options:
  --interval <duration>  Span metrics flush, scrape and rule evaluation interval,
                         e.g. 2s (default 15s, env ${INTERVAL_ENV}).
  --keep-data            Keep the Prometheus data of the previous run (up only).
  --state-dir <dir>      Directory for config, logs, pid files and data
                         (default <repo>/.stack, env ${STATE_DIR_ENV}).
  -h, --help             Print this help.

Ports (all on 127.0.0.1), set through environment variables:
${PORT_NAMES.map((name) => `  ${PORT_SPECS[name].envVar.padEnd(40)} ${PORT_SPECS[name].description} (default ${PORT_SPECS[name].defaultPort})`).join('\n')}
`;

function printStatus(options: StackOptions): number {
  const status = getStackStatus(options);
  for (const service of status.services) {
    const state = service.running ? `running, pid ${service.pid}` : 'not running';
    process.stdout.write(`${service.service.padEnd(11)} ${state}; log ${service.logFile}\n`);
  }

  const allRunning = status.services.every((service) => service.running);
  if (allRunning && status.info) {
    process.stdout.write(`OTEL_EXPORTER_OTLP_ENDPOINT=${status.info.otlpHttpEndpoint}\n`);
    process.stdout.write(`PROMETHEUS_URL=${status.info.prometheusUrl}\n`);
  }
  return allRunning ? 0 : 1;
}

/**
 * Runs `stack up|down|status` with the arguments after "stack" and returns the
 * process exit code: 0 on success, 1 on failure, 2 on invalid usage.
 */
export async function runStackCommand(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        interval: { type: 'string' },
        'keep-data': { type: 'boolean' },
        'state-dir': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }

  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const [action, ...extra] = positionals;
  if (action === undefined || extra.length > 0 || !['up', 'down', 'status'].includes(action)) {
    const problem = action === undefined ? 'Missing command.' : `Invalid arguments: ${positionals.join(' ')}.`;
    process.stderr.write(`${problem}\n\n${USAGE}`);
    return 2;
  }

  const options: StackOptions = {};
  if (values.interval !== undefined) {
    // An invalid --interval is a usage error (exit 2), found before any build starts.
    try {
      options.interval = parseInterval(values.interval, '--interval');
    } catch (error) {
      process.stderr.write(`${(error as Error).message}\n\n${USAGE}`);
      return 2;
    }
  }
  if (values['state-dir'] !== undefined) options.stateDir = values['state-dir'];
  if (values['keep-data']) options.keepData = true;
  // An invalid or duplicate port in the environment is a usage error too.
  if (action === 'up') {
    try {
      resolvePorts(undefined, process.env);
    } catch (error) {
      process.stderr.write(`${(error as Error).message}\n`);
      return 2;
    }
  }

  try {
    if (action === 'up') {
      const info = await startStack(options);
      process.stdout.write(`OTEL_EXPORTER_OTLP_ENDPOINT=${info.otlpHttpEndpoint}\n`);
      process.stdout.write(`PROMETHEUS_URL=${info.prometheusUrl}\n`);
      return 0;
    }
    if (action === 'down') {
      const status = getStackStatus(options);
      // stopStack also removes stale pid files, so it runs even when nothing runs.
      await stopStack(options);
      const wasRunning = status.services.some((service) => service.running);
      process.stderr.write(wasRunning ? 'Stack stopped.\n' : `No stack is running in ${status.stateDir}.\n`);
      return 0;
    }
    return printStatus(options);
  } catch (error) {
    process.stderr.write(`stack ${action} failed: ${(error as Error).message}\n`);
    return 1;
  }
}
