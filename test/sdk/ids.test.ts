import { describe, expect, it } from 'vitest';
import { deriveRunIds, newRunId } from '../../sdk/ids.js';

describe('deriveRunIds', () => {
  it('returns the same ids for the same run id', () => {
    expect(deriveRunIds('run-1')).toEqual(deriveRunIds('run-1'));
  });

  it('returns OpenTelemetry-shaped hex ids', () => {
    const ids = deriveRunIds('run-1');
    expect(ids.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(ids.rootSpanId).toMatch(/^[0-9a-f]{16}$/);
  });

  it('returns different ids for different run ids', () => {
    const a = deriveRunIds('run-1');
    const b = deriveRunIds('run-2');
    expect(a.traceId).not.toBe(b.traceId);
    expect(a.rootSpanId).not.toBe(b.rootSpanId);
  });

  it('keeps a fixed derivation across releases', () => {
    // Changing the derivation would split runs recorded by two SDK versions.
    expect(deriveRunIds('run-1')).toEqual({
      traceId: expect.stringMatching(/^[0-9a-f]{32}$/),
      rootSpanId: expect.stringMatching(/^[0-9a-f]{16}$/),
    });
    expect(deriveRunIds('run-1').traceId).toBe(FIXED_TRACE_ID);
  });
});

describe('newRunId', () => {
  it('returns a fresh UUID each call', () => {
    const a = newRunId();
    expect(a).toMatch(/^[0-9a-f-]{36}$/);
    expect(newRunId()).not.toBe(a);
  });
});

// SHA-256 of 'factory-telemetry/run/v1/run-1', first 16 bytes.
const FIXED_TRACE_ID = 'a4a23be60ad72465c5870b64422b11a0';
