import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { FactoryTelemetry } from '../../sdk/index.js';
import { parseSwebenchCsv, type SwebenchRun } from '../import/swebench.js';
import { reportTelemetryStats } from '../telemetry-stats.js';
import { PULL_REQUEST_USAGE, runPullRequestImport } from '../import/command.js';

const USAGE = `Usage: factory-telemetry import swebench <csv> [--models a,b,...] [--service-name NAME]

Records each row of a SWE-bench leaderboard CSV (columns board, folder, model,
instance_id, resolved, cost, api_calls, difficulty) as one run, sent over OTLP
to OTEL_EXPORTER_OTLP_ENDPOINT (default http://localhost:4318).

  --models a,b,...     import only these models (default: all)
  --service-name NAME  service.name of the recording process (default: factory-telemetry-import)

Rows with an invalid value, the wrong number of fields or a run id (folder and
instance_id) seen on an earlier line are skipped with their line number.

Importing the same file twice records its runs twice: each import sends new
spans, and the metrics count them again. Re-import only into a fresh stack
(\`npm run stack -- down\`, then \`up\`, which starts with empty Prometheus data).`;

// Flushing every few hundred runs keeps the export queue far below its limit.
const FLUSH_EVERY_RUNS = 500;

/** Runs `factory-telemetry import <source> ...`; returns the exit code. */
export async function runImportCommand(argv: string[]): Promise<number> {
  const [source, ...rest] = argv;
  if (source === 'github' || source === 'aidev') return runPullRequestImport(source, rest);
  if (source === '--help' || source === '-h') {
    process.stdout.write(`${USAGE}\n\n${PULL_REQUEST_USAGE}\n`);
    return 0;
  }
  if (source !== 'swebench') {
    process.stderr.write(`${source === undefined ? 'missing import source' : `unknown import source ${JSON.stringify(source)}`}; expected swebench, github or aidev\n\n${USAGE}\n\n${PULL_REQUEST_USAGE}\n`);
    return 2;
  }

  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      allowPositionals: true,
      options: { models: { type: 'string' }, 'service-name': { type: 'string' }, help: { type: 'boolean' } },
    });
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (parsed.values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const file = parsed.positionals[0];
  if (file === undefined || parsed.positionals.length > 1) {
    process.stderr.write(`expected exactly one CSV file\n\n${USAGE}\n`);
    return 2;
  }

  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    process.stderr.write(`cannot read ${file}: ${(error as Error).message}\n`);
    return 1;
  }

  let runs: SwebenchRun[];
  try {
    const result = parseSwebenchCsv(text);
    if (result.rows === 0) {
      process.stderr.write(`no rows in ${file}; expected a header line and one line per model and task\n`);
      return 1;
    }
    for (const message of result.rejected) process.stderr.write(`skipped ${file} ${message}\n`);
    if (result.runs.length === 0) {
      process.stderr.write(`no valid rows in ${file}: all ${result.rows} rows were skipped\n`);
      return 1;
    }
    runs = result.runs;
  } catch (error) {
    process.stderr.write(`invalid CSV ${file}: ${(error as Error).message}\n`);
    return 1;
  }

  const selected = selectModels(runs, parsed.values.models);
  if (typeof selected === 'string') {
    process.stderr.write(`${selected}\n`);
    return 2;
  }

  const telemetry = new FactoryTelemetry({
    serviceName: parsed.values['service-name'] ?? 'factory-telemetry-import',
    onError: (error) => process.stderr.write(`factory-telemetry: ${error.message}\n`),
    // A command someone waits for gives up on an unreachable collector after a
    // minute instead of the SDK's default five, and reports what was lost.
    export: { maxRetryDurationMillis: 60_000 },
  });
  // A progress line that rewrites itself only makes sense on a terminal.
  const progress = process.stderr.isTTY ? (done: number) => process.stderr.write(`\rrecorded ${done}/${selected.length} runs`) : undefined;
  const recorded = await recordSwebenchRuns(telemetry, selected, progress);
  if (progress !== undefined) process.stderr.write('\n');
  await telemetry.shutdown();

  const models = new Set(recorded.map((run) => run.model));
  process.stdout.write(`imported ${recorded.length} runs of ${models.size} models from ${file}\n`);
  if (recorded.length < selected.length) {
    process.stderr.write(`warning: ${selected.length - recorded.length} of ${selected.length} runs were not recorded; the SDK errors above give the reason\n`);
  }
  const complete = reportTelemetryStats(telemetry.stats(), recorded.length);
  return complete && recorded.length === selected.length ? 0 : 1;
}

/**
 * Records each SWE-bench result as one run with one attempt. Returns the runs that
 * the SDK recorded in full, without those for which it dropped a call.
 * `onProgress` receives the number of runs processed after each flush (every
 * FLUSH_EVERY_RUNS runs and at the end), never the same number twice.
 */
export async function recordSwebenchRuns(
  telemetry: FactoryTelemetry,
  runs: readonly SwebenchRun[],
  onProgress: (done: number) => void = () => undefined,
): Promise<SwebenchRun[]> {
  const recorded: SwebenchRun[] = [];
  let reported = 0;
  for (const [index, row] of runs.entries()) {
    const droppedBefore = telemetry.stats().problems.droppedCalls;
    const run = telemetry.startRun({
      runId: row.runId,
      repository: row.repository,
      changeId: row.changeId,
      model: row.model,
      complexity: row.complexity,
    });
    run.startAttempt({ number: 1 }).end({ costUsd: row.costUsd });
    run.recordVerification({
      attempt: 1,
      result: row.resolved ? 'success' : 'failure',
      // An unresolved SWE-bench task is one whose hidden tests still fail.
      failureClass: row.resolved ? undefined : 'test_failure',
    });
    run.recordOutcome({ status: row.resolved ? 'merged' : 'closed', humanModified: false });
    run.end();
    if (telemetry.stats().problems.droppedCalls === droppedBefore) recorded.push(row);

    if ((index + 1) % FLUSH_EVERY_RUNS === 0) {
      await telemetry.forceFlush();
      reported = index + 1;
      onProgress(reported);
    }
  }
  await telemetry.forceFlush();
  if (reported !== runs.length) onProgress(runs.length);
  return recorded;
}

function selectModels(runs: SwebenchRun[], modelsOption: string | undefined): SwebenchRun[] | string {
  if (modelsOption === undefined) return runs;
  const requested = modelsOption.split(',').map((model) => model.trim()).filter((model) => model !== '');
  const available = new Set(runs.map((run) => run.model));
  const unknown = requested.filter((model) => !available.has(model));
  if (requested.length === 0) return '--models is empty; pass a comma-separated list of models';
  if (unknown.length > 0) {
    return `unknown model ${unknown.join(', ')} in --models; the CSV has: ${[...available].sort().join(', ')}`;
  }
  return runs.filter((run) => requested.includes(run.model));
}
