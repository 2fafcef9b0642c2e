// Terminal formats of the analysis commands: aligned tables, rates as
// percentages and durations in minutes, hours or days.

/** Aligns the columns of `rows`; the first row is the header, underlined. Numeric-looking cells are right-aligned. */
export function formatTable(rows: string[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
  const line = (row: string[]) =>
    row
      .map((cell, column) => (column > 0 && /^[-+0-9.<>~ ]/.test(cell) ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!)))
      .join('  ')
      .trimEnd();
  const rule = widths.map((width) => '-'.repeat(width)).join('  ');
  return [line(rows[0]!), rule, ...rows.slice(1).map(line)].join('\n');
}

/** Formats a rate from 0 to 1 as a percentage with one decimal, or "n/a" for no runs. */
export function percent(rate: number | undefined): string {
  return rate === undefined || Number.isNaN(rate) ? 'n/a' : `${(rate * 100).toFixed(1)}%`;
}

/** Formats an interval of rates, e.g. "42.3% to 61.5%". */
export function percentRange(lower: number, upper: number): string {
  return `${percent(lower)} to ${percent(upper)}`;
}

/** Seconds as minutes, hours or days, whichever reads best. */
export function duration(seconds: number | undefined): string {
  if (seconds === undefined || Number.isNaN(seconds)) return 'n/a';
  if (seconds < 3600) return `${(seconds / 60).toFixed(0)} min`;
  if (seconds < 172_800) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86_400).toFixed(1)} d`;
}

/** Formats a label value for a table, with '' (the attribute was absent) as "(none)". */
export function labelText(value: string | undefined): string {
  return value === undefined || value === '' ? '(none)' : value;
}
