import { parse } from 'csv-parse/sync';
import type { TaskComplexity } from '../../sdk/semconv.js';

/**
 * Reads SWE-bench leaderboard results, one row per model and task, in the
 * columns `board, folder, model, instance_id, resolved, cost, api_calls,
 * difficulty`, and maps each row onto the run model.
 */

export const SWEBENCH_COLUMNS = ['board', 'folder', 'model', 'instance_id', 'resolved', 'cost', 'api_calls', 'difficulty'] as const;

/**
 * SWE-bench Verified's human-annotated difficulty (the time an experienced
 * engineer needs for the fix) mapped onto the complexity scale.
 */
export const DIFFICULTY_TO_COMPLEXITY: Readonly<Record<string, TaskComplexity>> = {
  '<15 min fix': 'trivial',
  '15 min - 1 hour': 'standard',
  '1-4 hours': 'complex',
  '>4 hours': 'architectural',
};

export interface SwebenchRun {
  /** `swebench/<folder>/<instance_id>`: unique per submission and task. */
  runId: string;
  model: string;
  /** `owner/name`, from the instance id `owner__name-number`. */
  repository: string;
  /** The task's issue number in its repository. */
  changeId: string;
  complexity: TaskComplexity;
  resolved: boolean;
  costUsd: number | undefined;
  apiCalls: number | undefined;
}

export interface SwebenchParseResult {
  runs: SwebenchRun[];
  /** One message per row that could not be used, naming the line and the value. */
  rejected: string[];
}

/** Parses the CSV text; rows with an invalid value are rejected with a reason, never guessed. */
export function parseSwebenchCsv(text: string): SwebenchParseResult {
  const records = parse(text, { columns: true, skip_empty_lines: true, trim: true }) as Record<string, string>[];
  const header = records.length > 0 ? Object.keys(records[0]!) : [];
  const missing = SWEBENCH_COLUMNS.filter((column) => !header.includes(column));
  if (records.length > 0 && missing.length > 0) {
    throw new Error(`the CSV has no column ${missing.join(', ')}; expected the columns ${SWEBENCH_COLUMNS.join(', ')}`);
  }

  const runs: SwebenchRun[] = [];
  const rejected: string[] = [];
  records.forEach((record, index) => {
    // Line 1 is the header.
    const line = index + 2;
    const result = toRun(record);
    if (typeof result === 'string') rejected.push(`line ${line}: ${result}`);
    else runs.push(result);
  });
  return { runs, rejected };
}

function toRun(record: Record<string, string>): SwebenchRun | string {
  const complexity = DIFFICULTY_TO_COMPLEXITY[record.difficulty ?? ''];
  if (complexity === undefined) {
    return `unknown difficulty ${JSON.stringify(record.difficulty)}; expected one of ${Object.keys(DIFFICULTY_TO_COMPLEXITY).join(', ')}`;
  }
  const resolved = parseBoolean(record.resolved ?? '');
  if (resolved === undefined) return `invalid resolved ${JSON.stringify(record.resolved)}; expected True or False`;

  const instance = /^(.+?)__(.+)-(\d+)$/.exec(record.instance_id ?? '');
  if (instance === null) {
    return `invalid instance_id ${JSON.stringify(record.instance_id)}; expected owner__repository-number`;
  }
  const model = record.model ?? '';
  if (model === '') return 'empty model';

  return {
    runId: `swebench/${record.folder || model}/${record.instance_id}`,
    model,
    repository: `${instance[1]}/${instance[2]}`,
    changeId: instance[3]!,
    complexity,
    resolved,
    costUsd: optionalNumber(record.cost),
    apiCalls: optionalNumber(record.api_calls),
  };
}

function parseBoolean(text: string): boolean | undefined {
  const lower = text.toLowerCase();
  if (lower === 'true' || lower === '1') return true;
  if (lower === 'false' || lower === '0') return false;
  return undefined;
}

function optionalNumber(text: string | undefined): number | undefined {
  if (text === undefined || text === '') return undefined;
  const value = Number(text);
  return Number.isFinite(value) && value >= 0 ? value : undefined;
}

/** The exact one-shot ratio per model and complexity: resolved runs over all runs. */
export function resolvedShares(runs: readonly SwebenchRun[]): Map<string, { model: string; complexity: TaskComplexity; resolved: number; total: number }> {
  const shares = new Map<string, { model: string; complexity: TaskComplexity; resolved: number; total: number }>();
  for (const run of runs) {
    const key = `${run.model}\u0000${run.complexity}`;
    const entry = shares.get(key) ?? { model: run.model, complexity: run.complexity, resolved: 0, total: 0 };
    entry.total += 1;
    if (run.resolved) entry.resolved += 1;
    shares.set(key, entry);
  }
  return shares;
}
