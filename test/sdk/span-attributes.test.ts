import type { Attributes } from '@opentelemetry/api';
import { SamplingDecision, type Sampler } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { identity, memoryTelemetry } from './helpers.js';

const IDENTITY_KEYS = [
  'factory.run.id',
  'vcs.repository.name',
  'vcs.change.id',
  'gen_ai.request.model',
  'gen_ai.provider.name',
  'factory.task.complexity',
  'factory.team',
];

// A sampler that records every span and keeps the attributes it was given.
function recordingSampler() {
  const seen: Array<{ name: string; attributes: Attributes }> = [];
  const sampler: Sampler = {
    shouldSample: (_context, _traceId, name, _kind, attributes) => {
      seen.push({ name, attributes: { ...attributes } });
      return { decision: SamplingDecision.RECORD_AND_SAMPLED };
    },
    toString: () => 'Recording',
  };
  return { sampler, seen };
}

// Records every stage, with the optional fields that default to undefined left out.
function recordRun(telemetry: ReturnType<typeof memoryTelemetry>['telemetry']): void {
  const run = telemetry.startRun(identity);
  run.recordContext({ sources: { story: 10 } });
  const first = run.startAttempt();
  first.recordVerification({ result: 'failure', output: 'FAILED tests/test_a.py::test_b - AssertionError: assert 1 == 2' });
  first.end();
  const second = run.startAttempt();
  second.recordVerification({ result: 'success' });
  second.end();
  run.recordReview({ openedAt: 1000, closedAt: 2000, state: 'merged', humanModified: false });
  run.recordDeployment({ commitAt: 2000, deployedAt: 3000, revision: 'r'.repeat(40) });
  run.recordOutcome({ status: 'merged' });
  run.end();
}

describe('span start attributes', () => {
  it('reach the sampler without undefined values', () => {
    const { sampler, seen } = recordingSampler();
    const { telemetry } = memoryTelemetry({ sampler });
    recordRun(telemetry);
    expect(seen.map((span) => span.name)).toContain('factory.review');
    for (const { name, attributes } of seen) {
      const undefinedKeys = Object.keys(attributes).filter((key) => attributes[key] === undefined);
      expect(undefinedKeys, `${name} reached the sampler with undefined values`).toEqual([]);
    }
  });

  it('start with the run identity on every span', () => {
    const { sampler, seen } = recordingSampler();
    const { telemetry } = memoryTelemetry({ sampler });
    recordRun(telemetry);
    expect(seen).toHaveLength(10);
    for (const { name, attributes } of seen) {
      expect(Object.keys(attributes).slice(0, IDENTITY_KEYS.length), name).toEqual(IDENTITY_KEYS);
      expect(attributes['factory.run.id'], name).toBe('run-42');
    }
  });

  it('reach the sampler cut to the length limit', () => {
    const { sampler, seen } = recordingSampler();
    const { telemetry, span } = memoryTelemetry({ sampler, attributeValueLengthLimit: 8 });
    recordRun(telemetry);
    const atStart = seen.find((entry) => entry.name === 'factory.deployment')!.attributes;
    expect(atStart['vcs.ref.head.revision']).toBe('rrrrrrrr');
    expect(atStart['vcs.repository.name']).toBe('acme/pay');
    expect(atStart['factory.context.sources']).toBeUndefined();
    expect(seen.find((entry) => entry.name === 'factory.context')!.attributes['factory.context.sources']).toEqual(['story']);
    expect(span('factory.deployment').attributes['vcs.ref.head.revision']).toBe('rrrrrrrr');
  });
});
