/** Small helpers that the OTLP exporter and the file sink share. */

/**
 * Returns `value` when it is a positive safe integer, `fallback` when it is
 * undefined, and otherwise `fallback` after adding a problem that names `name`.
 */
export function positiveInteger(name: string, value: number | undefined, fallback: number, problems: string[]): number {
  if (value === undefined) {
    return fallback;
  }
  if (Number.isSafeInteger(value) && value > 0) {
    return value;
  }
  problems.push(`invalid ${name} ${String(value)}: expected a positive whole number; using the default ${fallback}`);
  return fallback;
}

/** Returns "1 span" or "<count> spans". */
export function countSpans(count: number): string {
  return count === 1 ? '1 span' : `${count} spans`;
}

/** Returns an error's message, or the thrown value as a string. */
export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
