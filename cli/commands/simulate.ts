import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { FactoryTelemetry } from '../../sdk/index.js';
import { createHistoryRecorder } from '../history/recorder.js';
import { checkHistoryFits, describeHistoryResult, historyWeeks, localHistoryTarget, parseHistoryLength, recordHistory } from '../simulate/history.js';
import { measureExpectations } from '../simulate/measure.js';
import { planRange, planScenarios, type PlanOptions } from '../simulate/plan.js';
import { recordRole, ROLES, type Role } from '../simulate/record.js';
import { loadScenario, ScenarioError, type Scenario } from '../simulate/scenario.js';
import { reportTelemetryStats } from '../telemetry-stats.js';

const USAGE = `Usage: factory-telemetry simulate <scenario.yaml>... [--seed N] [--weeks N | --history LENGTH] [--end DATE] [--plan-only]

Simulates an AI coding factory from one or more scenario files (scenarios/ has
four) and records its runs through the SDK as a real factory would: a harness
process starts each run and records its attempts, a webhook process adds the
review and the outcome, and a deploy process adds the deployments. The three
processes export OTLP/HTTP to the collector that the OTEL_EXPORTER_OTLP_*
variables name (default http://localhost:4318).

  --seed N      random seed, an integer; the same seed and scenarios give the
                same runs (default 1)
  --weeks N     simulated weeks, an integer from 1 to 104, for every scenario
                (default: each scenario's own "weeks")
  --end DATE    end of the simulated range, an ISO 8601 date or date-time with a
                time zone, e.g. 2026-12-01 or 2026-12-01T09:00:00Z (default: now)
  --history LENGTH
                give the running local stack this much history instead, e.g.
                12w or 30d: every scenario's runs are spread over LENGTH before
                --end and written into Prometheus as if the factory had run then,
                with the recording rules backfilled (docs/history.md). Needs a
                local stack (\`factory-telemetry stack up\`; FACTORY_STACK_DIR
                names another) and at most the out-of-order window of
                prometheus/prometheus.yml (13w)
  --plan-only   print the runs' figures beside each scenario's known answers,
                and record nothing; exits with 1 when a figure misses its answer

Several scenarios end at the same --end and share one recording, with run ids
prefixed by the scenario names. docs/simulator.md describes the file format.`;

const EXPORT_RETRY_MS = 30_000;

export interface SimulateArgs {
  files: string[];
  seed: number;
  weeks: number | undefined;
  end: Date;
  planOnly: boolean;
  /** Length of the history in ms with --history; undefined for a live simulation. */
  historyMs: number | undefined;
  /** Set in the child processes of the live mode: the one role this process records. */
  role: Role | undefined;
}

/** Parses the arguments; returns 'help' for --help, or an error message to print before the usage. */
export function parseSimulateArgs(argv: readonly string[], now: Date = new Date()): SimulateArgs | 'help' | { error: string } {
  let parsed;
  try {
    parsed = parseArgs({
      args: joinNegativeSeed(argv),
      allowPositionals: true,
      options: {
        seed: { type: 'string', default: '1' },
        weeks: { type: 'string' },
        end: { type: 'string' },
        'plan-only': { type: 'boolean' },
        history: { type: 'string' },
        role: { type: 'string' },
        help: { type: 'boolean' },
      },
    });
  } catch (error) {
    return { error: (error as Error).message };
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  if (positionals.length === 0) return { error: 'missing scenario file: give one or more, e.g. scenarios/context-experiment.yaml' };

  const seed = /^-?[0-9]+$/.test(values.seed) ? Number(values.seed) : Number.NaN;
  if (!Number.isSafeInteger(seed)) return { error: `invalid --seed ${JSON.stringify(values.seed)}: expected an integer (digits, optionally after a minus sign)` };

  let weeks: number | undefined;
  if (values.weeks !== undefined) {
    weeks = /^[0-9]+$/.test(values.weeks) ? Number(values.weeks) : Number.NaN;
    if (!(weeks >= 1 && weeks <= 104)) return { error: `invalid --weeks ${JSON.stringify(values.weeks)}: expected an integer from 1 to 104` };
  }

  let historyMs: number | undefined;
  if (values.history !== undefined) {
    if (values.weeks !== undefined) return { error: '--history and --weeks both set the simulated range; give one of them' };
    const length = parseHistoryLength(values.history);
    if (typeof length !== 'number') return length;
    historyMs = length;
    weeks = historyWeeks(length);
  }

  let end = now;
  if (values.end !== undefined) {
    const text = values.end;
    const isDate = /^\d{4}-\d{2}-\d{2}$/.test(text);
    const isDateTime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(text);
    end = new Date(isDate ? `${text}T00:00:00Z` : text);
    if (!(isDate || isDateTime) || Number.isNaN(end.getTime())) {
      return { error: `invalid --end ${JSON.stringify(text)}: expected a date such as 2026-12-01 or a date-time with a time zone such as 2026-12-01T09:00:00Z` };
    }
  }

  const role = values.role;
  if (role !== undefined && !(ROLES as readonly string[]).includes(role)) return { error: `invalid --role ${JSON.stringify(role)}: expected one of ${ROLES.join(', ')}` };
  return { files: positionals, seed, weeks, end, planOnly: values['plan-only'] === true, historyMs, role: role as Role | undefined };
}

// parseArgs reads `--seed -4` as two options; `--seed=-4` is what the user meant.
function joinNegativeSeed(argv: readonly string[]): string[] {
  const joined: string[] = [];
  for (let index = 0; index < argv.length; index += 1) {
    const next = argv[index + 1];
    if (argv[index] === '--seed' && next !== undefined && /^-[0-9]/.test(next)) {
      joined.push(`--seed=${next}`);
      index += 1;
    } else {
      joined.push(argv[index]!);
    }
  }
  return joined;
}

/** Runs `factory-telemetry simulate`; returns the exit code. */
export async function runSimulateCommand(argv: string[]): Promise<number> {
  const args = parseSimulateArgs(argv);
  if (args === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if ('error' in args) {
    process.stderr.write(`${args.error}\n\n${USAGE}\n`);
    return 2;
  }

  let scenarios: Scenario[];
  try {
    scenarios = args.files.map((file) => loadScenario(file));
  } catch (error) {
    if (error instanceof ScenarioError) {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const options: PlanOptions = { seed: args.seed, end: args.end, weeks: args.weeks };

  if (args.role !== undefined) return recordOneRole(args.role, scenarios, options);
  if (args.planOnly) return printKnownAnswers(scenarios, options) ? 0 : 1;
  if (args.historyMs !== undefined) return runHistory(args, args.historyMs, scenarios, options);
  return runLive(args, scenarios, options);
}

// One child process of the live mode: plans every run again (planning is
// deterministic, so all three children see the same plans) and records its
// role's part of each.
async function recordOneRole(role: Role, scenarios: Scenario[], options: PlanOptions): Promise<number> {
  const started = performance.now();
  const plans = planScenarios(scenarios, options);
  const telemetry = new FactoryTelemetry({
    serviceName: `factory-simulator-${role}`,
    // A simulation can be run again, so 30 s of retries are enough before an
    // unreachable collector is reported, instead of the SDK's 5 minutes.
    export: { maxRetryDurationMillis: EXPORT_RETRY_MS },
    onError: (error) => process.stderr.write(`[${role}] factory-telemetry: ${error.message}\n`),
  });
  await recordRole(role, plans, telemetry, {
    onProgress: (recorded) => process.stderr.write(`[${role}] recorded ${recorded} of ${plans.length} runs\n`),
    progressEvery: 5000,
  });
  await telemetry.shutdown();
  const seconds = (performance.now() - started) / 1000;
  const stats = telemetry.stats();
  const complete = reportTelemetryStats(stats, plans.length);
  process.stdout.write(`${JSON.stringify({ role, runs: plans.length, spans: stats.export?.exported ?? 0, seconds })}\n`);
  return complete ? 0 : 1;
}

interface RoleResult {
  role: Role;
  runs: number;
  spans: number;
  seconds: number;
}

async function runLive(args: SimulateArgs, scenarios: Scenario[], options: PlanOptions): Promise<number> {
  const plans = planScenarios(scenarios, options);
  const endpoint = process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? process.env.OTEL_EXPORTER_OTLP_ENDPOINT ?? 'http://localhost:4318';
  process.stderr.write(`simulating ${plans.length} runs of ${scenarios.map((scenario) => scenario.name).join(', ')} (seed ${args.seed}) to ${endpoint}\n`);

  // Every child gets the same fixed end, so that "now" cannot differ between them.
  const childArgs = [...args.files, '--seed', String(args.seed), '--end', args.end.toISOString(), ...(args.weeks === undefined ? [] : ['--weeks', String(args.weeks)])];
  const started = performance.now();
  const results = await Promise.all(ROLES.map((role) => runRoleProcess(role, childArgs)));
  const seconds = (performance.now() - started) / 1000;

  const failed = results.filter((result) => 'error' in result);
  for (const result of failed) process.stderr.write(`${(result as { error: string }).error}\n`);
  const done = results.filter((result): result is RoleResult => !('error' in result));
  const spans = done.reduce((sum, result) => sum + result.spans, 0);
  process.stdout.write(`recorded ${plans.length} runs (${spans} spans) in ${seconds.toFixed(1)} s: ${Math.round(plans.length / seconds)} runs/s\n`);
  for (const result of done) process.stdout.write(`  ${result.role}: ${result.spans} spans in ${result.seconds.toFixed(1)} s\n`);
  return failed.length === 0 ? 0 : 1;
}

// Records every role in this process into a history recorder, which writes into
// the local stack's Prometheus at the end.
async function runHistory(args: SimulateArgs, historyMs: number, scenarios: Scenario[], options: PlanOptions): Promise<number> {
  const problem = checkHistoryFits(historyMs, args.end);
  if (problem !== undefined) {
    process.stderr.write(`${problem}\n`);
    return 2;
  }
  const target = localHistoryTarget();
  if ('error' in target) {
    process.stderr.write(`${target.error}\n`);
    return 1;
  }

  const started = performance.now();
  const plans = planScenarios(scenarios, options);
  process.stderr.write(`recording ${plans.length} runs of ${scenarios.map((scenario) => scenario.name).join(', ')} (seed ${args.seed}) as history into ${target.prometheusUrl}\n`);
  const recorder = createHistoryRecorder({ ...target, end: args.end, log: (message) => process.stderr.write(`${message}\n`) });
  const result = await recordHistory(plans, recorder, { onProgress: (recorded) => process.stderr.write(`recorded ${recorded} of ${plans.length} runs\n`), progressEvery: 5000 });
  for (const line of describeHistoryResult(result)) process.stdout.write(`${line}\n`);
  process.stdout.write(`${plans.length} runs as history in ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
  return result.rules === undefined ? 1 : 0;
}

const MAIN = fileURLToPath(new URL('../main.js', import.meta.url));

function runRoleProcess(role: Role, childArgs: string[]): Promise<RoleResult | { error: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MAIN, 'simulate', ...childArgs, '--role', role], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      output += chunk;
    });
    child.on('error', (error) => resolve({ error: `the ${role} process failed to start: ${error.message}` }));
    child.on('close', (code) => {
      const line = output.trim().split('\n').at(-1) ?? '';
      let result: RoleResult | undefined;
      try {
        result = JSON.parse(line) as RoleResult;
      } catch {
        result = undefined;
      }
      if (code === 0 && result !== undefined) resolve(result);
      else resolve({ error: `the ${role} process exited with code ${code}${result === undefined ? ' before it reported' : ''}; its messages are above` });
    });
  });
}

// Returns whether every known answer is within its tolerance.
function printKnownAnswers(scenarios: Scenario[], options: PlanOptions): boolean {
  const plans = planScenarios(scenarios, options);
  let allWithin = true;
  for (const scenario of scenarios) {
    const range = planRange(scenario, options);
    const own = plans.filter((plan) => plan.scenario === scenario.name);
    process.stdout.write(`\n${scenario.name}: ${own.length} runs from ${new Date(range.start).toISOString()} to ${new Date(range.end).toISOString()}\n`);
    for (const result of measureExpectations(scenario, plans, range.start)) {
      allWithin &&= result.withinTolerance;
      const mark = result.withinTolerance ? 'ok  ' : 'MISS';
      process.stdout.write(`  ${mark} ${result.expectation.finding}: ${format(result.measured)} (expected ${format(result.expectation.value)} +- ${format(result.tolerance)}, n=${result.sampleSize})\n`);
    }
  }
  return allWithin;
}

function format(value: number): string {
  return Number.isFinite(value) ? String(Math.round(value * 1000) / 1000) : String(value);
}
