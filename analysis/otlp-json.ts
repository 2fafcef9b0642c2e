/**
 * Reads OTLP JSON lines: one ExportTraceServiceRequest per line in the protobuf
 * JSON mapping of the OTLP specification, as the SDK's file sink and the
 * collector's file exporter write them. The reader follows the decoding rules of
 * that mapping, so it also takes what other writers produce: 64-bit integers as
 * strings or numbers, enums as integers or names, and unknown fields are ignored.
 */

/** An attribute value after decoding; `kvlistValue` and `bytesValue` stay as their JSON text. */
export type AttributeValue = string | number | boolean | AttributeValue[] | null;

/** One span, with the fields the analysis engine reads. */
export interface SpanRecord {
  /** Lowercase hex, 32 digits. */
  traceId: string;
  /** Lowercase hex, 16 digits. */
  spanId: string;
  /** Lowercase hex, or undefined for a root span. */
  parentSpanId: string | undefined;
  name: string;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  /** `STATUS_CODE_ERROR` in OTLP is `error`. */
  status: 'unset' | 'ok' | 'error';
  attributes: Record<string, AttributeValue>;
  /** `service.name` of the span's resource, or '' when it has none. */
  serviceName: string;
}

/** A line or span the reader skipped, and why. */
export interface ReadProblem {
  /** 1-based number of the line among those given. */
  line: number;
  message: string;
}

export interface ReadOptions {
  /** Receives every skipped line or span. Default: problems are only counted in `ReadSummary`. */
  onProblem?: (problem: ReadProblem) => void;
  /** Filled while reading: lines and spans seen and skipped. */
  summary?: ReadSummary;
}

/** Counts of what a read saw, filled in as it goes. */
export interface ReadSummary {
  lines: number;
  spans: number;
  skippedLines: number;
  skippedSpans: number;
}

/** Returns a summary with every count at zero, to pass as `ReadOptions.summary`. */
export function emptyReadSummary(): ReadSummary {
  return { lines: 0, spans: 0, skippedLines: 0, skippedSpans: 0 };
}

/**
 * Yields the spans of each line in order. A line that is not valid JSON (for
 * example one cut short by a write that failed part way) and a span
 * without a name, ids or times are skipped and reported, never guessed. Blank
 * lines are ignored. Holds one line at a time.
 */
export async function* readOtlpJsonLines(lines: AsyncIterable<string> | Iterable<string>, options: ReadOptions = {}): AsyncGenerator<SpanRecord> {
  const summary = options.summary ?? emptyReadSummary();
  const problem = (line: number, message: string) => options.onProblem?.({ line, message });
  let lineNumber = 0;

  for await (const text of lines) {
    lineNumber += 1;
    if (text.trim() === '') continue;
    summary.lines += 1;

    let request: unknown;
    try {
      request = JSON.parse(text);
    } catch (error) {
      summary.skippedLines += 1;
      problem(lineNumber, `invalid JSON (${(error as Error).message}); the line was skipped. A write that failed part way (a full disk) leaves such a line.`);
      continue;
    }
    const resourceSpans = field(request, 'resourceSpans');
    if (!Array.isArray(resourceSpans)) {
      summary.skippedLines += 1;
      problem(lineNumber, 'no resourceSpans array: expected one OTLP ExportTraceServiceRequest per line; the line was skipped');
      continue;
    }

    for (const resourceSpan of resourceSpans) {
      const serviceName = resourceServiceName(field(resourceSpan, 'resource'));
      const scopeSpans = field(resourceSpan, 'scopeSpans');
      if (!Array.isArray(scopeSpans)) continue;
      for (const scopeSpan of scopeSpans) {
        const spans = field(scopeSpan, 'spans');
        if (!Array.isArray(spans)) continue;
        for (const span of spans) {
          const decoded = decodeSpan(span, serviceName);
          if (typeof decoded === 'string') {
            summary.skippedSpans += 1;
            problem(lineNumber, decoded);
            continue;
          }
          summary.spans += 1;
          yield decoded;
        }
      }
    }
  }
}

/** Decodes one OTLP/JSON span, or returns why it cannot be used. */
function decodeSpan(span: unknown, serviceName: string): SpanRecord | string {
  const name = field(span, 'name');
  const traceId = field(span, 'traceId');
  const spanId = field(span, 'spanId');
  if (typeof name !== 'string' || name === '') return 'a span has no name; it was skipped';
  if (typeof traceId !== 'string' || !/^[0-9a-fA-F]{32}$/.test(traceId)) return `span ${name} has an invalid traceId ${JSON.stringify(traceId)}: expected 32 hex digits; it was skipped`;
  if (typeof spanId !== 'string' || !/^[0-9a-fA-F]{16}$/.test(spanId)) return `span ${name} has an invalid spanId ${JSON.stringify(spanId)}: expected 16 hex digits; it was skipped`;
  const start = unixNano(field(span, 'startTimeUnixNano'));
  const end = unixNano(field(span, 'endTimeUnixNano'));
  if (start === undefined || end === undefined) return `span ${name} (${spanId}) has no valid startTimeUnixNano or endTimeUnixNano; it was skipped`;

  const parent = field(span, 'parentSpanId');
  return {
    traceId: traceId.toLowerCase(),
    spanId: spanId.toLowerCase(),
    parentSpanId: typeof parent === 'string' && parent !== '' ? parent.toLowerCase() : undefined,
    name,
    startTimeUnixNano: start,
    endTimeUnixNano: end,
    status: statusOf(field(field(span, 'status'), 'code')),
    attributes: decodeAttributes(field(span, 'attributes')),
    serviceName,
  };
}

function field(object: unknown, key: string): unknown {
  return object !== null && typeof object === 'object' ? (object as Record<string, unknown>)[key] : undefined;
}

function resourceServiceName(resource: unknown): string {
  const value = decodeAttributes(field(resource, 'attributes'))['service.name'];
  return typeof value === 'string' ? value : '';
}

// fixed64 in the protobuf JSON mapping: a decimal string, or a number from writers
// that do not follow the mapping.
function unixNano(value: unknown): bigint | undefined {
  if (typeof value === 'string' && /^[0-9]+$/.test(value)) return BigInt(value);
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  return undefined;
}

function statusOf(code: unknown): SpanRecord['status'] {
  if (code === 2 || code === 'STATUS_CODE_ERROR') return 'error';
  if (code === 1 || code === 'STATUS_CODE_OK') return 'ok';
  return 'unset';
}

function decodeAttributes(list: unknown): Record<string, AttributeValue> {
  const attributes: Record<string, AttributeValue> = {};
  if (!Array.isArray(list)) return attributes;
  for (const item of list) {
    const key = field(item, 'key');
    if (typeof key !== 'string') continue;
    attributes[key] = decodeValue(field(item, 'value'));
  }
  return attributes;
}

function decodeValue(value: unknown): AttributeValue {
  if (value === null || typeof value !== 'object') return null;
  const any = value as Record<string, unknown>;
  if (typeof any.stringValue === 'string') return any.stringValue;
  if (typeof any.boolValue === 'boolean') return any.boolValue;
  if (any.intValue !== undefined) return toNumber(any.intValue);
  if (any.doubleValue !== undefined) return toNumber(any.doubleValue);
  if (any.arrayValue !== undefined) {
    const values = field(any.arrayValue, 'values');
    return Array.isArray(values) ? values.map(decodeValue) : [];
  }
  if (any.kvlistValue !== undefined) return JSON.stringify(any.kvlistValue);
  if (typeof any.bytesValue === 'string') return any.bytesValue;
  return null;
}

// int64 and double in the protobuf JSON mapping: numbers, or strings for large
// integers and for "NaN", "Infinity" and "-Infinity".
function toNumber(value: unknown): number | null {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') {
    const number = Number(value);
    return Number.isNaN(number) && value !== 'NaN' ? null : number;
  }
  return null;
}
