import { statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CASE_OUTCOMES, formatCases, sampleCases, type CasesAnswer } from '../analysis/cases.js';
import { formatCompare, formatExperiment, formatLoops, runCompare, runExperiment, runLoops } from '../analysis/decisions.js';
import { fileWindow, readFileRuns } from '../analysis/file-runs.js';
import { FileSource } from '../analysis/file-source.js';
import { htmlReportData } from '../analysis/html-data.js';
import { EXIT, parseChoice, parseInteger, parseSourceOptions, SOURCE_FLAGS, SOURCE_USAGE, UsageError, type SourceOptions } from '../analysis/options.js';
import { PrometheusSource } from '../analysis/prometheus-source.js';
import { buildReport, formatReport } from '../analysis/report.js';
import { REPORT_DIMENSIONS, type CountSource, type ReportDimension } from '../analysis/source.js';
import { renderHtmlReport } from '../report/html.js';
import { FAILURE_CLASSES } from '../../sdk/semconv.js';

/**
 * `factory-telemetry report | experiment | compare | loops | cases`: answers
 * from the embedded store (--file) or the recording rules (--prometheus).
 * docs/analysis.md describes every command, number and exit code.
 */

export type AnalysisCommand = 'report' | 'experiment' | 'compare' | 'loops' | 'cases';
export const ANALYSIS_COMMANDS: readonly AnalysisCommand[] = ['report', 'experiment', 'compare', 'loops', 'cases'];

const USAGES: Record<AnalysisCommand, string> = {
  report: `Usage: factory-telemetry report (--file PATH | --prometheus URL) [--by team|repository|model|complexity] [--html OUT.html]

The funnel stage by stage with drop-off counts, and the four metrics (one-shot
success, eventual autonomous success, cycle time, MLTC) with 95% intervals, for
the whole factory and per value of --by.

  --by DIMENSION   also slice by team, repository, model or complexity
  --html PATH      also write a self-contained HTML report with charts (--file only)`,
  experiment: `Usage: factory-telemetry experiment <name> (--file PATH | --prometheus URL) [--split ARM=WEIGHT,...] [--effect P] [--control ARM] [--metric one_shot|autonomous]

Each arm's one-shot and autonomous success with Wilson intervals, each arm
against the control (Newcombe interval, z-test or Fisher's exact test,
Cochran–Mantel–Haenszel by complexity), the sample-ratio check, the minimum
detectable effect and the weeks a chosen effect needs, and a verdict.

  --split ARM=WEIGHT,...  planned split, relative weights, e.g. control=50,treatment=50
                          (default: an equal split over the arms with runs)
  --effect P              lift to plan for, a proportion between 0 and 1 (0.1 = 10 points; default 0.1)
  --control ARM           the arm every other arm is compared with (default: the first by name)
  --metric METRIC         one_shot (default) or autonomous`,
  compare: `Usage: factory-telemetry compare (--file PATH | --prometheus URL) [--by model] [--within complexity] [--metric one_shot|autonomous] [--margin P]

Each model's success within each complexity with Wilson intervals, the leader
against each other model, and a routing rule only where a test supports it.
Where the runs carry their AI cost, a cheaper model that is shown to be at most
--margin worse is suggested too.

  --by model           what is compared (the only choice: the answer and its routing rule are about models)
  --within complexity  the strata (the only choice); compare other slices with report --by
  --metric METRIC      one_shot (default) or autonomous
  --margin P           largest loss accepted for a cheaper model, between 0 and 1 (default 0.05)`,
  loops: `Usage: factory-telemetry loops (--file PATH | --prometheus URL) [--repeated-limit P] [--rescue-limit P]

Per team and repository: the gap between eventual autonomous and one-shot
success, the share of first-attempt misses that retries rescued, the share of
verified retries that repeated the previous failure, and whether retries learn.

  --repeated-limit P   repeated share above which retries do not learn (default 0.5)
  --rescue-limit P     rescued share below which retries do not learn (default 0.15)`,
  cases: `Usage: factory-telemetry cases --file PATH [--class FAILURE_CLASS] [--outcome OUTCOME] [--team T] [--repository R] [--model M] [--complexity C] [--sample N] [--seed N] [--trace-url TEMPLATE]

A reproducible sample of concrete runs, each with its trace link and its
attempt chain in short form. Needs --file: Prometheus has no per-run data.

  --class CLASS        runs with a verification or review of this failure class, e.g. test_failure
  --outcome OUTCOME    not-one-shot (default), not-autonomous, closed or any
  --team, --repository, --model, --complexity VALUE   runs of this slice
  --sample N           runs to show, 1 to 10000 (default 30)
  --seed N             seed of the sample (default 1); the same seed gives the same runs
  --trace-url TEMPLATE link with {traceId}, e.g. http://127.0.0.1:3200/api/traces/{traceId}
                       (default: print the trace id)`,
};

/** Runs one analysis command; returns the exit code. */
export async function runAnalysisCommand(command: AnalysisCommand, argv: string[]): Promise<number> {
  const usage = `${USAGES[command]}\n\n${SOURCE_USAGE}\n`;
  try {
    return await run(command, argv, usage);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\n\nRun factory-telemetry ${command} --help for the options.\n`);
      return EXIT.usage;
    }
    process.stderr.write(`factory-telemetry ${command} failed: ${(error as Error).message}\n`);
    return EXIT.failure;
  }
}

const COMMAND_FLAGS = {
  ...SOURCE_FLAGS,
  by: { type: 'string' },
  within: { type: 'string' },
  html: { type: 'string' },
  split: { type: 'string' },
  effect: { type: 'string' },
  control: { type: 'string' },
  metric: { type: 'string' },
  margin: { type: 'string' },
  'repeated-limit': { type: 'string' },
  'rescue-limit': { type: 'string' },
  class: { type: 'string' },
  outcome: { type: 'string' },
  team: { type: 'string' },
  repository: { type: 'string' },
  model: { type: 'string' },
  complexity: { type: 'string' },
  sample: { type: 'string' },
  seed: { type: 'string' },
  'trace-url': { type: 'string' },
} as const;

// The flags each command takes beyond the shared ones; any other is a usage error.
const OWN_FLAGS: Record<AnalysisCommand, readonly string[]> = {
  report: ['by', 'html'],
  experiment: ['split', 'effect', 'control', 'metric'],
  compare: ['by', 'within', 'metric', 'margin'],
  loops: ['repeated-limit', 'rescue-limit'],
  cases: ['class', 'outcome', 'team', 'repository', 'model', 'complexity', 'sample', 'seed', 'trace-url'],
};

type Values = { [K in keyof typeof COMMAND_FLAGS]?: (typeof COMMAND_FLAGS)[K]['type'] extends 'boolean' ? boolean : string };

async function run(command: AnalysisCommand, argv: string[], usage: string): Promise<number> {
  let values: Values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: argv, options: COMMAND_FLAGS, allowPositionals: true, strict: true }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help === true) {
    process.stdout.write(usage);
    return EXIT.answered;
  }
  const foreign = Object.keys(values).filter((flag) => !(flag in SOURCE_FLAGS) && !OWN_FLAGS[command].includes(flag));
  if (foreign.length > 0) throw new UsageError(`${command} does not take --${foreign[0]}`);
  const expectedPositionals = command === 'experiment' ? 1 : 0;
  if (positionals.length !== expectedPositionals) {
    throw new UsageError(
      command === 'experiment'
        ? `experiment needs exactly one experiment name (factory.experiment.name), got ${positionals.length}: e.g. factory-telemetry experiment context-retrieval --file runs.jsonl`
        : `${command} takes no positional arguments, got ${JSON.stringify(positionals[0])}`,
    );
  }

  const options = parseSourceOptions(values);
  if (command === 'cases' && options.source.kind === 'prometheus') {
    throw new UsageError('cases needs per-run spans, which Prometheus does not keep: give --file PATH with the OTLP JSON lines of the runs');
  }
  if (values.html !== undefined && options.source.kind === 'prometheus') {
    throw new UsageError('--html needs per-run data for its weekly charts: give --file PATH instead of --prometheus');
  }
  // A mistyped folder gets an error, not a new folder tree.
  if (values.html !== undefined && !isDirectory(dirname(resolve(values.html)))) {
    throw new UsageError(`invalid --html ${JSON.stringify(values.html)}: the folder ${JSON.stringify(dirname(resolve(values.html)))} does not exist; create it first or choose another path`);
  }
  if (options.source.kind === 'prometheus' && options.windowNanos !== undefined) {
    throw new UsageError(`--window applies to --file only: the recording rules have fixed windows of 7 days (14 for experiments). Remove --window, or use --end to read the rules at another time`);
  }

  switch (command) {
    case 'report':
      return report(options, values);
    case 'experiment':
      return experiment(options, values, positionals[0]!);
    case 'compare':
      return compare(options, values);
    case 'loops':
      return loops(options, values);
    case 'cases':
      return cases(options, values);
  }
}

async function openSource(options: SourceOptions): Promise<{ source: CountSource; file: FileSource | undefined }> {
  if (options.source.kind === 'prometheus') return { source: new PrometheusSource(options.source.url, options.end), file: undefined };
  const runs = await readFileRuns(options.source.path);
  if (runs.skipped > 0) {
    process.stderr.write(`warning: skipped ${runs.skipped} lines or spans of ${runs.path} that are not valid OTLP JSON; first: ${runs.firstProblems.join('; ')}\n`);
  }
  const file = new FileSource(runs, fileWindow(runs, options.windowNanos, options.end));
  return { source: file, file };
}

async function report(options: SourceOptions, values: Values): Promise<number> {
  const by = values.by === undefined ? undefined : parseChoice('--by', values.by, REPORT_DIMENSIONS);
  const { source, file } = await openSource(options);
  const answer = await buildReport(source, by);
  print(options, answer, formatReport(answer));

  if (values.html !== undefined && file !== undefined) {
    const data = await htmlReportData(file, answer, file.window, new Date());
    writeFileSync(values.html, renderHtmlReport(data));
    process.stderr.write(`wrote the HTML report to ${values.html}\n`);
  }
  return EXIT.answered;
}

async function experiment(options: SourceOptions, values: Values, name: string): Promise<number> {
  const split = values.split === undefined ? undefined : parseSplit(values.split);
  const targetEffect = values.effect === undefined ? undefined : parseShare('--effect', values.effect);
  const metric = parseChoice('--metric', values.metric ?? 'one_shot', ['one_shot', 'autonomous'] as const);
  const { source } = await openSource(options);
  const answer = await runExperiment(source, { name, split, control: values.control, targetEffect, metric });
  print(options, answer, formatExperiment(answer));
  return answer.answer.significant ? EXIT.answered : EXIT.notSignificant;
}

// The comparison's verdicts and routing rule speak of models within complexities,
// so other slices would print wrong sentences; report --by covers them.
const COMPARE_BY = ['model'] as const;
const COMPARE_WITHIN = ['complexity'] as const;

async function compare(options: SourceOptions, values: Values): Promise<number> {
  const by = parseChoice('--by', values.by ?? 'model', COMPARE_BY);
  const within = parseChoice('--within', values.within ?? 'complexity', COMPARE_WITHIN);
  const metric = parseChoice('--metric', values.metric ?? 'one_shot', ['one_shot', 'autonomous'] as const);
  const margin = values.margin === undefined ? undefined : parseShare('--margin', values.margin);
  const { source } = await openSource(options);
  const answer = await runCompare(source, { by, within, metric, margin });
  print(options, answer, formatCompare(answer));
  return answer.answer.significant ? EXIT.answered : EXIT.notSignificant;
}

async function loops(options: SourceOptions, values: Values): Promise<number> {
  const repeatedShareLimit = values['repeated-limit'] === undefined ? undefined : parseShare('--repeated-limit', values['repeated-limit']);
  const rescueShareLimit = values['rescue-limit'] === undefined ? undefined : parseShare('--rescue-limit', values['rescue-limit']);
  const { source } = await openSource(options);
  const answer = await runLoops(source, { repeatedShareLimit, rescueShareLimit });
  print(options, answer, formatLoops(answer));
  return answer.answer.significant ? EXIT.answered : EXIT.notSignificant;
}

async function cases(options: SourceOptions, values: Values): Promise<number> {
  const outcome = parseChoice('--outcome', values.outcome ?? 'not-one-shot', CASE_OUTCOMES);
  const sample = parseInteger('--sample', values.sample ?? '30', 1, 10_000);
  const seed = parseInteger('--seed', values.seed ?? '1', Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  const traceUrl = values['trace-url'];
  if (traceUrl !== undefined && !traceUrl.includes('{traceId}')) {
    throw new UsageError(`invalid --trace-url ${JSON.stringify(traceUrl)}: it has no {traceId}; e.g. http://127.0.0.1:3200/api/traces/{traceId}`);
  }
  const labels: Partial<Record<ReportDimension, string>> = {};
  for (const dimension of REPORT_DIMENSIONS) {
    const value = values[dimension];
    if (value !== undefined) labels[dimension] = value;
  }
  const failureClass = values.class === undefined ? undefined : parseChoice('--class', values.class, FAILURE_CLASSES);
  const filter = { outcome, failureClass, labels };

  const { file } = await openSource(options);
  // A mistyped team or model would read as "no such case"; name the values the file has.
  for (const [dimension, value] of Object.entries(labels) as Array<[ReportDimension, string]>) {
    const present = new Set(file!.runs.map((run) => run.labels[dimension]));
    if (!present.has(value)) {
      const known = [...present].filter((name) => name !== '').sort();
      throw new UsageError(`invalid --${dimension} ${JSON.stringify(value)}: no run in the file has it; the file has ${known.length === 0 ? `no ${dimension} label` : known.map((name) => JSON.stringify(name)).join(', ')}`);
    }
  }
  const drawn = sampleCases(file!.runs, file!.window, { ...filter, sample, seed, traceUrl });
  const answer: CasesAnswer = { command: 'cases', source: file!.description, window: file!.windowDescription, filter, seed, ...drawn };
  print(options, answer, formatCases(answer));
  return EXIT.answered;
}

function print(options: SourceOptions, answer: unknown, text: string): void {
  process.stdout.write(options.json ? `${JSON.stringify(answer, jsonValue, 2)}\n` : text);
}

// NaN and Infinity are not JSON: write them as null.
function jsonValue(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number' && !Number.isFinite(value)) return null;
  return value;
}

/** Parses `control=50,treatment=50`. */
export function parseSplit(text: string): Record<string, number> {
  const split: Record<string, number> = {};
  for (const part of text.split(',')) {
    const match = /^([^=]+)=([0-9]+(\.[0-9]+)?)$/.exec(part.trim());
    const weight = match === null ? Number.NaN : Number(match[2]);
    if (match === null || !(weight > 0)) {
      throw new UsageError(`invalid --split ${JSON.stringify(text)}: expected ARM=WEIGHT pairs with weights above 0, separated by commas, e.g. control=50,treatment=50`);
    }
    split[match[1]!.trim()] = weight;
  }
  return split;
}

/** Parses a proportion strictly between 0 and 1. */
function parseShare(flag: string, text: string): number {
  const value = /^(0?\.[0-9]+|0|1)$/.test(text) ? Number(text) : Number.NaN;
  if (!(value > 0 && value < 1)) {
    throw new UsageError(`invalid ${flag} ${JSON.stringify(text)}: expected a proportion between 0 and 1, e.g. 0.1 for 10 points`);
  }
  return value;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
