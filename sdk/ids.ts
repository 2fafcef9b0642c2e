import { randomUUID } from 'node:crypto';
import { sha256Hex } from './sha256.js';

/**
 * Trace and span ids derived from a run id.
 *
 * Every process that has a run's `factory.run.id` computes the same trace id and
 * the same root span id, so a CI job or a webhook handler days later can add spans
 * to the run without any shared state. The derivation is SHA-256 over a fixed
 * prefix and the run id: the first 16 bytes are the trace id, the next 8 bytes the
 * root span id, both as lowercase hex as OpenTelemetry writes them.
 */

const DERIVATION_PREFIX = 'factory-telemetry/run/v1/';

export interface RunIds {
  traceId: string;
  rootSpanId: string;
}

/** Computes the trace id and root span id of the run `runId`. */
export function deriveRunIds(runId: string): RunIds {
  const digest = sha256Hex(DERIVATION_PREFIX + runId);
  return {
    traceId: nonZeroHex(digest.slice(0, 32)),
    rootSpanId: nonZeroHex(digest.slice(32, 48)),
  };
}

/** Returns a new random run id (a UUID v4). */
export function newRunId(): string {
  return randomUUID();
}

// An all-zero id is invalid in OpenTelemetry. SHA-256 gives one with probability
// 2^-64 or less, but the fallback keeps the function total.
function nonZeroHex(hex: string): string {
  return /^0+$/.test(hex) ? hex.slice(0, -1) + '1' : hex;
}
