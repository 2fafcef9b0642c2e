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
  /** Rows after the header, valid or not. 0 for an empty or header-only file. */
  rows: number;
}

// The SDK rejects these labels (sdk/schema.ts), and a run whose startRun is
// rejected records nothing, so the parser rejects them first with the line number.
const MAX_MODEL_LENGTH = 256;
const MAX_RUN_ID_LENGTH = 256;
const MAX_REPOSITORY_LENGTH = 512;
const MAX_CHANGE_ID_LENGTH = 128;
const CONTROL_CHARACTER = /\p{Cc}/u;

// The leaderboard file ends its lines with CRLF. Files edited by hand may mix CRLF
// and LF, and csv-parse guesses a single delimiter from the first line unless it
// is given the list.
const RECORD_DELIMITERS = ['\r\n', '\n'];

/**
 * Parses the CSV text. A row with an invalid value, the wrong number of fields or
 * the run id of an earlier row is rejected with a reason, never guessed. Its line
 * number is the line on which the row ends, which matters only for quoted fields
 * with line breaks. Throws when the CSV is malformed (an unclosed quote) or the
 * header lacks a column.
 */
export function parseSwebenchCsv(text: string): SwebenchParseResult {
  const records = parse(text, {
    bom: true,
    info: true,
    record_delimiter: RECORD_DELIMITERS,
    relax_column_count: true,
    skip_empty_lines: true,
    trim: true,
  }) as unknown as Array<{ record: string[]; info: { lines: number } }>;
  if (records.length === 0) return { runs: [], rejected: [], rows: 0 };

  const header = records[0]!.record;
  const missing = SWEBENCH_COLUMNS.filter((column) => !header.includes(column));
  if (missing.length > 0) {
    throw new Error(`the CSV has no column ${missing.join(', ')}; expected the columns ${SWEBENCH_COLUMNS.join(', ')}`);
  }

  const runs: SwebenchRun[] = [];
  const rejected: string[] = [];
  // Line of the first row of each run id, because a run recorded twice counts twice.
  const firstLineOfRun = new Map<string, number>();
  for (const { record: fields, info } of records.slice(1)) {
    const line = info.lines;
    if (fields.length !== header.length) {
      rejected.push(`line ${line}: expected ${header.length} fields as in the header, found ${fields.length}`);
      continue;
    }

    const record = Object.fromEntries(header.map((column, index) => [column, fields[index]!]));
    const result = toRun(record);
    if (typeof result === 'string') {
      rejected.push(`line ${line}: ${result}`);
      continue;
    }

    const firstLine = firstLineOfRun.get(result.runId);
    if (firstLine !== undefined) {
      rejected.push(
        `line ${line}: duplicate run ${result.runId} (the same folder and instance_id as line ${firstLine}); ` +
          'a run recorded twice would count twice',
      );
      continue;
    }
    firstLineOfRun.set(result.runId, line);
    runs.push(result);
  }
  return { runs, rejected, rows: records.length - 1 };
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
  const runId = `swebench/${record.folder || model}/${record.instance_id}`;
  const repository = `${instance[1]}/${instance[2]}`;
  const changeId = instance[3]!;

  const invalid =
    checkLabel('model', model, MAX_MODEL_LENGTH) ??
    checkLabel('run id (from folder and instance_id)', runId, MAX_RUN_ID_LENGTH) ??
    checkLabel('repository (from instance_id)', repository, MAX_REPOSITORY_LENGTH) ??
    checkLabel('change id (from instance_id)', changeId, MAX_CHANGE_ID_LENGTH);
  if (invalid !== undefined) return invalid;

  return {
    runId,
    model,
    repository,
    changeId,
    complexity,
    resolved,
    costUsd: optionalNumber(record.cost),
    apiCalls: optionalNumber(record.api_calls),
  };
}

/** Returns why the SDK would reject `value` as a label, or undefined if it accepts it. */
function checkLabel(name: string, value: string, maxLength: number): string | undefined {
  if (value === '') return `empty ${name}`;
  if (value.length > maxLength) return `invalid ${name}: ${value.length} characters, expected at most ${maxLength}`;
  if (CONTROL_CHARACTER.test(value)) return `invalid ${name} ${JSON.stringify(value)}: expected no control characters`;
  return undefined;
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

/** Counts resolved and all runs per model and complexity, whose quotient is the exact one-shot ratio. */
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
