import { describe, expect, it } from 'vitest';
import { CLASS_RULES } from '../../../sdk/failure/classify.js';
import { classifyFailure, type CiFailureClass } from '../../../sdk/failure/index.js';
import { scanLines } from '../../../sdk/failure/scan.js';
import { extractTestIds } from '../../../sdk/failure/test-ids.js';
import type { GatedPattern as ClassRule } from '../../../sdk/failure/words.js';
import { TOOLS, linuxRunner, macLaptop, macLaptopRetry } from './fixtures.js';

describe('classifyFailure per tool', () => {
  it.each(TOOLS)('$name is $failureClass', (tool) => {
    expect(classifyFailure(tool.output(linuxRunner, 'first'))).toBe(tool.failureClass);
  });

  it.each(TOOLS)('$name on the laptop is $failureClass', (tool) => {
    expect(classifyFailure(tool.output(macLaptop, 'second'))).toBe(tool.failureClass);
  });
});

const CASES: Array<[string, string, CiFailureClass]> = [
  // compile_error
  ['javac', 'src/main/java/shop/Cart.java:12: error: cannot find symbol\n    total = sumx();\n', 'compile_error'],
  ['maven', '[ERROR] COMPILATION ERROR :\n[ERROR] /build/Cart.java:[12,5] cannot find symbol\n', 'compile_error'],
  ['gcc', 'src/cart.c:12:5: error: use of undeclared identifier \'totl\'\n', 'compile_error'],
  ['python syntax error', '  File "shop/cart.py", line 12\n    def total(self\n             ^\nSyntaxError: \'(\' was never closed\n', 'compile_error'],
  ['pytest collection error', '==== ERRORS ====\n____ ERROR collecting tests/test_cart.py ____\nImportError: cannot import name \'Cart\'\n', 'compile_error'],
  ['mypy', 'shop/cart.py:12: error: Incompatible return value type (got "str", expected "int")  [return-value]\nFound 1 error in 1 file (checked 8 source files)\n', 'compile_error'],
  ['go test build failure', '# github.com/acme/shop/cart [github.com/acme/shop/cart.test]\ncart/cart_test.go:8:2: undefined: Totl\nFAIL\tgithub.com/acme/shop/cart [build failed]\nFAIL\n', 'compile_error'],
  ['esbuild', '✘ [ERROR] Expected ";" but found "}"\n\n    src/cart.ts:12:4:\n', 'compile_error'],
  ['eslint parsing error', '/src/cart.ts\n  12:4  error  Parsing error: \';\' expected\n\n✖ 1 problem (1 error, 0 warnings)\n', 'compile_error'],
  ['jest suite with type error', 'FAIL src/cart.test.ts\n  ● Test suite failed to run\n\n    src/cart.ts:12:5 - error TS2322: Type \'string\' is not assignable to type \'number\'.\n\nTest Suites: 1 failed, 1 total\n', 'compile_error'],
  // lint
  ['ruff', 'shop/cart.py:1:8: F401 [*] `os` imported but unused\nFound 1 error.\n[*] 1 fixable with the `--fix` option.\n', 'lint'],
  ['ruff full format', 'F401 [*] `os` imported but unused\n --> shop/cart.py:1:8\n  |\n1 | import os\n  |        ^^\n', 'lint'],
  ['flake8', './shop/cart.py:12:80: E501 line too long (88 > 79 characters)\n', 'lint'],
  ['golangci-lint', 'cart/cart.go:12:2: Error return value of `f.Close` is not checked (errcheck)\n\tf.Close()\n\t^\n1 issues:\n* errcheck: 1\n', 'lint'],
  ['clippy', 'error: this `if` has identical blocks\n  --> src/cart.rs:12:5\n   |\n   = help: for further information visit https://rust-lang.github.io/rust-clippy/master/index.html#if_same_then_else\n   = note: `-D clippy::if-same-then-else` implied by `-D warnings`\nerror: could not compile `shop` (lib) due to 1 previous error\n', 'lint'],
  ['prettier check', 'Checking formatting...\n[warn] src/cart.ts\n[warn] Code style issues found in the above file. Run Prettier with --write to fix.\n', 'lint'],
  ['black check', 'would reformat shop/cart.py\n\nOh no! 💥 💔 💥\n1 file would be reformatted, 7 files would be left unchanged.\n', 'lint'],
  ['eslint max warnings', '/src/cart.ts\n  3:1  warning  Unexpected console statement  no-console\n\n✖ 1 problem (0 errors, 1 warning)\n\nESLint found too many warnings (maximum: 0).\n', 'lint'],
  // test_failure
  ['mocha', '  cart\n    1) totals\n\n  0 passing (12ms)\n  1 failing\n\n  1) cart\n       totals:\n     AssertionError: expected 3 to equal 4\n', 'test_failure'],
  ['maven surefire', '[ERROR] Tests run: 4, Failures: 1, Errors: 0, Skipped: 0\n[ERROR] There are test failures.\n', 'test_failure'],
  ['rspec', '4 examples, 1 failure\n\nFailed examples:\n\nrspec ./spec/cart_spec.rb:12 # Cart totals\n', 'test_failure'],
  // timeout
  ['mocha timeout', '  1) cart\n       totals:\n     Error: Timeout of 5000ms exceeded. For async tests and hooks, ensure "done()" is called\n', 'timeout'],
  ['jest timeout', '  ● cart › totals\n\n    thrown: "Exceeded timeout of 5000 ms for a test.\n', 'timeout'],
  ['vitest timeout', ' FAIL  src/cart.test.ts > cart > totals\nError: Test timed out in 5000ms.\n', 'timeout'],
  ['go test timeout', 'panic: test timed out after 10m0s\n\trunning tests:\n\t\tTestTotal (10m0s)\n', 'timeout'],
  ['context deadline', 'cart_test.go:40: Checkout() error = context deadline exceeded\n--- FAIL: TestCheckout (5.00s)\n', 'timeout'],
  ['GitHub job timeout', '##[error]The job running on runner GitHub Actions 12 has exceeded the maximum execution time of 360 minutes.\n', 'timeout'],
  ['GitLab job timeout', 'ERROR: Job failed: execution took longer than 1h0m0s seconds\n', 'timeout'],
  ['pytest-timeout', 'E   Failed: Timeout >30.0s\n', 'timeout'],
  // infrastructure
  ['npm network reset', 'npm error code ECONNRESET\nnpm error network aborted\nnpm error network This is a problem related to network connectivity.\n', 'infrastructure'],
  ['full disk', 'OSError: [Errno 28] No space left on device: \'/tmp/build\'\n', 'infrastructure'],
  ['lost runner', 'The hosted runner: GitHub Actions 7 lost communication with the server. Anything in your workflow that terminates the runner process, starves it for CPU/Memory, or blocks its network access can cause this error.\n', 'infrastructure'],
  ['runner shutdown', '##[error]The runner has received a shutdown signal. This can happen when the runner service is stopped.\n', 'infrastructure'],
  ['OOM kill', 'npm error path /home/runner/work/shop/shop\nError: Process completed with exit code 137.\n', 'infrastructure'],
  ['kernel OOM', 'Out of memory: Killed process 2817 (node) total-vm:4194304kB\n', 'infrastructure'],
  ['rate limit', 'Error: API rate limit exceeded for installation ID 1234.\n', 'infrastructure'],
  ['docker pull', 'Error response from daemon: toomanyrequests: You have reached your pull rate limit.\n', 'infrastructure'],
  ['docker deadline', 'Error response from daemon: Get "https://registry-1.docker.io/v2/": context deadline exceeded\n', 'infrastructure'],
  ['DNS failure', 'fatal: unable to access \'https://github.com/acme/shop.git/\': Could not resolve host: github.com\n', 'infrastructure'],
  ['pip retries', 'WARNING: Retrying (Retry(total=0)) after connection broken by \'ReadTimeoutError("HTTPSConnectionPool(host=\'pypi.org\', port=443): Read timed out.")\'\n', 'infrastructure'],
  ['go module proxy', 'go: downloading github.com/stretchr/testify v1.9.0\ndial tcp: lookup proxy.golang.org: i/o timeout\n', 'infrastructure'],
  // merge_conflict
  ['git merge', 'Auto-merging src/cart.ts\nCONFLICT (content): Merge conflict in src/cart.ts\nAutomatic merge failed; fix conflicts and then commit the result.\n', 'merge_conflict'],
  ['git rebase', 'error: could not apply 3f2a9c1... Add discount\nhint: Resolve all conflicts manually, mark them as resolved with\n', 'merge_conflict'],
  ['modify/delete', 'CONFLICT (modify/delete): src/old.ts deleted in HEAD and modified in feature.\n', 'merge_conflict'],
  // other
  ['empty output', '', 'other'],
  ['bare exit code', 'Error: Process completed with exit code 1.\n', 'other'],
  ['unknown tool', 'deploy-check: manifest drift detected in 2 services\n', 'other'],
  ['reviewer words', 'requirements gap: the spec asks for refunds\nreview rejected by maintainer\n', 'other'],
];

// When an output matches several classes, the documented order decides.
const PRECEDENCE: Array<[string, string, CiFailureClass]> = [
  [
    'timeout inside a test run',
    '  ● cart › totals\n\n    thrown: "Exceeded timeout of 5000 ms for a test.\n\nTests:       1 failed, 3 passed, 4 total\n',
    'timeout',
  ],
  [
    'compile error before tests',
    'src/cart.ts(12,5): error TS2322: Type \'string\' is not assignable to type \'number\'.\nFAILED tests/test_cart.py::test_total - assert 1 == 2\n',
    'compile_error',
  ],
  [
    'compile error before lint',
    'cart/cart.go:3:2: undefined: foo\ncart/cart.go:9:2: Error return value is not checked (errcheck)\n',
    'compile_error',
  ],
  [
    'lint before tests',
    '  12:5  error  \'x\' is defined but never used  no-unused-vars\n✖ 1 problem (1 error, 0 warnings)\n--- FAIL: TestTotal (0.00s)\n',
    'lint',
  ],
  [
    'infrastructure before tests',
    'npm error code ECONNRESET\n--- FAIL: TestTotal (0.00s)\n',
    'infrastructure',
  ],
  [
    'infrastructure before timeout',
    'Error response from daemon: Get "https://ghcr.io/v2/": net/http: request canceled (Client.Timeout exceeded while awaiting headers)\n',
    'infrastructure',
  ],
  [
    'merge conflict before compile error',
    'CONFLICT (content): Merge conflict in src/cart.ts\nsrc/cart.ts(1,1): error TS1185: Merge conflict marker encountered.\n',
    'merge_conflict',
  ],
  [
    'JSON syntax error in a test',
    'FAILED tests/test_api.py::test_parse - SyntaxError: Unexpected token } in JSON at position 12\n',
    'test_failure',
  ],
];

describe('classifyFailure', () => {
  it.each(CASES)('%s', (_name, output, expected) => {
    expect(classifyFailure(output)).toBe(expected);
  });

  it.each(PRECEDENCE)('precedence: %s', (_name, output, expected) => {
    expect(classifyFailure(output)).toBe(expected);
  });

  const classes: string[] = [...CASES, ...PRECEDENCE].map(([, output]) => classifyFailure(output));

  it('never returns requirements_gap', () => {
    expect(classes).not.toContain('requirements_gap');
  });

  it('never returns review_rejected', () => {
    expect(classes).not.toContain('review_rejected');
  });
});

// The classifier runs a pattern only when the output contains one of the
// pattern's words. These tests check that the words never skip a pattern that
// would match: on every output of this file and of the fixtures, each matching
// pattern has one of its words in the output, and the class equals that of a
// classifier that runs every pattern.

function unfilteredClass(output: string): CiFailureClass {
  const lines = scanLines(output);
  const text = lines.join('\n');
  if (text.trim().length === 0) return 'other';
  const any = (rules: readonly ClassRule[]): boolean => rules.some((candidate) => candidate.pattern.test(text));

  if (any(CLASS_RULES.MERGE_CONFLICT)) return 'merge_conflict';
  if (any(CLASS_RULES.INFRASTRUCTURE)) return 'infrastructure';
  if (any(CLASS_RULES.TIMEOUT)) return 'timeout';
  if (any(CLASS_RULES.COMPILE) || (!any(CLASS_RULES.CLIPPY) && CLASS_RULES.RUSTC_GIVING_UP.pattern.test(text))) return 'compile_error';
  if (any(CLASS_RULES.LINT)) return 'lint';
  if (any(CLASS_RULES.TEST_FAILURE) || extractTestIds(lines).length > 0) return 'test_failure';
  return 'other';
}

const CORPUS: Array<[string, string]> = [
  ...[...CASES, ...PRECEDENCE].map(([name, output]): [string, string] => [name, output]),
  ...TOOLS.flatMap((tool) =>
    [linuxRunner, macLaptop, macLaptopRetry].flatMap((machine, index) => [
      [`${tool.name} first, machine ${index}`, tool.output(machine, 'first')] as [string, string],
      [`${tool.name} second, machine ${index}`, tool.output(machine, 'second')] as [string, string],
    ]),
  ),
  ...TOOLS.map((tool): [string, string] => [`${tool.name} bare`, tool.bare]),
  // U+212A (Kelvin sign) lowercases to "k", next to the word that the timeout pattern needs.
  ['Kelvin sign before a word', 'step \u212Atimed out after 30s\n'],
];

const ALL_RULES: ClassRule[] = Object.values(CLASS_RULES).flatMap((rules) => (Array.isArray(rules) ? rules : [rules]));

describe('classifyFailure word prefilter', () => {
  it.each(CORPUS)('%s: same class as every pattern', (_name, output) => {
    expect(classifyFailure(output)).toBe(unfilteredClass(output));
  });

  it.each(CORPUS)('%s: matching patterns have a word', (_name, output) => {
    const text = scanLines(output).join('\n');
    const words = new Set((text.match(/[A-Za-z0-9_]+/g) ?? []).map((word) => word.toLowerCase()));
    const missing = ALL_RULES.filter(
      (candidate) => candidate.words.length > 0 && candidate.pattern.test(text) && !candidate.words.some((word) => words.has(word)),
    ).map((candidate) => candidate.pattern.source);
    expect(missing).toEqual([]);
  });

  it('rule words are lowercase whole words', () => {
    const invalid = ALL_RULES.flatMap((candidate) => candidate.words).filter((word) => !/^[a-z0-9_]+$/.test(word));
    expect(invalid).toEqual([]);
  });

  it('Kelvin sign keeps the timeout', () => {
    expect(classifyFailure('step \u212Atimed out after 30s\n')).toBe('timeout');
  });
});
