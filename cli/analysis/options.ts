/**
 * Options shared by the analysis commands (report, experiment, compare, loops,
 * cases): where the data comes from, the time window and the output format.
 */

/** Exit codes of the analysis commands. */
export const EXIT = {
  /** Answered, and the answer is significant, or the command asks no significance question. */
  answered: 0,
  /** The command failed: a file that cannot be read, Prometheus unreachable. */
  failure: 1,
  /** Invalid flags or values. */
  usage: 2,
  /** Answered, but no difference or routing rule is significant. */
  notSignificant: 3,
} as const;

/** A usage error: printed with the command's usage text, exit code 2. */
export class UsageError extends Error {}

export type DataSource = { kind: 'file'; path: string } | { kind: 'prometheus'; url: string };

/** The source and window flags as given. */
export interface SourceOptions {
  source: DataSource;
  /** Window length in nanoseconds, from `--window`; undefined for the default. */
  windowNanos: bigint | undefined;
  /** `--end`; undefined for the default. */
  end: Date | undefined;
  json: boolean;
}

/** The parseArgs option table of the shared flags. */
export const SOURCE_FLAGS = {
  file: { type: 'string' },
  prometheus: { type: 'string' },
  window: { type: 'string' },
  end: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean' },
} as const;

export const SOURCE_USAGE = `Data (exactly one):
  --file PATH        OTLP JSON lines from the SDK's file sink or a collector's file exporter
  --prometheus URL   a Prometheus with this repository's recording rules, e.g. http://127.0.0.1:9090

Window:
  --window LENGTH    window length in days or hours, e.g. 7d, 14d or 36h. With --file the
                     default is the whole file; with --prometheus the rules' own windows
                     (7d, and 14d for experiments) are the only ones available
  --end DATE         end of the window, e.g. 2026-12-01 or 2026-12-01T09:00:00Z. Default: the
                     latest span end in the file, or now for --prometheus

Output:
  --json             one JSON document on stdout instead of tables

Exit codes: 0 answered (and significant, where the command tests something),
3 answered but not significant, 2 usage error, 1 failure.`;

/** Reads the shared flags from parseArgs values; throws UsageError naming the value and the fix. */
export function parseSourceOptions(values: { file?: string; prometheus?: string; window?: string; end?: string; json?: boolean }): SourceOptions {
  if (values.file !== undefined && values.prometheus !== undefined) {
    throw new UsageError('give either --file or --prometheus, not both');
  }
  let source: DataSource;
  if (values.file !== undefined) {
    if (values.file === '') throw new UsageError('invalid --file "": expected the path of an OTLP JSON lines file');
    source = { kind: 'file', path: values.file };
  } else if (values.prometheus !== undefined) {
    source = { kind: 'prometheus', url: parseHttpUrl(values.prometheus) };
  } else {
    throw new UsageError('missing data source: give --file PATH (OTLP JSON lines) or --prometheus URL');
  }

  const windowNanos = values.window === undefined ? undefined : parseWindow(values.window);
  const end = values.end === undefined ? undefined : parseEnd(values.end);
  return { source, windowNanos, end, json: values.json === true };
}

const NANOS_PER_HOUR = 3600n * 1_000_000_000n;

/** Parses `7d` or `36h` into nanoseconds. */
export function parseWindow(text: string): bigint {
  const match = /^([0-9]{1,4})([dh])$/.exec(text);
  const amount = match === null ? 0n : BigInt(match[1]!);
  if (match === null || amount === 0n) {
    throw new UsageError(`invalid --window ${JSON.stringify(text)}: expected a whole number of days or hours above 0, e.g. 7d, 14d or 36h`);
  }
  return amount * (match[2] === 'd' ? 24n : 1n) * NANOS_PER_HOUR;
}

/** Parses an ISO 8601 date (midnight UTC) or a date-time with a time zone. */
export function parseEnd(text: string): Date {
  const isDate = /^\d{4}-\d{2}-\d{2}$/.test(text);
  const isDateTime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(text);
  const end = new Date(isDate ? `${text}T00:00:00Z` : text);
  if (!(isDate || isDateTime) || Number.isNaN(end.getTime())) {
    throw new UsageError(`invalid --end ${JSON.stringify(text)}: expected a date such as 2026-12-01 or a date-time with a time zone such as 2026-12-01T09:00:00Z`);
  }
  return end;
}

function parseHttpUrl(text: string): string {
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new UsageError(`invalid --prometheus ${JSON.stringify(text)}: expected Prometheus's base URL, e.g. http://127.0.0.1:9090`);
  }
  return text;
}

/** Parses a whole number from `min` to `max` for `flag`. */
export function parseInteger(flag: string, text: string, min: number, max: number): number {
  const value = /^-?[0-9]+$/.test(text) ? Number(text) : Number.NaN;
  if (!(Number.isSafeInteger(value) && value >= min && value <= max)) {
    throw new UsageError(`invalid ${flag} ${JSON.stringify(text)}: expected a whole number from ${min} to ${max}`);
  }
  return value;
}

/** Parses one of `choices` for `flag`. */
export function parseChoice<T extends string>(flag: string, text: string, choices: readonly T[]): T {
  if (!(choices as readonly string[]).includes(text)) {
    throw new UsageError(`invalid ${flag} ${JSON.stringify(text)}: expected one of ${choices.join(', ')}`);
  }
  return text as T;
}
