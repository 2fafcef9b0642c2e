import type { Attributes, AttributeValue, HrTime } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';

/**
 * Encodes ended spans as one line of OTLP/JSON: one ExportTraceServiceRequest in
 * the protobuf JSON mapping of the OTLP specification, written the way the
 * collector's pdata JSON marshaler writes it (and so its file exporter). Keys are
 * lowerCamelCase, trace and span ids lowercase hex, 64-bit integers (timestamps,
 * `intValue`) decimal strings, enums integers, and fields with their zero value
 * are left out. The line ends with "\n" and contains no other line break, because
 * JSON escapes line breaks inside strings.
 *
 * A JavaScript number attribute becomes `intValue` when it is a whole number and
 * `doubleValue` otherwise, as in the OTLP exporters of OpenTelemetry JS, so the
 * file and the collector see the same types.
 */
export function encodeSpansAsOtlpJsonLine(spans: readonly ReadableSpan[]): string {
  return `${JSON.stringify({ resourceSpans: groupByResourceAndScope(spans) })}\n`;
}

interface OtlpKeyValue {
  key: string;
  value: OtlpAnyValue;
}

type OtlpAnyValue =
  | { stringValue: string }
  | { boolValue: boolean }
  | { intValue: string }
  | { doubleValue: number }
  | { arrayValue: { values?: OtlpAnyValue[] } }
  | Record<string, never>;

// Spans of one provider share a resource object, and those of one tracer its
// scope, so grouping by object identity keeps each request as small as the
// collector's own.
function groupByResourceAndScope(spans: readonly ReadableSpan[]): unknown[] {
  const byResource = new Map<unknown, { resource: ReadableSpan['resource']; scopes: Map<string, { scope: ReadableSpan['instrumentationScope']; spans: unknown[] }> }>();
  for (const span of spans) {
    let resourceEntry = byResource.get(span.resource);
    if (resourceEntry === undefined) {
      resourceEntry = { resource: span.resource, scopes: new Map() };
      byResource.set(span.resource, resourceEntry);
    }
    const scope = span.instrumentationScope;
    const scopeKey = `${scope.name}\u0000${scope.version ?? ''}\u0000${scope.schemaUrl ?? ''}`;
    let scopeEntry = resourceEntry.scopes.get(scopeKey);
    if (scopeEntry === undefined) {
      scopeEntry = { scope, spans: [] };
      resourceEntry.scopes.set(scopeKey, scopeEntry);
    }
    scopeEntry.spans.push(encodeSpan(span));
  }

  return [...byResource.values()].map(({ resource, scopes }) => {
    const attributes = encodeAttributes(resource.attributes);
    return withoutEmpty({
      resource: attributes === undefined ? {} : { attributes },
      scopeSpans: [...scopes.values()].map(({ scope, spans: encoded }) =>
        withoutEmpty({
          scope: withoutEmpty({ name: scope.name, version: scope.version }),
          spans: encoded,
          schemaUrl: scope.schemaUrl,
        }),
      ),
      schemaUrl: resource.schemaUrl,
    });
  });
}

function encodeSpan(span: ReadableSpan): unknown {
  const context = span.spanContext();
  const parent = span.parentSpanContext;
  return withoutEmpty({
    traceId: context.traceId,
    spanId: context.spanId,
    traceState: context.traceState?.serialize(),
    parentSpanId: parent?.spanId,
    flags: spanFlags(context.traceFlags, parent?.isRemote),
    name: span.name,
    // The API's SpanKind starts at INTERNAL = 0; OTLP reserves 0 for unspecified.
    kind: span.kind + 1,
    startTimeUnixNano: nanos(span.startTime),
    endTimeUnixNano: nanos(span.endTime),
    attributes: encodeAttributes(span.attributes),
    droppedAttributesCount: span.droppedAttributesCount,
    events: span.events.length === 0 ? undefined : span.events.map((event) => withoutEmpty({
      timeUnixNano: nanos(event.time),
      name: event.name,
      attributes: encodeAttributes(event.attributes ?? {}),
      droppedAttributesCount: event.droppedAttributesCount,
    })),
    droppedEventsCount: span.droppedEventsCount,
    links: span.links.length === 0 ? undefined : span.links.map((link) => withoutEmpty({
      traceId: link.context.traceId,
      spanId: link.context.spanId,
      traceState: link.context.traceState?.serialize(),
      attributes: encodeAttributes(link.attributes ?? {}),
      droppedAttributesCount: link.droppedAttributesCount,
      flags: spanFlags(link.context.traceFlags, link.context.isRemote),
    })),
    droppedLinksCount: span.droppedLinksCount,
    status: withoutEmpty({ message: span.status.message, code: span.status.code }),
  });
}

// OTLP span flags: the W3C trace flags in bits 0-7, bit 8 "has is-remote" and
// bit 9 "is remote" for the parent (OTLP 1.1 SpanFlags).
function spanFlags(traceFlags: number, isRemote: boolean | undefined): number {
  let flags = (traceFlags & 0xff) | 0x100;
  if (isRemote === true) flags |= 0x200;
  return flags;
}

function nanos(time: HrTime): string {
  return (BigInt(Math.trunc(time[0])) * 1_000_000_000n + BigInt(Math.trunc(time[1]))).toString();
}

function encodeAttributes(attributes: Attributes): OtlpKeyValue[] | undefined {
  const encoded: OtlpKeyValue[] = [];
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined) continue;
    encoded.push({ key, value: encodeValue(value) });
  }
  return encoded.length === 0 ? undefined : encoded;
}

function encodeValue(value: AttributeValue | null | undefined): OtlpAnyValue {
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  if (typeof value === 'number') return Number.isInteger(value) ? { intValue: String(value) } : { doubleValue: value };
  if (Array.isArray(value)) {
    const values = (value as Array<AttributeValue | null | undefined>).map((item) => encodeValue(item));
    return { arrayValue: values.length === 0 ? {} : { values } };
  }
  // null array items: an AnyValue with no value set, as pdata writes it.
  return {};
}

// pdata leaves out every field that has its zero value.
function withoutEmpty<T extends Record<string, unknown>>(object: T): Partial<T> {
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(object)) {
    if (value === undefined || value === '' || value === 0) continue;
    result[key] = value;
  }
  return result as Partial<T>;
}
