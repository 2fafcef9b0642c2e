import { describe, expect, it } from 'vitest';

import type { ReadableSpan } from '@opentelemetry/sdk-trace';

import { RunIdSet } from '../../../sdk/export/run-ids.js';

/** Returns a stand-in span with only the attributes, the one field RunIdSet reads. */
function spanOf(runId?: unknown): ReadableSpan {
  return { attributes: runId === undefined ? {} : { 'factory.run.id': runId } } as unknown as ReadableSpan;
}

describe('RunIdSet', () => {
  it('lists distinct run ids in first-seen order', () => {
    const set = RunIdSet.of([spanOf('b'), spanOf('a'), spanOf('b')]);

    expect(set.describe()).toBe('Affected runs (factory.run.id): b, a.');
  });

  it('counts spans without a run id', () => {
    const set = RunIdSet.of([spanOf('a'), spanOf(), spanOf(''), spanOf(42)]);

    expect(set.describe()).toBe('Affected runs (factory.run.id): a. 3 spans have no factory.run.id.');
    expect(RunIdSet.of([spanOf()]).describe()).toBe('1 span has no factory.run.id.');
  });

  it('names 10 runs and counts the rest', () => {
    const set = RunIdSet.of(Array.from({ length: 11 }, (_, index) => spanOf(`r${index}`)));
    const names = Array.from({ length: 10 }, (_, index) => `r${index}`).join(', ');

    expect(set.describe()).toBe(`Affected runs (factory.run.id): ${names} and 1 more run.`);
  });

  it('merges sets', () => {
    const merged = RunIdSet.of([spanOf('a'), spanOf()]);
    merged.addAll(RunIdSet.of([spanOf('b'), spanOf('a'), spanOf()]));

    expect(merged.describe('Runs in the batch')).toBe('Runs in the batch (factory.run.id): a, b. 2 spans have no factory.run.id.');
  });

  it('stops storing run ids after 1000', () => {
    const set = RunIdSet.of(Array.from({ length: 1_005 }, (_, index) => spanOf(`r${index}`)));

    expect(set.describe()).toMatch(/r9 and at least 990 more runs\.$/);
  });

  it('describes an empty set as an empty string', () => {
    expect(new RunIdSet().describe()).toBe('');
  });
});
