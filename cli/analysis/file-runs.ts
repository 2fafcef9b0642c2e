import { createReadStream, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { collectRuns, emptyReadSummary, readOtlpJsonLines, type Run, type TimeWindow } from '../../analysis/index.js';
import { UsageError } from './options.js';

/**
 * Reads the runs of an OTLP JSON lines file (the embedded store) and resolves
 * the analysis window over it.
 */

/** The runs of a file with what the reader skipped. */
export interface FileRuns {
  path: string;
  runs: Run[];
  spans: number;
  /** Lines or spans the reader skipped, with the first few messages. */
  skipped: number;
  firstProblems: string[];
  /** Earliest and latest span end in the file, in ns since the epoch; undefined for an empty file. */
  firstEndUnixNano: bigint | undefined;
  lastEndUnixNano: bigint | undefined;
}

const PROGRESS_INTERVAL_MS = 250;

/**
 * Reads every run in `path`. On a terminal, stderr shows the share of the file
 * read so far; elsewhere (a pipe, a CI log) it shows nothing.
 */
export async function readFileRuns(path: string, progress: NodeJS.WriteStream = process.stderr): Promise<FileRuns> {
  let size: number;
  try {
    const stat = statSync(path);
    if (!stat.isFile()) throw new UsageError(`invalid --file ${JSON.stringify(path)}: it is not a file; give the path of an OTLP JSON lines file`);
    size = stat.size;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`cannot read --file ${JSON.stringify(path)}: ${(error as Error).message}. Give the path of an OTLP JSON lines file, e.g. .demo/factory.jsonl`);
  }

  const input = createReadStream(path, 'utf8');
  const showProgress = progress.isTTY === true;
  let lastShown = 0;
  input.on('data', () => {
    if (!showProgress) return;
    const now = Date.now();
    if (now - lastShown < PROGRESS_INTERVAL_MS) return;
    lastShown = now;
    const share = size === 0 ? 1 : input.bytesRead / size;
    progress.write(`\rreading ${path}: ${(share * 100).toFixed(0)}% of ${(size / 1e6).toFixed(1)} MB`);
  });

  const summary = emptyReadSummary();
  const firstProblems: string[] = [];
  let skipped = 0;
  let spans = 0;
  let firstEnd: bigint | undefined;
  let lastEnd: bigint | undefined;
  const lines = createInterface({ input, crlfDelay: Infinity });
  const records = readOtlpJsonLines(lines, {
    summary,
    onProblem: (problem) => {
      skipped += 1;
      if (firstProblems.length < 5) firstProblems.push(`line ${problem.line}: ${problem.message}`);
    },
  });
  async function* withTimes() {
    for await (const span of records) {
      spans += 1;
      if (firstEnd === undefined || span.endTimeUnixNano < firstEnd) firstEnd = span.endTimeUnixNano;
      if (lastEnd === undefined || span.endTimeUnixNano > lastEnd) lastEnd = span.endTimeUnixNano;
      yield span;
    }
  }
  const { runs } = await collectRuns(withTimes());
  if (showProgress) progress.write('\r\x1b[K');

  // A report of zeros would read as "the factory did nothing", so a file without
  // spans (empty, another format, or every line broken) is an error.
  if (spans === 0) {
    const reason = skipped === 0 ? 'it holds no OTLP spans' : `${skipped} ${skipped === 1 ? 'line was' : 'lines were'} skipped (${firstProblems[0]}) and no other line contains a span`;
    throw new UsageError(`no spans in --file ${JSON.stringify(path)}: ${reason}. Give an OTLP JSON lines file that the SDK's file sink or a collector's file exporter wrote`);
  }

  return { path, runs: [...runs.values()], spans, skipped, firstProblems, firstEndUnixNano: firstEnd, lastEndUnixNano: lastEnd };
}

/** A window, with a sentence on how it was chosen. */
export interface ResolvedWindow {
  window: TimeWindow;
  /** Length in weeks, to turn counts into a weekly rate. */
  weeks: number;
  description: string;
  /** True when no --window or --end was given and the window covers the whole file. */
  wholeFile: boolean;
}

const NANOS_PER_WEEK = 7n * 24n * 3600n * 1_000_000_000n;

/**
 * Resolves the window over a file. Without `--window` it covers every span end
 * in the file; without `--end` it ends at the latest span end.
 */
export function fileWindow(file: FileRuns, lengthNanos: bigint | undefined, end: Date | undefined): ResolvedWindow {
  const endNanos = end !== undefined ? BigInt(end.getTime()) * 1_000_000n : (file.lastEndUnixNano ?? 0n);
  if (lengthNanos === undefined && end === undefined) {
    // One nanosecond before the first end, because the window excludes its start.
    const start = (file.firstEndUnixNano ?? 1n) - 1n;
    const length = endNanos - start;
    return {
      window: { startUnixNano: start, endUnixNano: endNanos },
      weeks: Math.max(Number(length) / Number(NANOS_PER_WEEK), 1 / 7),
      description: `the whole file (no --window given): ${isoOf(start + 1n)} to ${isoOf(endNanos)}`,
      wholeFile: true,
    };
  }
  const length = lengthNanos ?? endNanos - ((file.firstEndUnixNano ?? 1n) - 1n);
  const window = { startUnixNano: endNanos - length, endUnixNano: endNanos };
  const endText = end === undefined ? `the latest span end in the file, ${isoOf(endNanos)}` : isoOf(endNanos);
  return {
    window,
    weeks: Math.max(Number(length) / Number(NANOS_PER_WEEK), 1 / 7),
    description:
      lengthNanos === undefined
        ? `from the first span end in the file, ${isoOf(window.startUnixNano + 1n)}, to ${endText} (no --window given)`
        : `${formatLength(length)} ending at ${endText}`,
    wholeFile: false,
  };
}

/** Formats ns since the epoch as an ISO 8601 date-time. */
export function isoOf(unixNano: bigint): string {
  return new Date(Number(unixNano / 1_000_000n)).toISOString();
}

function formatLength(nanos: bigint): string {
  const hours = Number(nanos / (3600n * 1_000_000_000n));
  return hours % 24 === 0 ? `${hours / 24} days` : `${hours} hours`;
}
