import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';

import { FactoryTelemetry } from '../../sdk/index.js';
import { simulateSmallFactory } from '../demo/small-factory.js';
import { getStackStatus, type StackInfo } from '../stack/index.js';
import { createHistoryRecorder, type HistoryRecorderOptions } from './recorder.js';

const USAGE = `Usage: factory-telemetry history [--weeks N] [--runs-per-week N] [--seed N]

Records the demo factory's runs as past weeks into the running local stack
(start it with \`factory-telemetry stack up\`): the span metrics are written at the
runs' end times, and the recording rules are backfilled over them, so the
dashboards show weeks of data. docs/history.md explains how.

  --weeks N          weeks of history before now, 1 to 12 (default 4)
  --runs-per-week N  runs per week, 1 to 10000 (default 500)
  --seed N           random seed of the first week, an integer (default 1)`;

const MAX_WEEKS = 12;
const MAX_RUNS_PER_WEEK = 10_000;

export interface HistoryArgs {
  weeks: number;
  runsPerWeek: number;
  seed: number;
}

/** Parses the history command's arguments: 'help', the values, or an error message. */
export function parseHistoryArgs(argv: readonly string[]): HistoryArgs | 'help' | { error: string } {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: { weeks: { type: 'string', default: '4' }, 'runs-per-week': { type: 'string', default: '500' }, seed: { type: 'string', default: '1' }, help: { type: 'boolean' } },
    }));
  } catch (error) {
    return { error: (error as Error).message };
  }
  if (values.help) return 'help';

  const weeks = /^[0-9]+$/.test(values.weeks) ? Number(values.weeks) : Number.NaN;
  if (!(weeks >= 1 && weeks <= MAX_WEEKS)) return { error: `invalid --weeks ${JSON.stringify(values.weeks)}: expected an integer from 1 to ${MAX_WEEKS}` };
  const runsPerWeek = /^[0-9]+$/.test(values['runs-per-week']) ? Number(values['runs-per-week']) : Number.NaN;
  if (!(runsPerWeek >= 1 && runsPerWeek <= MAX_RUNS_PER_WEEK)) {
    return { error: `invalid --runs-per-week ${JSON.stringify(values['runs-per-week'])}: expected an integer from 1 to ${MAX_RUNS_PER_WEEK}` };
  }
  const seed = /^-?[0-9]+$/.test(values.seed) ? Number(values.seed) : Number.NaN;
  if (!Number.isSafeInteger(seed)) return { error: `invalid --seed ${JSON.stringify(values.seed)}: expected an integer` };
  return { weeks, runsPerWeek, seed };
}

/** The recorder options that write into a running local stack. */
export function localStackHistoryOptions(info: StackInfo): Pick<HistoryRecorderOptions, 'prometheusUrl' | 'promtool' | 'prometheusDataDir'> {
  return {
    prometheusUrl: info.prometheusUrl,
    promtool: join(dirname(info.binaries.prometheus), 'promtool'),
    prometheusDataDir: join(info.stateDir, 'prometheus-data'),
  };
}

/** Runs `factory-telemetry history` and returns the exit code. */
export async function runHistoryCommand(argv: readonly string[]): Promise<number> {
  const args = parseHistoryArgs(argv);
  if (args === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if ('error' in args) {
    process.stderr.write(`${args.error}\n\n${USAGE}\n`);
    return 2;
  }
  const status = getStackStatus();
  if (status.info === undefined || !status.services.every((service) => service.running)) {
    process.stderr.write(`The local stack in ${status.stateDir} is not running. Start it with \`factory-telemetry stack up\`, then run this command again.\n`);
    return 1;
  }

  const recorder = createHistoryRecorder({ ...localStackHistoryOptions(status.info), serviceName: 'factory-telemetry-history', log: (message) => process.stderr.write(`${message}\n`) });
  const telemetry = new FactoryTelemetry({ tracerProvider: recorder.tracerProvider });
  const now = Date.now();
  for (let week = args.weeks; week >= 1; week -= 1) {
    // The demo factory spreads its runs over the 6 days before `now`.
    await simulateSmallFactory(telemetry, { runs: args.runsPerWeek, seed: args.seed + week - 1, now: new Date(now - (week - 1) * 7 * 86_400_000) });
  }
  const result = await recorder.finish();
  process.stdout.write(
    `Wrote ${result.spans} spans as ${result.series} series (${result.dataPoints} data points) from ${result.start?.toISOString()} to ${result.end?.toISOString()} ` +
      `in ${result.seconds.push.toFixed(0)} s, and ${result.rules?.samples ?? 0} recording-rule samples in ${result.seconds.rules.toFixed(0)} s.\n`,
  );
  if (result.rulesSkipped !== undefined) process.stdout.write(`Recording rules were not backfilled: ${result.rulesSkipped}.\n`);
  return 0;
}
