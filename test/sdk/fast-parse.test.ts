import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { FAST_PARSERS } from '../../sdk/fast-parse.js';
import * as schemas from '../../sdk/schema.js';
import { CONTEXT_SOURCES, FAILURE_CLASSES } from '../../sdk/semconv.js';

// Candidate values per kind of field: two valid ones first, then valid and
// invalid ones mixed.
const LABELS = ['a', 'acme/payments', '', 'x'.repeat(128), 'x'.repeat(129), 'x'.repeat(257), 'x'.repeat(513), 'tab\there', 'nel\u0085', 'lone\ud800', 5, null, new String('boxed')];
const COUNTS = [0, 1, 3, 1234, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, -0, '3', 10n];
const AMOUNTS = [0, 0.25, 12.5, -0.1, -0, Number.POSITIVE_INFINITY, Number.NaN, '1'];
const TIMES = [
  new Date(0),
  new Date('2026-12-01T09:00:00Z'),
  new Date('2026-12-03T15:30:00Z'),
  new Date(Number.NaN),
  0,
  1.7e12,
  1.8e12,
  -1,
  8.64e15 + 1,
  Number.POSITIVE_INFINITY,
  '2026-12-01T09:00:00Z',
  '2026-12-01',
  null,
];
const BOOLEANS = [true, false, 'true', 0, null];
const symbolKeyed = { story: 1, [Symbol('source')]: 2 };
const SOURCES = [
  { story: 1200 },
  { story: 1, code_search: 2 },
  {},
  { other: 0, story: 3 },
  { foo: 1 },
  { story: -1 },
  { story: undefined },
  [],
  null,
  Object.assign(Object.create(null) as object, { story: 2 }),
  symbolKeyed,
];
const OUTPUTS = ['FAILED tests/test_a.py::test_b - AssertionError', '', Buffer.from('bytes'), new Uint8Array([104, 105]), 5, null];
const EXPERIMENTS = [{ name: 'spec', arm: 'treatment' }, { name: 'spec', arm: 'control', extra: 1 }, { name: '', arm: 'a' }, { name: 'spec' }, null, 'spec'];
const CHANGE_IDS = [12, '12', 'feature-x', -1, 1.5, '', 'x'.repeat(129), -0, null];

const enumOf = (values: readonly string[]) => [...values, 'bogus', '', 3, null];

type Spec = Record<string, readonly unknown[]>;

const identityFields: Spec = {
  repository: LABELS,
  changeId: CHANGE_IDS,
  model: LABELS,
  provider: LABELS,
  complexity: enumOf(['trivial', 'standard', 'complex', 'architectural']),
  team: LABELS,
  experiment: EXPERIMENTS,
};
const verificationFields: Spec = {
  result: enumOf(['success', 'failure', 'timeout', 'cancellation', 'error', 'skip']),
  failureClass: enumOf(FAILURE_CLASSES),
  output: OUTPUTS,
  signature: LABELS,
  previousSignature: [...LABELS, null],
  feedbackSpecific: BOOLEANS,
  pipelineName: LABELS,
  startTime: TIMES,
  endTime: TIMES,
};
const usageFields: Spec = { inputTokens: COUNTS, outputTokens: COUNTS, cacheReadInputTokens: COUNTS, cacheCreationInputTokens: COUNTS, costUsd: AMOUNTS };

// The fields each schema with a fast parser reads. Objects get random subsets of them.
const OBJECT_SPECS = new Map<z.ZodType, Spec>([
  [schemas.runIdentitySchema, { runId: LABELS, ...identityFields, startTime: TIMES, attributes: [{}, { team: 'x' }] }],
  [schemas.resumedIdentitySchema, identityFields],
  [schemas.contextSchema, { sources: SOURCES, complete: BOOLEANS, inputTokens: COUNTS, startTime: TIMES, endTime: TIMES }],
  [schemas.attemptStartSchema, { number: COUNTS, trigger: enumOf(['initial', 'ci_failure', 'review_feedback', 'human_request']), startTime: TIMES }],
  [schemas.attemptVerificationSchema, verificationFields],
  [schemas.verificationSchema, { attempt: COUNTS, ...verificationFields }],
  [schemas.usageSchema, usageFields],
  [schemas.attemptEndSchema, { ...usageFields, endTime: TIMES, change: [{ hash: 'abc' }] }],
  [
    schemas.reviewSchema,
    { openedAt: TIMES, closedAt: TIMES, state: enumOf(['merged', 'closed']), humanModified: BOOLEANS, rounds: COUNTS, approvals: COUNTS, failureClass: enumOf(FAILURE_CLASSES) },
  ],
  [schemas.deploymentSchema, { commitAt: TIMES, deployedAt: TIMES, environment: LABELS, succeeded: BOOLEANS, revision: LABELS }],
  [
    schemas.outcomeSchema,
    {
      status: enumOf(['merged', 'closed', 'abandoned']),
      at: TIMES,
      attempts: COUNTS,
      firstAttemptPassed: BOOLEANS,
      humanModified: BOOLEANS,
      costUsd: AMOUNTS,
      contextComplete: BOOLEANS,
    },
  ],
]);
// Schemas of a single value, with their candidates.
const VALUE_SPECS = new Map<z.ZodType, readonly unknown[]>([
  [schemas.runIdSchema, LABELS],
  [schemas.timeSchema, TIMES],
]);

class NotPlain {
  result = 'success';
}

// A small seeded generator (mulberry32), so that a failure reproduces.
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function generateObject(spec: Spec, next: () => number): unknown {
  const pick = <T>(values: readonly T[]): T => values[Math.floor(next() * values.length)]!;
  const roll = next();
  if (roll < 0.02) return pick([null, 'text', 5, [], new NotPlain()]);

  const input: Record<string, unknown> = roll < 0.05 ? (Object.create(null) as Record<string, unknown>) : {};
  for (const [key, values] of Object.entries(spec)) {
    const choice = next();
    // Required fields are mostly present and optional ones often absent, so
    // that both valid and invalid objects come up often.
    if (choice < 0.25) continue;
    // Every list starts with two valid values, taken more often so that whole
    // valid objects come up too.
    input[key] = choice < 0.3 ? undefined : next() < 0.6 ? pick(values.slice(0, 2)) : pick(values);
  }
  if (next() < 0.1) input.unknownKey = 'ignored';
  return input;
}

// Runs both parsers on `input` and returns what the fast one did.
function compare(schema: z.ZodType, input: unknown): 'accepted' | 'deferred' {
  const fast = FAST_PARSERS.get(schema)!(input);
  if (fast === undefined) return 'deferred';
  const slow = schema.safeParse(input);
  expect(slow.success, `the fast parser accepted input that the schema rejects: ${show(input)}`).toBe(true);
  expect(fast, `the fast parser returned another value than the schema for ${show(input)}`).toEqual(slow.data);
  return 'accepted';
}

function show(input: unknown): string {
  try {
    return JSON.stringify(input, (_key, value: unknown) => (typeof value === 'bigint' ? `${value}n` : value === undefined ? '<undefined>' : value)) ?? String(input);
  } catch {
    return String(input);
  }
}

describe('fast parsers', () => {
  it('cover the generated schemas', () => {
    const specified = [...OBJECT_SPECS.keys(), ...VALUE_SPECS.keys()];
    expect([...FAST_PARSERS.keys()].every((schema) => specified.includes(schema))).toBe(true);
    expect(specified.length).toBe(FAST_PARSERS.size);
  });

  for (const [schema, spec] of OBJECT_SPECS) {
    const name = Object.entries(schemas).find(([, value]) => value === schema)![0];
    it(`agree with ${name} on generated objects`, () => {
      const next = random(name.length * 7919);
      let accepted = 0;
      for (let index = 0; index < 4000; index += 1) {
        if (compare(schema, generateObject(spec, next)) === 'accepted') accepted += 1;
      }
      // A parser that always defers would pass the checks above and save nothing.
      expect(accepted).toBeGreaterThan(20);
    });
  }

  for (const [schema, values] of VALUE_SPECS) {
    const name = Object.entries(schemas).find(([, value]) => value === schema)![0];
    it(`agree with ${name} on every candidate`, () => {
      const results = values.map((value) => compare(schema, value));
      expect(results).toContain('accepted');
    });
  }
});

describe('fast parser inputs', () => {
  it('accept every context source', () => {
    const sources = Object.fromEntries(CONTEXT_SOURCES.map((source, index) => [source, index]));
    expect(compare(schemas.contextSchema, { sources })).toBe('accepted');
  });

  it('defer ISO 8601 strings to the schema', () => {
    expect(compare(schemas.timeSchema, '2026-12-01T09:00:00Z')).toBe('deferred');
  });

  it('let a throwing getter throw, for validate to catch', () => {
    const input = {
      get result(): string {
        throw new Error('getter');
      },
    };
    expect(() => FAST_PARSERS.get(schemas.attemptVerificationSchema)!(input)).toThrow('getter');
  });

  it('return new Date objects', () => {
    const time = new Date('2026-12-01T09:00:00Z');
    const parsed = FAST_PARSERS.get(schemas.timeSchema)!(time);
    expect(parsed).toEqual(time);
    expect(parsed).not.toBe(time);
  });
});
