/** Summary statistics, table printing and entry-point detection shared by the benchmarks. */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface Summary {
  median: number;
  min: number;
  max: number;
}

/** Returns the median, minimum and maximum of `values`, which must not be empty. */
export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) throw new Error('summarize: expected at least one value, got none');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]! };
}

/** Formats rows as a plain-text table with left-aligned first column and right-aligned others. */
export function formatTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ');
  return [line(header), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)].join('\n');
}

/** Rounds `value` to `digits` decimal places, for JSON output. */
export function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** Returns whether the module at `moduleUrl` is the script that node was started with. */
export function isEntryPoint(moduleUrl: string): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(moduleUrl));
  } catch {
    return false;
  }
}

/** Runs a full garbage collection twice when node runs with --expose-gc; does nothing otherwise. */
export function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
}

/** Returns whether node runs with --expose-gc. */
export function canCollectGarbage(): boolean {
  return typeof (globalThis as { gc?: unknown }).gc === 'function';
}
