import type { z } from 'zod';
import { FAST_PARSERS } from './fast-parse.js';
import type { Reporter } from './report.js';

/**
 * Validates `input` against `schema` at the SDK boundary. An invalid optional
 * field is removed and reported; an invalid or missing required field drops the
 * whole call and is reported. Returns the parsed value, or undefined when the call
 * is dropped. In strict mode the reporter throws instead.
 */
export function validate<S extends z.ZodType>(
  schema: S,
  input: unknown,
  where: string,
  reporter: Reporter,
  /** 'fields' for calls that go on without their input, such as ending an attempt; the report then states that. */
  onInvalid: 'drop-call' | 'fields' = 'drop-call',
): z.output<S> | undefined {
  const dropCall = (message: string): undefined => {
    if (onInvalid === 'fields') reporter.droppedFields(1, `${message} Recorded without this input.`);
    else reporter.droppedCall(`${message} The call was dropped.`);
    return undefined;
  };

  const fast = parseFast(schema, input);
  if (fast !== undefined) return fast;

  const first = safeParse(schema, input);
  if (first === 'threw') {
    return dropCall(`${where}: reading the input threw (a throwing getter or proxy).`);
  }
  if (first.success) return first.data;

  const issues = readIssues(first);
  if (issues === undefined) {
    return dropCall(`${where}: the input is invalid, and describing why threw (zod 4 cannot print a symbol key, for example).`);
  }
  const problems = issues.map((issue) => describeIssue(issue, input));
  const shape = objectShape(schema);
  if (shape === undefined || !isPlainObject(input)) return dropCall(`${where}: ${problems.join('; ')}.`);

  const corrected: Record<string, unknown> = { ...input };
  const removed = new Set<string>();
  for (const issue of issues) {
    const key = issue.path[0];
    const field = typeof key === 'string' ? shape[key] : undefined;
    if (typeof key !== 'string' || field === undefined || !field.safeParse(undefined).success) {
      return dropCall(`${where}: ${problems.join('; ')}.`);
    }
    removed.add(key);
    delete corrected[key];
  }

  const second = safeParse(schema, corrected);
  if (second === 'threw' || !second.success) return dropCall(`${where}: ${problems.join('; ')}.`);
  const fields = [...removed].join(', ');
  reporter.droppedFields(removed.size, `${where}: ${problems.join('; ')}. Recorded without ${fields}.`);
  return second.data;
}

/** Returns whether `input` is valid for `schema`, without reporting anything. */
export function isValid(schema: z.ZodType, input: unknown): boolean {
  if (parseFast(schema, input) !== undefined) return true;
  const result = safeParse(schema, input);
  return result !== 'threw' && result.success;
}

// Runs the schema's hand-written parser, when it has one. Undefined means that
// zod must decide. That includes input whose reading threw, because zod then
// reads it again and `validate` reports the throw.
function parseFast<S extends z.ZodType>(schema: S, input: unknown): z.output<S> | undefined {
  const parse = FAST_PARSERS.get(schema);
  if (parse === undefined) return undefined;
  try {
    return parse(input) as z.output<S> | undefined;
  } catch {
    return undefined;
  }
}

// zod reads the input's properties, so a throwing getter or proxy throws through
// safeParse; the SDK must not pass that on to the host.
function safeParse<S extends z.ZodType>(schema: S, input: unknown): z.ZodSafeParseResult<z.output<S>> | 'threw' {
  try {
    return schema.safeParse(input) as z.ZodSafeParseResult<z.output<S>>;
  } catch {
    return 'threw';
  }
}

// zod builds the issues' messages when `error` is first read, and that throws
// for some inputs, such as a record with a symbol key.
function readIssues(result: z.ZodSafeParseError<unknown>): readonly z.core.$ZodIssue[] | undefined {
  try {
    return result.error.issues;
  } catch {
    return undefined;
  }
}

function describeIssue(issue: z.core.$ZodIssue, input: unknown): string {
  const path = issue.path.map(String).join('.') || 'input';
  const value = valueAt(input, issue.path);
  return `invalid ${path} ${preview(value)}: ${issue.message}`;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let current = input;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

// Values are shown shortened, since a caller may pass something large by mistake.
function preview(value: unknown): string {
  if (value === undefined) return '(missing)';
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function objectShape(schema: z.ZodType): Record<string, z.ZodType> | undefined {
  const shape = (schema as { shape?: unknown }).shape;
  return shape !== null && typeof shape === 'object' ? (shape as Record<string, z.ZodType>) : undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
