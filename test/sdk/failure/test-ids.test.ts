import { describe, expect, it } from 'vitest';
import { failureSignature } from '../../../sdk/failure/index.js';

// Formats beyond the per-tool fixtures: each output and the ids it names.
const CASES: Array<[string, string, string[]]> = [
  [
    'pytest verbose lines',
    'tests/test_cart.py::test_total PASSED [ 50%]\ntests/test_cart.py::test_empty FAILED [100%]\n',
    ['test_cart.py::test_empty'],
  ],
  [
    'pytest parametrised ids with spaces',
    'FAILED tests/test_cart.py::test_total[two items-30] - assert 31 == 30\n',
    ['test_cart.py::test_total[two items-30]'],
  ],
  [
    'pytest setup errors',
    'ERROR tests/test_db.py::test_connect - ConnectionError: refused\n',
    ['test_db.py::test_connect'],
  ],
  ['pytest collection errors', 'ERROR tests/test_db.py - ModuleNotFoundError: No module named psycopg\n', []],
  [
    'pytest ids in nested directories',
    'FAILED /home/runner/work/shop/shop/tests/unit/test_cart.py::test_total - assert 1 == 2\n',
    ['test_cart.py::test_total'],
  ],
  [
    'vitest project label',
    ' FAIL  |unit| test/cart.test.ts > cart > totals\n',
    ['cart.test.ts > cart > totals'],
  ],
  ['jest test outside describe', 'FAIL src/cart.test.ts\n  ● totals\n\n    expect(received).toBe(expected)\n', ['cart.test.ts > totals']],
  ['jest suite that failed to run', 'FAIL src/cart.test.ts\n  ● Test suite failed to run\n\n    Cannot find module\n', []],
  ['jest console blocks', '  ● Console\n\n    console.log\n      hello\n', []],
  [
    'cross marks without other ids',
    ' ❯ src/cart.test.ts (2 tests | 1 failed) 9ms\n   × cart > totals 4ms\n',
    ['cart.test.ts > cart > totals'],
  ],
  ['eslint problem summary', '✖ 3 problems (2 errors, 1 warning)\n', []],
  ['go test without package line', '--- FAIL: TestTotal (0.00s)\n', ['TestTotal']],
  [
    'go subtests of two packages',
    '--- FAIL: TestA (0.00s)\nFAIL\tgithub.com/acme/shop/a\t0.01s\n--- FAIL: TestB/sub (0.00s)\nFAIL\tgithub.com/acme/shop/b\t0.02s\n',
    ['github.com/acme/shop/a.TestA', 'github.com/acme/shop/b.TestB/sub'],
  ],
  [
    'go packages that failed to build',
    '--- FAIL: TestA (0.00s)\nFAIL\tgithub.com/acme/shop/a [build failed]\n',
    ['github.com/acme/shop/a.TestA'],
  ],
  [
    'cargo failures list alone',
    'failures:\n    cart::tests::totals\n    store::tests::opens\n\ntest result: FAILED. 3 passed; 2 failed\n',
    ['cart::tests::totals', 'store::tests::opens'],
  ],
  ['cargo passing tests', 'test cart::tests::totals ... ok\ntest result: ok. 1 passed; 0 failed\n', []],
  [
    'duplicates across summary and details',
    'FAILED tests/test_a.py::test_x - boom\ntests/test_a.py::test_x FAILED [ 10%]\nFAILED tests/test_a.py::test_x - boom\n',
    ['test_a.py::test_x'],
  ],
  [
    'several tools sorted together',
    'test b::z ... FAILED\nFAILED tests/test_a.py::test_y - boom\n',
    ['b::z', 'test_a.py::test_y'],
  ],
];

describe('failureSignature test ids', () => {
  it.each(CASES)('%s', (_name, output, ids) => {
    expect(failureSignature(output).testIds).toEqual(ids);
  });

  it('cuts an overlong id', () => {
    const ids = failureSignature(`--- FAIL: Test${'x'.repeat(2000)} (0.00s)\n`).testIds;
    expect(ids[0]?.length).toBe(512);
  });
});
