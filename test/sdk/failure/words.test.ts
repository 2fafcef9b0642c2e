import { describe, expect, it } from 'vitest';
import { scanLines } from '../../../sdk/failure/scan.js';
import { wordsOf } from '../../../sdk/failure/words.js';
import { TOOLS, linuxRunner, macLaptop, macLaptopRetry } from './fixtures.js';

// The words as the prefilter defines them: each run of ASCII word characters,
// found in the text as it is and then lowercased.
function referenceWords(lines: readonly string[]): Set<string> {
  return new Set([...lines.join('\n').matchAll(/[A-Za-z0-9_]+/g)].map((match) => match[0].toLowerCase()));
}

const OUTPUTS: Array<[string, string]> = [
  ['mixed case', 'AssertionError: Expected VALUE_1 to equal value_2\n'],
  ['no words', '--- +++ ...\n'],
  ['empty', ''],
  ['Kelvin sign before a word', 'step \u212Atimed out after 30s\n'],
  ['accented letters inside words', 'Échec: café_Test failed\n'],
  ['emoji between words', 'FAIL ✕ Cart👍Total\n'],
  ...TOOLS.flatMap((tool) =>
    [linuxRunner, macLaptop, macLaptopRetry].map((machine, index): [string, string] => [`${tool.name}, machine ${index}`, tool.output(machine, 'first')]),
  ),
];

describe('wordsOf', () => {
  it.each(OUTPUTS)('%s', (_name, output) => {
    const lines = scanLines(output);
    expect(wordsOf(lines)).toEqual(referenceWords(lines));
  });

  it('keeps the word after a Kelvin sign', () => {
    expect(wordsOf(['\u212Atimed out']).has('timed')).toBe(true);
  });

  it('lowercases ASCII words', () => {
    expect([...wordsOf(['AssertionError: Expected'])]).toEqual(['assertionerror', 'expected']);
  });
});
