import { describe, expect, it } from 'vitest';
import { failureSignature } from '../../../sdk/failure/index.js';
import { TOOLS, linuxRunner, macLaptop, macLaptopRetry } from './fixtures.js';

const HEX16 = /^[0-9a-f]{16}$/;

describe('failureSignature per tool', () => {
  describe.each(TOOLS)('$name', (tool) => {
    const first = failureSignature(tool.output(linuxRunner, 'first'));
    const firstElsewhere = failureSignature(tool.output(macLaptop, 'first'));
    const second = failureSignature(tool.output(linuxRunner, 'second'));
    const secondElsewhere = failureSignature(tool.output(macLaptop, 'second'));
    const expectedBasis = tool.testIds.first.length > 0 ? 'test_ids' : 'normalised_error';

    it('matches the same failure on two machines', () => {
      expect(firstElsewhere.signature).toBe(first.signature);
    });

    it('matches the other failure on two machines', () => {
      expect(secondElsewhere.signature).toBe(second.signature);
    });

    it('differs for a different failure', () => {
      expect(second.signature).not.toBe(first.signature);
    });

    it('extracts the first failing test ids', () => {
      expect(first.testIds).toEqual(tool.testIds.first);
    });

    it('extracts the second failing test ids', () => {
      expect(second.testIds).toEqual(tool.testIds.second);
    });

    it('extracts the same ids on the other machine', () => {
      expect(firstElsewhere.testIds).toEqual(first.testIds);
    });

    it(`uses basis ${expectedBasis}`, () => {
      expect(first.basis).toBe(expectedBasis);
    });

    it('is 16 lowercase hex characters', () => {
      expect(first.signature).toMatch(HEX16);
    });
  });
});

describe('failureSignature across retries', () => {
  it.each(TOOLS)('$name: identical retry keeps the signature', (tool) => {
    const attempt1 = failureSignature(tool.output(macLaptop, 'first'));
    const attempt2 = failureSignature(tool.output(macLaptopRetry, 'first'));
    expect(attempt2.signature).toBe(attempt1.signature);
  });

  it.each(TOOLS)('$name: retry failing elsewhere changes it', (tool) => {
    const attempt1 = failureSignature(tool.output(macLaptop, 'first'));
    const attempt2 = failureSignature(tool.output(macLaptopRetry, 'second'));
    expect(attempt2.signature).not.toBe(attempt1.signature);
  });

  it('chain of three attempts repeats then changes', () => {
    const tool = TOOLS.find((candidate) => candidate.name === 'vitest')!;
    const signatures = [
      failureSignature(tool.output(linuxRunner, 'first')).signature,
      failureSignature(tool.output(macLaptopRetry, 'first')).signature,
      failureSignature(tool.output(macLaptopRetry, 'second')).signature,
    ];
    expect(new Set(signatures).size).toBe(2);
    expect(signatures[1]).toBe(signatures[0]);
    expect(signatures[2]).not.toBe(signatures[1]);
  });
});

describe('failureSignature of empty output', () => {
  const empty = failureSignature('');

  it.each([
    ['whitespace', ' \n\t\r\n  '],
    ['colour codes only', '\x1b[31m\x1b[0m\n'],
    ['time stamps only', '2025-03-04T09:15:27.4183921Z \n'],
  ])('%s has the empty signature', (_name, output) => {
    expect(failureSignature(output)).toEqual(empty);
  });

  it('has basis empty', () => {
    expect(empty.basis).toBe('empty');
  });

  it('has no test ids', () => {
    expect(empty.testIds).toEqual([]);
  });

  it('is the fixed version 1 value', () => {
    expect(empty.signature).toBe('f667d9c4ba6eac92');
  });
});

// Pairs of one-line failures that differ only in what normalisation removes.
const SAME_FAILURE: Array<[string, string, string]> = [
  [
    'ISO time stamps',
    '2025-03-04T09:15:27.4183921Z Error: lock held by another build',
    '2025-03-06 17:02:44+01:00 Error: lock held by another build',
  ],
  ['syslog dates', 'Mar  4 09:15:27 runner error: disk check', 'Dec 31 23:59:01 runner error: disk check'],
  ['epoch milliseconds', 'error at 1741079727123: lock held', 'error at 1741252964005: lock held'],
  ['seconds and milliseconds', 'Error: step failed after 0.12s', 'Error: step failed after 123ms'],
  ['spelled-out durations', 'Error: build failed (1.2 seconds)', 'Error: build failed (14 seconds)'],
  ['go durations', 'Error: gave up after 1m30.5s', 'Error: gave up after 2m0s'],
  [
    'checkout directories',
    "Error: ENOENT: no such file or directory, open '/home/runner/work/shop/shop/config/app.json'",
    "Error: ENOENT: no such file or directory, open '/Users/dana/code/shop/config/app.json'",
  ],
  [
    'Windows and POSIX paths',
    'C:\\actions-runner\\_work\\shop\\shop\\src\\cart.ts: error TS2322: bad type',
    '/home/runner/work/shop/shop/src/cart.ts: error TS2322: bad type',
  ],
  ['relative and absolute paths', './cart/cart.go:12:5: undefined: totl', '/src/shop/cart/cart.go:40:1: undefined: totl'],
  ['line and column numbers', 'cart.go:12:5: undefined: totl', 'cart.go:40:17: undefined: totl'],
  ['tsc positions', 'src/cart.ts(12,5): error TS2322: bad type', 'src/cart.ts(40,17): error TS2322: bad type'],
  [
    'Python line numbers',
    'File "/home/runner/work/shop/shop/shop/cart.py", line 12, in total: ValueError',
    'File "/Users/dana/code/shop/shop/cart.py", line 31, in total: ValueError',
  ],
  ['hex addresses', 'panic: bad access at 0x7ffd5e8c1a20', 'panic: bad access at 0x1049b8e50'],
  [
    'commit SHAs',
    'error: cannot lock ref at 3f2a9c1b0d4e5f6a7b8c9d0e1f2a3b4c5d6e7f80',
    'error: cannot lock ref at 9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d',
  ],
  [
    'UUIDs',
    'Error: job 5f0c2a9e-8b1d-4c3e-9f7a-2b6d8e1c4a05 failed',
    'Error: job c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f failed',
  ],
  ['Java identity hashes', 'Error: cannot reuse Cart@1b6d3586', 'Error: cannot reuse Cart@4554617c'],
  ['process ids', 'Error: process 2817 exited with code 1', 'Error: process 91344 exited with code 1'],
  [
    'addresses and ports',
    'Error: listen EADDRINUSE: address already in use 127.0.0.1:41823',
    'Error: listen EADDRINUSE: address already in use 10.1.0.12:53102',
  ],
  ['labelled ports', 'Error: port 41823 is closed', 'Error: port 53102 is closed'],
  [
    'temporary directories',
    'Error: cannot write /tmp/tmpk3j4h5l6/out.json',
    'Error: cannot write /private/var/folders/x1/zq8m7k2n5vb3_x0000gn/T/tmpz9y8x7w6/out.json',
  ],
  ['temporary names', 'Error: cannot remove /tmp/tmpk3j4h5l6', 'Error: cannot remove /tmp/tmpz9y8x7w6'],
  ['mktemp names', 'Error: cannot remove /tmp/tmp.Xb8kQ2zLm1', 'Error: cannot remove /tmp/tmp.Rt5vN9cPw4'],
  ['ANSI colours', '\x1b[31;1merror\x1b[0m: build failed', 'error: build failed'],
  ['progress bars', 'Downloading 10%\rDownloading 90%\rerror: build failed', 'error: build failed'],
  ['counts of passed tests', 'Error: 1 failed, 11 passed', 'Error: 1 failed, 14 passed'],
  ['random seeds', 'Error: flaky order with seed 1937362014', 'Error: flaky order with seed 884213'],
  [
    'URL hosts and ports',
    'Error: GET https://localhost:41823/api/cart?id=7 returned 500',
    'Error: GET https://localhost:53102/api/cart?id=9 returned 500',
  ],
  ['order of error lines', 'a.go:1:1: undefined: x\nb.go:2:2: undefined: y', 'b.go:9:9: undefined: y\na.go:8:8: undefined: x'],
  ['noise around the error', 'Fetching deps\nerror: build failed\nCleaning up', 'Restoring cache\nerror: build failed'],
];

// Pairs of failures that must not share a signature.
const DIFFERENT_FAILURE: Array<[string, string, string]> = [
  ['error codes', 'cart.ts: error TS2322: bad type', 'cart.ts: error TS2345: bad type'],
  ['base file names', 'cart.go:1:1: undefined: totl', 'checkout.go:1:1: undefined: totl'],
  ['identifiers', 'cart.go:1:1: undefined: totl', 'cart.go:1:1: undefined: sum'],
  ['literal values', 'Error: expected 3 arguments, got 2', 'Error: expected 3 arguments, got 4'],
  ['extra error', 'a.go:1:1: undefined: x', 'a.go:1:1: undefined: x\nb.go:1:1: undefined: y'],
  ['exception types', 'TypeError: total is not a function', 'RangeError: total is not a function'],
];

describe('failureSignature normalisation', () => {
  it.each(SAME_FAILURE)('ignores %s', (_name, a, b) => {
    expect(failureSignature(b).signature).toBe(failureSignature(a).signature);
  });

  it.each(DIFFERENT_FAILURE)('keeps %s apart', (_name, a, b) => {
    expect(failureSignature(b).signature).not.toBe(failureSignature(a).signature);
  });

  it('uses the error lines, not the noise', () => {
    expect(failureSignature('Fetching deps\nerror: build failed').basis).toBe('normalised_error');
  });

  it('falls back to all lines without an error line', () => {
    const a = failureSignature('Step 3 of 4\nprocess ended');
    const b = failureSignature('Step 3 of 4\nprocess ended abruptly');
    expect(b.signature).not.toBe(a.signature);
  });

  it('reads only the tail of a long log', () => {
    const noise = 'x'.repeat(100).concat('\n').repeat(4000);
    const tail = 'FAILED tests/test_cart.py::test_total - assert 1 == 2\n';
    const withLongHead = failureSignature(`FAILED tests/test_a.py::test_early\n${noise}${tail}`);
    expect(withLongHead.testIds).toEqual(['test_cart.py::test_total']);
  });
});
