import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';

const MAX_MESSAGE_LENGTH = 300;

/** Rejected span count and message of an OTLP partial success response. */
export interface PartialSuccess {
  rejectedSpans: number;
  errorMessage: string;
}

/**
 * Reads the `partial_success` field of a successful ExportTraceServiceResponse.
 * Returns undefined when the body is empty, has no such field or cannot be decoded.
 * The body is decoded as JSON when `contentType` names JSON, else as protobuf.
 */
export function readPartialSuccess(contentType: string | undefined, body: Uint8Array | undefined): PartialSuccess | undefined {
  if (body === undefined || body.byteLength === 0) {
    return undefined;
  }
  try {
    const serializer = isJson(contentType) ? JsonTraceSerializer : ProtobufTraceSerializer;
    const partialSuccess = serializer.deserializeResponse(body).partialSuccess;
    if (partialSuccess === undefined) {
      return undefined;
    }
    // Proto3 JSON encodes int64 fields such as rejectedSpans as strings.
    const rejectedSpans = Number(partialSuccess.rejectedSpans ?? 0);
    return {
      rejectedSpans: Number.isFinite(rejectedSpans) && rejectedSpans > 0 ? rejectedSpans : 0,
      errorMessage: oneLine(partialSuccess.errorMessage ?? ''),
    };
  } catch {
    return undefined;
  }
}

/**
 * Extracts the collector's explanation from an error response. OTLP/HTTP error bodies
 * are a google.rpc.Status message, as JSON or protobuf, whose `message` field is used.
 * Other bodies are returned as text. The result is one line of at most 300 characters,
 * or undefined for an empty body and for a protobuf Status without a message.
 */
export function readCollectorMessage(contentType: string | undefined, body: Uint8Array | undefined): string | undefined {
  if (body === undefined || body.byteLength === 0) {
    return undefined;
  }
  const text = (): string => new TextDecoder().decode(body);
  let message: string | undefined;
  if (isJson(contentType)) {
    try {
      const parsed: unknown = JSON.parse(text());
      const field = parsed !== null && typeof parsed === 'object' ? (parsed as { message?: unknown }).message : undefined;
      message = typeof field === 'string' ? field : text();
    } catch {
      message = text();
    }
  } else if (contentType?.toLowerCase().includes('protobuf')) {
    try {
      message = readProtobufStringField(body, 2);
    } catch {
      message = undefined;
    }
  } else {
    message = text();
  }
  if (message === undefined) {
    return undefined;
  }
  const line = oneLine(message);
  return line === '' ? undefined : line;
}

function isJson(contentType: string | undefined): boolean {
  return contentType?.toLowerCase().includes('json') ?? false;
}

function oneLine(text: string): string {
  const collapsed = text.replace(/\s+/g, ' ').trim();
  return collapsed.length > MAX_MESSAGE_LENGTH ? `${collapsed.slice(0, MAX_MESSAGE_LENGTH)}...` : collapsed;
}

/**
 * Returns the first top-level string field with number `fieldNumber` of a protobuf
 * message, or undefined. Throws on a truncated or malformed message.
 */
function readProtobufStringField(bytes: Uint8Array, fieldNumber: number): string | undefined {
  let position = 0;

  const readVarint = (): number => {
    let value = 0;
    let multiplier = 1;
    for (let index = 0; index < 10; index += 1) {
      const byte = bytes[position];
      if (byte === undefined) {
        throw new Error('truncated varint');
      }
      position += 1;
      value += (byte & 0x7f) * multiplier;
      if ((byte & 0x80) === 0) {
        return value;
      }
      multiplier *= 128;
    }
    throw new Error('varint longer than 10 bytes');
  };

  while (position < bytes.byteLength) {
    const tag = readVarint();
    const wireType = tag % 8;
    const field = Math.floor(tag / 8);
    if (wireType === 0) {
      readVarint();
    } else if (wireType === 1) {
      position += 8;
    } else if (wireType === 5) {
      position += 4;
    } else if (wireType === 2) {
      const length = readVarint();
      if (position + length > bytes.byteLength) {
        throw new Error('truncated length-delimited field');
      }
      if (field === fieldNumber) {
        return new TextDecoder().decode(bytes.subarray(position, position + length));
      }
      position += length;
    } else {
      throw new Error(`unsupported wire type ${wireType}`);
    }
  }
  return undefined;
}
