import type { Attributes, AttributeValue } from '@opentelemetry/api';
import { sha256Hex } from './sha256.js';

/**
 * Turns free-form values into OpenTelemetry attributes. Nested plain objects
 * become dotted keys, arrays of one primitive type stay arrays, and other arrays
 * are JSON-encoded. Values that cannot be encoded safely (functions, symbols,
 * NaN, cycles, binary data, Maps, Sets, Errors and other class instances) and
 * keys that collide with an earlier one are skipped and returned in `skipped`,
 * so that the caller can report them.
 */
export function flattenAttributes(input: Record<string, unknown>, prefix = ''): { attributes: Attributes; skipped: string[] } {
  const attributes: Attributes = {};
  const skipped: string[] = [];
  flattenInto(input, prefix, attributes, skipped, new Set(), 0);
  return { attributes, skipped };
}

// Objects nest at most this deep; deeper ones are JSON-encoded whole.
const MAX_DEPTH = 5;

function flattenInto(value: unknown, key: string, out: Attributes, skipped: string[], seen: Set<object>, depth: number): void {
  if (value === undefined || value === null) return;
  if (key in out) {
    skipped.push(`${key} (a duplicate key)`);
    return;
  }

  if (typeof value === 'string' || typeof value === 'boolean') {
    out[key] = value;
    return;
  }
  if (typeof value === 'number') {
    if (Number.isFinite(value)) out[key] = value;
    else skipped.push(key);
    return;
  }
  if (typeof value === 'bigint') {
    out[key] = value.toString();
    return;
  }
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) skipped.push(key);
    else out[key] = value.toISOString();
    return;
  }
  if (Array.isArray(value)) {
    const homogeneous = homogeneousArray(value);
    if (homogeneous !== undefined) out[key] = homogeneous;
    else encodeJson(value, key, out, skipped);
    return;
  }
  // Binary data could be anything, secrets included, and class instances have no
  // stable encoding, so only plain objects are flattened.
  if (typeof value === 'object' && !isPlainObject(value)) {
    skipped.push(key);
    return;
  }
  if (typeof value === 'object') {
    if (seen.has(value) || depth >= MAX_DEPTH) {
      encodeJson(value, key, out, skipped);
      return;
    }
    seen.add(value);
    for (const [childKey, child] of Object.entries(value)) {
      flattenInto(child, key === '' ? childKey : `${key}.${childKey}`, out, skipped, seen, depth + 1);
    }
    seen.delete(value);
    return;
  }
  skipped.push(key);
}

function isPlainObject(value: object): boolean {
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function homogeneousArray(values: unknown[]): AttributeValue | undefined {
  if (values.every((item) => typeof item === 'string')) return values as string[];
  if (values.every((item) => typeof item === 'number' && Number.isFinite(item))) return values as number[];
  if (values.every((item) => typeof item === 'boolean')) return values as boolean[];
  return undefined;
}

function encodeJson(value: unknown, key: string, out: Attributes, skipped: string[]): void {
  try {
    const text = JSON.stringify(value);
    if (text === undefined) skipped.push(key);
    else out[key] = text;
  } catch {
    // A cycle or a throwing toJSON.
    skipped.push(key);
  }
}

/**
 * Cuts string values, and strings inside arrays, to `limit` characters, as the
 * OpenTelemetry attribute value length limit requires. Applied by the SDK itself so
 * that the limit also applies with a host provider that sets none.
 */
export function limitAttributeValues(attributes: Attributes, limit: number | undefined): Attributes {
  if (limit === undefined) return attributes;
  const result: Attributes = {};
  for (const [key, value] of Object.entries(attributes)) {
    if (typeof value === 'string') result[key] = value.slice(0, limit);
    else if (Array.isArray(value)) result[key] = value.map((item) => (typeof item === 'string' ? item.slice(0, limit) : item)) as AttributeValue;
    else result[key] = value;
  }
  return result;
}

/**
 * Cuts string values, and strings inside arrays, of `attributes` itself to
 * `limit` characters, like `limitAttributeValues`. For a new object that only
 * the caller holds, since it saves a copy per span. Returns `attributes`.
 */
export function limitAttributeValuesInPlace(attributes: Attributes, limit: number | undefined): Attributes {
  if (limit === undefined) return attributes;
  for (const key of Object.keys(attributes)) {
    const value = attributes[key];
    if (typeof value === 'string') attributes[key] = value.slice(0, limit);
    else if (Array.isArray(value)) attributes[key] = value.map((item) => (typeof item === 'string' ? item.slice(0, limit) : item)) as AttributeValue;
  }
  return attributes;
}

/**
 * Reads the attribute value length limit from OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT,
 * else OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT, as the OpenTelemetry SDK does. Returns
 * undefined (no limit) when neither is a positive integer.
 */
export function attributeValueLengthLimitFromEnv(env: NodeJS.ProcessEnv): number | undefined {
  for (const name of ['OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT', 'OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT']) {
    const value = Number(env[name]);
    if (env[name] !== undefined && Number.isInteger(value) && value > 0) return value;
  }
  return undefined;
}

/** A change reduced to what the SDK records: hashes and sizes. */
export interface ChangeFingerprint {
  hash: string | undefined;
  /** `sha256(path)` + ':' + content hash, one per changed file. */
  files: Set<string>;
}

/** Hashes file paths, so that no path is kept or recorded. */
export function fingerprintChange(change: { hash?: string; files?: Array<{ path: string; hash: string }> }): ChangeFingerprint {
  const files = new Set<string>();
  for (const file of change.files ?? []) files.add(`${sha256Hex(file.path).slice(0, 16)}:${file.hash}`);
  return { hash: change.hash, files };
}

/**
 * Compares an attempt's change with the previous attempt's: whether they are the
 * same, and the Jaccard overlap of their (path, content hash) pairs, from 0 (no
 * file changed the same way) to 1 (identical).
 */
export function compareChanges(current: ChangeFingerprint, previous: ChangeFingerprint): { same: boolean | undefined; overlap: number | undefined } {
  let overlap: number | undefined;
  if (current.files.size > 0 || previous.files.size > 0) {
    let shared = 0;
    for (const file of current.files) if (previous.files.has(file)) shared += 1;
    overlap = shared / (current.files.size + previous.files.size - shared);
  }

  let same: boolean | undefined;
  if (current.hash !== undefined && previous.hash !== undefined) same = current.hash === previous.hash;
  else if (overlap !== undefined) same = overlap === 1;
  return { same, overlap };
}
