import { describe, expect, it } from 'vitest';
import { feedbackSpecificity, SPECIFICITY_REASONS, type SpecificityReason } from '../../../sdk/failure/index.js';
import { scanLines } from '../../../sdk/failure/scan.js';
import { SPECIFICITY_PATTERNS } from '../../../sdk/failure/specificity.js';
import { wordsOf, type GatedPattern } from '../../../sdk/failure/words.js';
import { TOOLS, linuxRunner, macLaptop, macLaptopRetry } from './fixtures.js';

describe('feedbackSpecificity per tool', () => {
  it.each(TOOLS)('$name failure is specific', (tool) => {
    expect(feedbackSpecificity(tool.output(linuxRunner, 'first')).specific).toBe(true);
  });

  it.each(TOOLS)('$name bare output is not specific', (tool) => {
    expect(feedbackSpecificity(tool.bare)).toEqual({ specific: false, reasons: [] });
  });
});

const REASONS: Array<[string, string, SpecificityReason[]]> = [
  ['jest expected and received', '    Expected: 3\n    Received: 4\n', ['expected_actual']],
  ['jest length values', '    Expected length: 3\n    Received length: 4\n', ['expected_actual']],
  ['pytest comparison', 'E       assert 3 == 4\n', ['expected_actual']],
  ['pytest membership', 'E       assert \'sku-1\' in []\n', ['expected_actual']],
  ['chai message', 'AssertionError: expected 3 to equal 4\n', ['expected_actual', 'assertion_message']],
  ['go got and want', '    cart_test.go:27: got 3, want 4\n', ['expected_actual', 'assertion_message']],
  ['go want and got', 'total: want 4, got 3\n', ['expected_actual']],
  ['go call result', 'Total() = 30, want 27\n', ['expected_actual']],
  ['rust left and right', 'assertion `left == right` failed\n  left: 3\n right: 4\n', ['expected_actual']],
  ['JUnit values', 'org.opentest4j.AssertionFailedError: expected: <4> but was: <3>\n', ['expected_actual', 'assertion_message']],
  ['unittest inequality', 'AssertionError: 3 != 4\n', ['expected_actual', 'assertion_message']],
  ['NUnit values', '  Expected: 4\n  But was:  3\n', ['expected_actual']],
  ['rust assertion expression', "thread 'main' panicked at src/cart.rs:9:5:\nassertion failed: cart.is_empty()\n", ['assertion_message']],
  ['rust assertion message', 'assertion `left == right` failed: total of empty cart\n', ['assertion_message']],
  ['node assert message', 'AssertionError [ERR_ASSERTION]: total must be positive\n', ['assertion_message']],
  ['jest matcher', '    expect(received).toEqual(expected) // deep equality\n', ['assertion_message']],
  ['C assert', 'cart: cart.c:12: total: Assertion `n > 0\' failed.\n', ['assertion_message']],
  ['go test message', '    cart_test.go:31: checkout of an empty cart succeeded\n', ['assertion_message']],
  ['vitest diff', '- Expected\n+ Received\n\n- 4\n+ 3\n', ['value_diff']],
  ['go-cmp diff', 'Total() mismatch (-want +got):\n  int(\n- \t4,\n+ \t3,\n  )\n', ['value_diff']],
  ['pytest full diff', 'E         Full diff:\nE         - [1, 2]\nE         + [1, 3]\n', ['value_diff']],
  ['unified diff', '@@ -1,3 +1,3 @@\n-a\n+b\n', ['value_diff']],
  ['unittest diff markers', '- [1, 2]\n?     ^\n+ [1, 3]\n?     ^\n', ['value_diff']],
  ['tsc error', "src/cart.ts(12,5): error TS2322: Type 'string' is not assignable to type 'number'.\n", ['diagnostic']],
  ['rustc error', 'error[E0425]: cannot find value `discont` in this scope\n', ['diagnostic']],
  ['eslint rule', "  12:5  error  'x' is defined but never used  no-unused-vars\n", ['diagnostic']],
  ['go build error', 'cart/cart.go:3:2: undefined: foo\n', ['diagnostic']],
];

const NOT_SPECIFIC: Array<[string, string]> = [
  ['empty output', ''],
  ['bare test failure', 'test failed\n'],
  ['exit code', 'Error: Process completed with exit code 1.\n'],
  ['stack trace', 'Error: boom\n    at total (src/cart.ts:12:5)\n    at Object.<anonymous> (src/cart.test.ts:9:3)\n'],
  ['Python traceback', 'Traceback (most recent call last):\n  File "shop/cart.py", line 12, in total\n    raise ValueError\nValueError\n'],
  ['bare AssertionError', 'E       AssertionError\n'],
  ['unittest assertTrue default', 'AssertionError: False is not true\n'],
  ['pytest assert False', 'E       assert False\n'],
  ['go FAIL lines', '--- FAIL: TestTotal (0.00s)\nFAIL\nFAIL\tgithub.com/acme/shop/cart\t0.01s\n'],
  ['word unexpected', 'unexpected EOF, got nothing\n'],
];

describe('feedbackSpecificity', () => {
  it.each(REASONS)('%s', (_name, output, reasons) => {
    expect(feedbackSpecificity(output)).toEqual({ specific: true, reasons });
  });

  it.each(NOT_SPECIFIC)('%s is not specific', (_name, output) => {
    expect(feedbackSpecificity(output)).toEqual({ specific: false, reasons: [] });
  });

  it('lists reasons in the documented order', () => {
    const all = 'AssertionError: expected 3 to equal 4\n- Expected\n+ Received\ncart.go:3:2: undefined: foo\n';
    expect(feedbackSpecificity(all).reasons).toEqual([...SPECIFICITY_REASONS]);
  });

  it('needs both sides of a two-line comparison', () => {
    expect(feedbackSpecificity('    Expected: 3\n').specific).toBe(false);
  });
});

// feedbackSpecificity runs a pattern only when the output contains one of the
// pattern's words. On every output of this file and of the fixtures, each
// pattern that matches a line must have one of its words in the output.
describe('feedbackSpecificity word prefilter', () => {
  const corpus: Array<[string, string]> = [
    ...REASONS.map(([name, output]): [string, string] => [name, output]),
    ...NOT_SPECIFIC,
    ...TOOLS.flatMap((tool) =>
      [linuxRunner, macLaptop, macLaptopRetry].flatMap((machine, index) => [
        [`${tool.name} first, machine ${index}`, tool.output(machine, 'first')] as [string, string],
        [`${tool.name} second, machine ${index}`, tool.output(machine, 'second')] as [string, string],
      ]),
    ),
    ...TOOLS.map((tool): [string, string] => [`${tool.name} bare`, tool.bare]),
  ];
  const patterns: GatedPattern[] = Object.values(SPECIFICITY_PATTERNS).flatMap((entry) => (Array.isArray(entry) ? entry : [entry]));

  it.each(corpus)('%s: matching patterns have a word', (_name, output) => {
    const lines = scanLines(output);
    const words = wordsOf(lines);
    const missing = patterns
      .filter((candidate) => candidate.words.length > 0 && lines.some((line) => candidate.pattern.test(line)))
      .filter((candidate) => !candidate.words.some((word) => words.has(word)))
      .map((candidate) => candidate.pattern.source);
    expect(missing).toEqual([]);
  });

  it('Kelvin sign keeps expected and actual', () => {
    // U+212A lowercases to "k" and sits next to the word "expected".
    expect(feedbackSpecificity('\u212Aexpected 3 to equal 4\n').reasons).toEqual(['expected_actual']);
  });
});
