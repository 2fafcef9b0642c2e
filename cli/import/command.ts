import { parseArgs } from 'node:util';
import { localStackHistoryOptions } from '../history/index.js';
import { getStackStatus } from '../stack/index.js';
import { reportTelemetryStats } from '../telemetry-stats.js';
import { loadAidev, loadGithub, type LoadedPullRequests } from './load.js';
import { HISTORY_MAX_WEEKS, importPullRequests, type ImportTarget, type PullRequestImportResult } from './pull-request-import.js';

export const PULL_REQUEST_USAGE = `Usage: factory-telemetry import github <dir> --agent-login LOGIN [--agent-login LOGIN ...] [options]
       factory-telemetry import aidev <dir> [options]

Records a team's past pull requests as runs: each agent work session is an
attempt, a merged or closed pull request gets a review stage (its cycle time) and,
for an agent pull request, an outcome. docs/import.md gives the mapping and what
the sources cannot tell.

  github <dir>  GitHub REST API responses: pulls.json and
                pulls/<number>/{timeline,reviews,commits}.json
  aidev <dir>   the AIDev CSV layout: one agent folder (prs.csv or prs_no_body.csv,
                pr_timelines.csv, optional pr_reviews.csv and pr_commits.csv), or a
                folder of agent folders; the folder name is the agent's name

  --agent-login LOGIN  (github) a coding agent's GitHub login; repeat for several
  --history            write the pull requests as past metrics into the running
                       local stack's Prometheus, moved in time so that the last
                       event lands at the current hour (every duration is kept)
  --since TIME         (--history) leave out pull requests opened before TIME, an
                       ISO 8601 time of the source; default and earliest:
                       ${HISTORY_MAX_WEEKS} weeks before the last event
  --step DURATION      (--history) time between the written samples, such as 1h
                       (default), 6h or 1d; a longer step writes faster and shows
                       each count later on the boards, at the end of its step
  --service-name NAME  service.name of the recording (default: factory-telemetry-import)

Without --history, the runs go over OTLP to OTEL_EXPORTER_OTLP_ENDPOINT (default
http://localhost:4318) and count at the time they arrive.

Exit code 0 when every pull request was recorded and exported, 1 when rows were
skipped or spans were lost, 2 for invalid arguments.`;

// How many SDK warnings are printed before the rest are only counted.
const PRINTED_WARNINGS = 5;

/** Runs `factory-telemetry import github|aidev ...`; returns the exit code. */
export async function runPullRequestImport(source: 'github' | 'aidev', argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        'agent-login': { type: 'string', multiple: true },
        history: { type: 'boolean' },
        since: { type: 'string' },
        step: { type: 'string' },
        'service-name': { type: 'string' },
        help: { type: 'boolean' },
      },
    });
  } catch (error) {
    return usageError((error as Error).message);
  }
  const values = parsed.values;
  if (values.help) {
    process.stdout.write(`${PULL_REQUEST_USAGE}\n`);
    return 0;
  }
  const dir = parsed.positionals[0];
  if (dir === undefined || parsed.positionals.length > 1) return usageError(`expected exactly one directory after import ${source}`);
  const agentLogins = values['agent-login'] ?? [];
  if (source === 'github' && agentLogins.length === 0) return usageError('import github needs at least one --agent-login, the GitHub login of a coding agent such as Copilot');
  if (source === 'aidev' && agentLogins.length > 0) return usageError('--agent-login applies to import github only; AIDev folders name their agent');
  const since = values.since === undefined ? undefined : new Date(values.since);
  if (since !== undefined && (Number.isNaN(since.getTime()) || !/^\d{4}-\d{2}-\d{2}/.test(values.since!))) {
    return usageError(`invalid --since ${JSON.stringify(values.since)}: expected an ISO 8601 time such as 2025-04-01T00:00:00Z`);
  }
  if (since !== undefined && !values.history) return usageError('--since applies to --history only');
  const stepMs = values.step === undefined ? undefined : parseStep(values.step);
  if (stepMs === null) return usageError(`invalid --step ${JSON.stringify(values.step)}: expected whole hours or days from 1h to 7d, such as 1h, 6h or 1d`);
  if (stepMs !== undefined && !values.history) return usageError('--step applies to --history only');

  let loaded: LoadedPullRequests;
  try {
    loaded = source === 'aidev' ? loadAidev(dir) : loadGithub(dir, agentLogins);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return 1;
  }
  for (const problem of loaded.problems) process.stderr.write(`skipped ${problem.where}: ${problem.message}\n`);
  for (const note of loaded.ignored) process.stderr.write(`ignored ${note.where}: ${note.message}\n`);
  if (loaded.pullRequests.length === 0) {
    process.stderr.write(`no valid pull requests in ${dir}\n`);
    return 1;
  }

  const serviceName = values['service-name'] ?? 'factory-telemetry-import';
  let target: ImportTarget = { kind: 'live', serviceName };
  if (values.history) {
    const status = getStackStatus();
    if (status.info === undefined || !status.services.every((service) => service.running)) {
      process.stderr.write(`The local stack in ${status.stateDir} is not running. Start it with \`factory-telemetry stack up\`, then run this command again.\n`);
      return 1;
    }
    target = { kind: 'history', serviceName, history: { ...localStackHistoryOptions(status.info), ...(stepMs === undefined ? {} : { stepMs }) } };
  }

  let warnings = 0;
  let withoutIdentity = 0;
  const onError = (error: Error): void => {
    // The SDK warns for each outcome without a model and complexity, which no
    // import source gives; docs/import.md states it, so it is counted once here.
    // NOTE: this matches the SDK's message text, so a reworded message is printed again.
    if (/has no model or complexity/.test(error.message)) {
      withoutIdentity += 1;
      return;
    }
    warnings += 1;
    if (warnings <= PRINTED_WARNINGS) process.stderr.write(`factory-telemetry: ${error.message}\n`);
  };
  // A progress line that rewrites itself only makes sense on a terminal.
  const total = loaded.pullRequests.length;
  const onProgress = process.stderr.isTTY ? (done: number) => process.stderr.write(`\rrecorded ${done} pull requests of ${total}`) : undefined;

  let result: PullRequestImportResult;
  try {
    result = await importPullRequests(loaded.pullRequests, {
      target,
      since,
      onProgress,
      onError,
      log: (message) => process.stderr.write(`${message}\n`),
    });
  } catch (error) {
    if (onProgress !== undefined) process.stderr.write('\n');
    process.stderr.write(`${(error as Error).message}\n`);
    return since !== undefined ? 2 : 1;
  }
  if (onProgress !== undefined) process.stderr.write('\n');
  if (warnings > PRINTED_WARNINGS) process.stderr.write(`factory-telemetry: ${warnings - PRINTED_WARNINGS} more SDK reports of the same kinds were counted, not printed\n`);

  printSummary(result, loaded, dir);
  if (withoutIdentity > 0) process.stdout.write(`${withoutIdentity} outcomes have no model or complexity label, because the source gives neither\n`);
  const complete = reportTelemetryStats({ ...result.telemetry, export: result.export }, result.recorded);
  return complete && loaded.problems.length === 0 ? 0 : 1;
}

function printSummary(result: PullRequestImportResult, loaded: LoadedPullRequests, dir: string): void {
  const out = (line: string): boolean => process.stdout.write(`${line}\n`);
  out(
    `imported ${result.recorded} pull requests from ${dir} (${loaded.sources.join(', ')}): ${result.outcomes} resolved agent runs, ` +
      `${result.open} still open, ${result.attempts} attempts`,
  );
  if (result.attemptsWithoutEnd > 0) out(`${result.attemptsWithoutEnd} agent sessions have no end in the timeline: they count as attempts but have no attempt span`);
  if (result.lastEvent === undefined) return;

  const days = (result.shiftMs / 86_400_000).toFixed(1);
  out(`moved every time ${days} days forward, so that the last event (${result.lastEvent.toISOString()}) is at ${new Date(result.lastEvent.getTime() + result.shiftMs).toISOString()}; durations are unchanged`);
  if (result.leftOut > 0) out(`left out ${result.leftOut} pull requests opened before ${result.since!.toISOString()} (--since, or the ${HISTORY_MAX_WEEKS} weeks the history reaches back)`);
  const history = result.history;
  if (history !== undefined) {
    out(`wrote ${history.spans} spans as ${history.series} series (${history.dataPoints} data points) in ${history.seconds.push.toFixed(0)} s`);
    if (history.spansAfterEnd > 0) out(`warning: ${history.spansAfterEnd} spans ended after the history's end and were left out`);
    if (history.rulesSkipped !== undefined) out(`recording rules were not backfilled: ${history.rulesSkipped}`);
    else out(`backfilled ${history.rules?.samples ?? 0} recording-rule samples in ${history.seconds.rules.toFixed(0)} s`);
  }
}

function usageError(message: string): number {
  process.stderr.write(`${message}\n\n${PULL_REQUEST_USAGE}\n`);
  return 2;
}

/** Parses `--step`: `<n>h` or `<n>d`, from 1 hour to 7 days, in ms; null when invalid. */
function parseStep(text: string): number | null {
  const match = /^([1-9][0-9]*)([hd])$/.exec(text);
  if (match === null) return null;
  const ms = Number(match[1]) * (match[2] === 'h' ? 3_600_000 : 86_400_000);
  return ms <= 7 * 86_400_000 ? ms : null;
}
