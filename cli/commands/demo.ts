import { parseArgs } from 'node:util';
import { otlpHttpMetricsTargetFromEnv, otlpHttpTargetFromEnv, type OtlpHttpTarget } from '../../sdk/export/index.js';
import { FactoryTelemetry } from '../../sdk/index.js';
import { localStackAvailability, runEmbeddedDemo } from '../analysis/embedded-demo.js';
import { simulateSmallFactory, type SimulatedRun } from '../demo/small-factory.js';
import { queryInstant, queryScalar, waitUntil } from '../prometheus.js';
import { getStackStatus, startStack, stopStack, type StackInfo } from '../stack/index.js';
import { reportTelemetryStats } from '../telemetry-stats.js';

const USAGE = `Usage: factory-telemetry demo [--embedded | --stack] [--runs N] [--seed N] [--no-stack]

Stack path: records a small simulated AI coding factory through the SDK, waits
for the collector and Prometheus to compute the four metrics, and prints them
beside the exact figures of the simulated runs.

Embedded path (no servers): simulates the four scenarios of scenarios/ into
.demo/factory.jsonl through the SDK's file sink, prints the report, the
experiment and the model comparison, and writes .demo/report.html. It runs when
neither Go nor the cached collector and Prometheus binaries are available.

  --embedded   take the embedded path even where the local stack could run
  --stack      take the stack path; fails where Go and the binaries are missing

  --runs N     runs to simulate, an integer from 1 to 100000 (default 300)
  --seed N     random seed, an integer; the same seed gives the same runs (default 1)
  --no-stack   do not start the local stack; use OTEL_EXPORTER_OTLP_ENDPOINT and
               PROMETHEUS_URL (for example the docker compose stack)

The demo sends its spans to the collector it names in its output, and ignores
OTEL_EXPORTER_OTLP_TRACES_ENDPOINT and OTEL_EXPORTER_OTLP_METRICS_ENDPOINT.
The other OTEL_EXPORTER_OTLP_* variables (headers, protocol, timeout) apply.

With the local stack, the demo then writes the four scenarios of scenarios/ into
it as 12 weeks of history (a few minutes), prints what Prometheus detects beside
each scenario's known answer, and leaves the stack running for the dashboards.`;

// The demo's stack flushes span metrics and evaluates rules every 2 seconds, so
// the numbers appear within seconds rather than the production 15 seconds.
const DEMO_INTERVAL = '2s';
const WAIT_FOR_METRICS_MS = 90_000;
// The SDK retries an unreachable collector for 5 minutes by default. The demo's
// collector is local or was just named on the command line, so 30 s of retries
// are enough before it reports that nothing arrived.
const EXPORT_RETRY_MS = 30_000;
const MAX_RUNS = 100_000;

export interface DemoArgs {
  runs: number;
  seed: number;
  noStack: boolean;
}

/**
 * Parses the demo's arguments. Returns 'help' for --help, or an error message
 * that the caller prints before the usage text.
 */
export function parseDemoArgs(argv: readonly string[]): DemoArgs | 'help' | { error: string } {
  let values;
  try {
    ({ values } = parseArgs({
      args: joinNegativeValues(argv),
      options: { runs: { type: 'string', default: '300' }, seed: { type: 'string', default: '1' }, 'no-stack': { type: 'boolean' }, help: { type: 'boolean' } },
    }));
  } catch (error) {
    return { error: (error as Error).message };
  }
  if (values.help) return 'help';

  // Number() also accepts 1e3, 0x10 and 1.0, which are not what a user means by a count.
  const runs = /^[0-9]+$/.test(values.runs) ? Number(values.runs) : Number.NaN;
  if (!(runs >= 1 && runs <= MAX_RUNS)) {
    return { error: `invalid --runs ${JSON.stringify(values.runs)}: expected an integer from 1 to ${MAX_RUNS}` };
  }
  const seed = /^-?[0-9]+$/.test(values.seed) ? Number(values.seed) : Number.NaN;
  if (!Number.isSafeInteger(seed)) {
    return { error: `invalid --seed ${JSON.stringify(values.seed)}: expected an integer (digits, optionally after a minus sign)` };
  }
  return { runs, seed, noStack: values['no-stack'] === true };
}

/**
 * Joins `--runs -5` into `--runs=-5`. parseArgs rejects a value that starts with a
 * dash as ambiguous, but a negative seed is valid and a negative run count
 * deserves the range message.
 */
function joinNegativeValues(argv: readonly string[]): string[] {
  const joined: string[] = [];
  for (let index = 0; index < argv.length; index += 1) {
    const arg = argv[index]!;
    const next = argv[index + 1];
    if ((arg === '--runs' || arg === '--seed') && next !== undefined && /^-[0-9.]/.test(next)) {
      joined.push(`${arg}=${next}`);
      index += 1;
    } else {
      joined.push(arg);
    }
  }
  return joined;
}

/**
 * Builds the SDK's export targets for the collector at `otlpEndpoint` (a base URL
 * such as http://127.0.0.1:14318). The signal-specific endpoint variables are
 * removed, because they would win over OTEL_EXPORTER_OTLP_ENDPOINT and send the
 * spans somewhere other than the collector the demo names. Headers, protocol,
 * timeout and compression still come from `env`.
 */
export function demoExportTargets(otlpEndpoint: string, env: NodeJS.ProcessEnv): { target: OtlpHttpTarget; metricsTarget: OtlpHttpTarget; problems: string[] } {
  const demoEnv: NodeJS.ProcessEnv = { ...env, OTEL_EXPORTER_OTLP_ENDPOINT: otlpEndpoint };
  delete demoEnv.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  delete demoEnv.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT;
  const traces = otlpHttpTargetFromEnv(demoEnv);
  const metrics = otlpHttpMetricsTargetFromEnv(demoEnv);
  // Both read OTEL_EXPORTER_OTLP_HEADERS and the other shared variables, so a
  // problem with one of them appears in both lists.
  const problems = [...new Set([...traces.problems, ...metrics.problems])];
  return { target: traces.target, metricsTarget: metrics.target, problems };
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/** Runs `factory-telemetry demo`; returns the exit code. */
export async function runDemoCommand(argv: string[]): Promise<number> {
  // The embedded path: chosen here, before anything of the stack path runs.
  const embedded = argv.includes('--embedded');
  const forceStack = argv.includes('--stack');
  argv = argv.filter((arg) => arg !== '--embedded' && arg !== '--stack');
  if (embedded && forceStack) {
    process.stderr.write(`give either --embedded or --stack, not both\n\n${USAGE}\n`);
    return 2;
  }
  if (embedded && argv.includes('--no-stack')) {
    process.stderr.write(`give either --embedded or --no-stack, not both: --no-stack reads a collector and Prometheus, --embedded needs neither\n\n${USAGE}\n`);
    return 2;
  }
  if (!argv.includes('--help') && !argv.includes('--no-stack') && !forceStack) {
    const availability = embedded ? { available: false as const, reason: '--embedded given' } : await localStackAvailability();
    if (!availability.available) {
      const seedArgs = parseDemoArgs(argv);
      if (seedArgs === 'help' || 'error' in seedArgs) {
        process.stderr.write(`${seedArgs === 'help' ? '' : seedArgs.error}\n\n${USAGE}\n`);
        return 2;
      }
      return runEmbeddedDemo({ dir: '.demo', seed: seedArgs.seed, end: new Date(), reason: availability.reason });
    }
  }
  const args = parseDemoArgs(argv);
  if (args === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if ('error' in args) {
    process.stderr.write(`${args.error}\n\n${USAGE}\n`);
    return 2;
  }
  const path = args.noStack ? 'the collector and Prometheus that OTEL_EXPORTER_OTLP_ENDPOINT and PROMETHEUS_URL name' : 'local stack (collector and Prometheus)';
  process.stderr.write(`demo path: ${path}; npm run demo -- --embedded runs without servers\n`);
  const { runs, seed } = args;

  if (args.noStack) {
    const otlp = process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
    const prometheus = process.env.PROMETHEUS_URL;
    if (otlp === undefined || prometheus === undefined) {
      process.stderr.write('--no-stack needs OTEL_EXPORTER_OTLP_ENDPOINT and PROMETHEUS_URL, e.g. http://127.0.0.1:4318 and http://127.0.0.1:9090 for docker compose\n');
      return 2;
    }
    if (!isHttpUrl(otlp)) {
      process.stderr.write(`invalid OTEL_EXPORTER_OTLP_ENDPOINT ${JSON.stringify(otlp)}: expected the collector's base URL, e.g. http://127.0.0.1:4318\n`);
      return 2;
    }
    if (!isHttpUrl(prometheus)) {
      process.stderr.write(`invalid PROMETHEUS_URL ${JSON.stringify(prometheus)}: expected Prometheus's base URL, e.g. http://127.0.0.1:9090\n`);
      return 2;
    }
    return runDemo({ otlpEndpoint: otlp, prometheusUrl: prometheus, runs, seed });
  }

  // A stack that `npm run stack -- up` already started is used and left running.
  const running = getStackStatus();
  if (running.info !== undefined && running.services.every((service) => service.running)) {
    process.stderr.write(`using the local stack that is already running (${running.stateDir})\n`);
    const code = await runDemo({ otlpEndpoint: running.info.otlpHttpEndpoint, prometheusUrl: running.info.prometheusUrl, runs, seed });
    return combineExitCodes(code, await runStackHistory(running.info, seed));
  }

  // The servers run in their own process group, so Ctrl-C reaches only this
  // process. Until the demo finishes, Ctrl-C also stops the stack it started.
  const stopOnInterrupt = () => {
    interrupted = true;
    process.stderr.write('\ninterrupted: stopping the local stack that this demo started\n');
    stopStack()
      .catch((error: unknown) => process.stderr.write(`stopping the local stack failed: ${(error as Error).message}; run \`npm run stack -- down\`\n`))
      .finally(() => process.exit(130));
  };
  process.once('SIGINT', stopOnInterrupt);

  let stack;
  let code: number;
  try {
    try {
      stack = await startStack({ interval: DEMO_INTERVAL });
    } catch (error) {
      process.stderr.write(`cannot start the local stack: ${(error as Error).message}\n`);
      return 1;
    }
    try {
      code = await runDemo({ otlpEndpoint: stack.otlpHttpEndpoint, prometheusUrl: stack.prometheusUrl, runs, seed });
    } catch (error) {
      await stopStack();
      throw error;
    }
    // The stack keeps running with its history, so that the boards and queries can show it.
    code = combineExitCodes(code, await runStackHistory(stack, seed));
  } finally {
    process.off('SIGINT', stopOnInterrupt);
  }
  process.stdout.write(`\nThe local stack keeps running: Prometheus at ${stack.prometheusUrl}. Stop it with \`npm run stack -- down\`.\n`);
  return code;
}

// Gives the local stack weeks of history from the four scenarios and prints what
// Prometheus detects in it (cli/demo/history-demo.ts).
// Set by Ctrl-C while the demo runs on a stack that it started.
let interrupted = false;

async function runStackHistory(info: StackInfo, seed: number): Promise<number> {
  const { giveDemoHistory } = await import('../demo/history-demo.js');
  try {
    return (await giveDemoHistory(info, seed, (message) => process.stderr.write(`${message}\n`))) ? 0 : 1;
  } catch (error) {
    // After Ctrl-C the push fails because the stack was stopped, which is not an error to report.
    if (!interrupted) process.stderr.write(`giving the stack its history failed: ${(error as Error).message}\n`);
    return 1;
  }
}

function combineExitCodes(first: number, second: number): number {
  return first !== 0 ? first : second;
}

async function runDemo(options: { otlpEndpoint: string; prometheusUrl: string; runs: number; seed: number }): Promise<number> {
  const { prometheusUrl } = options;
  const targets = demoExportTargets(options.otlpEndpoint, process.env);
  for (const problem of targets.problems) process.stderr.write(`warning: ${problem}\n`);

  // A stack that already contains runs (docker compose) keeps counting them.
  const before = (await queryScalar(prometheusUrl, 'factory:runs_resolved:increase_7d').catch(() => undefined)) ?? 0;

  const telemetry = new FactoryTelemetry({
    serviceName: 'factory-telemetry-demo',
    export: { target: targets.target, metricsTarget: targets.metricsTarget, maxRetryDurationMillis: EXPORT_RETRY_MS },
    onError: (error) => process.stderr.write(`factory-telemetry: ${error.message}\n`),
  });
  process.stderr.write(`recording ${options.runs} simulated runs to ${targets.target.url}\n`);
  const runs = await simulateSmallFactory(telemetry, { runs: options.runs, seed: options.seed, now: new Date() });
  await telemetry.shutdown();
  const stats = telemetry.stats();
  const complete = reportTelemetryStats(stats, runs.length);

  const exported = stats.export;
  if (exported !== undefined && exported.exported === 0 && exported.failed + exported.pending > 0) {
    process.stderr.write(
      `no spans reached the collector at ${targets.target.url} (${exported.failed} failed, ${exported.pending} pending), ` +
        'so Prometheus has nothing to count. Check that the collector runs and that the URL is its OTLP/HTTP endpoint.\n',
    );
    return 1;
  }

  process.stderr.write(`waiting for Prometheus at ${prometheusUrl} to count ${runs.length} resolved runs\n`);
  const counted = await waitUntil(async () => {
    const resolved = await queryScalar(prometheusUrl, 'factory:runs_resolved:increase_7d');
    return resolved !== undefined && resolved >= before + runs.length;
  }, WAIT_FOR_METRICS_MS);
  if (!counted) {
    process.stderr.write(`Prometheus did not count the runs within ${WAIT_FOR_METRICS_MS / 1000} s; check the collector and Prometheus logs\n`);
    return 1;
  }

  await printMetrics(prometheusUrl, runs, before === 0);
  return complete ? 0 : 1;
}

async function printMetrics(prometheusUrl: string, runs: SimulatedRun[], exactComparable: boolean): Promise<void> {
  const resolved = runs.length;
  const oneShot = runs.filter((run) => run.oneShot).length;
  const autonomous = runs.filter((run) => run.autonomous).length;
  const cycle = runs.flatMap((run) => (run.cycleTimeSeconds === undefined ? [] : [run.cycleTimeSeconds]));
  const mltc = runs.flatMap((run) => (run.mltcSeconds === undefined ? [] : [run.mltcSeconds]));

  const rows: Array<[string, string, number | undefined, number | undefined, (value: number) => string]> = [
    ['runs resolved (7d)', 'factory:runs_resolved:increase_7d', resolved, undefined, String],
    ['one-shot success', 'factory:one_shot_success:ratio_7d', oneShot / resolved, undefined, percent],
    ['eventual autonomous success', 'factory:autonomous_success:ratio_7d', autonomous / resolved, undefined, percent],
    ['cycle time p50', 'factory:cycle_time_seconds:p50_7d', quantile(cycle, 0.5), undefined, hours],
    ['cycle time p90', 'factory:cycle_time_seconds:p90_7d', quantile(cycle, 0.9), undefined, hours],
    ['MLTC p50', 'factory:mltc_seconds:p50_7d', quantile(mltc, 0.5), undefined, hours],
    ['MLTC p90', 'factory:mltc_seconds:p90_7d', quantile(mltc, 0.9), undefined, hours],
  ];
  for (const row of rows) row[3] = await queryScalar(prometheusUrl, row[1]);

  const table = [['metric', 'Prometheus', exactComparable ? 'exact, from the runs' : 'this demo alone'], ...rows.map(([name, , exact, measured, format]) => [
    name,
    measured === undefined ? 'no data' : format(measured),
    exact === undefined ? 'no data' : format(exact),
  ])];
  process.stdout.write(`\n${formatTable(table)}\n`);
  process.stdout.write('\nRatios are exact counts; the quantiles are estimates that Prometheus interpolates within histogram buckets.\n');

  const byModel = await queryInstant(prometheusUrl, 'model:factory_one_shot_success:ratio_7d');
  if (byModel.length > 0) {
    const modelTable = [['model', 'one-shot success (Prometheus)'], ...byModel.map((sample) => [sample.labels.model ?? '', percent(sample.value)])];
    process.stdout.write(`\n${formatTable(modelTable)}\n`);
  }
}

function quantile(values: number[], q: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const position = (sorted.length - 1) * q;
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  return sorted[lower]! + (sorted[upper]! - sorted[lower]!) * (position - lower);
}

function percent(value: number): string {
  return `${(value * 100).toFixed(1)}%`;
}

function hours(seconds: number): string {
  return `${(seconds / 3600).toFixed(1)} h`;
}

function formatTable(rows: string[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd()).join('\n');
}
