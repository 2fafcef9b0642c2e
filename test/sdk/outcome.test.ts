import { describe, expect, it } from 'vitest';
import { classifyOutcome, type OutcomeFacts } from '../../sdk/outcome.js';

const merged: OutcomeFacts = { status: 'merged', attempts: 1, firstAttemptPassed: true, humanModified: false };

describe('classifyOutcome', () => {
  const cases: Array<[string, OutcomeFacts, { oneShot: boolean; autonomous: boolean }]> = [
    ['first attempt passed and merged untouched', merged, { oneShot: true, autonomous: true }],
    ['second attempt merged untouched', { ...merged, attempts: 2, firstAttemptPassed: false }, { oneShot: false, autonomous: true }],
    ['two attempts though the first passed', { ...merged, attempts: 2 }, { oneShot: false, autonomous: true }],
    ['one attempt that failed CI yet merged', { ...merged, firstAttemptPassed: false }, { oneShot: false, autonomous: true }],
    ['human changed the code', { ...merged, humanModified: true }, { oneShot: false, autonomous: false }],
    ['closed without merge', { ...merged, status: 'closed' }, { oneShot: false, autonomous: false }],
    ['abandoned', { ...merged, status: 'abandoned' }, { oneShot: false, autonomous: false }],
    ['merged with no AI attempt', { ...merged, attempts: 0 }, { oneShot: false, autonomous: false }],
  ];

  it.each(cases)('%s', (_name, facts, expected) => {
    expect(classifyOutcome(facts)).toEqual(expected);
  });

  it('never marks a run one-shot without autonomous', () => {
    for (const status of ['merged', 'closed', 'abandoned'] as const) {
      for (const attempts of [0, 1, 2, 5]) {
        for (const firstAttemptPassed of [true, false]) {
          for (const humanModified of [true, false]) {
            const result = classifyOutcome({ status, attempts, firstAttemptPassed, humanModified });
            if (result.oneShot) expect(result.autonomous).toBe(true);
          }
        }
      }
    }
  });
});
