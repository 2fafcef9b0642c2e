import { describe, expect, it } from 'vitest';
import { memoryTelemetry } from './helpers.js';

describe('validate', () => {
  it('reports a symbol key instead of throwing', () => {
    const { telemetry, errors, spans } = memoryTelemetry();
    const run = telemetry.resumeRun('run-42');
    expect(() => run.recordContext({ sources: { story: 1, [Symbol('source')]: 2 } as never })).not.toThrow();
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toContain('recordContext: the input is invalid');
    expect(spans()).toHaveLength(0);
  });

  it('throws the report in strict mode', () => {
    const { telemetry } = memoryTelemetry({ strict: true });
    const run = telemetry.resumeRun('run-42');
    expect(() => run.recordContext({ sources: { story: 1, [Symbol('source')]: 2 } as never })).toThrow('recordContext: the input is invalid');
  });
});
