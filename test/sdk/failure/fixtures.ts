/**
 * Hand-written CI outputs in the formats of pytest, jest, vitest, go test, tsc,
 * eslint, cargo and rustc. They were not captured from real runs, so details
 * such as column alignment may differ from what a given version prints. Each
 * output is a function of the machine that ran it, so the same failure can be
 * printed with other paths, clocks, durations and addresses.
 */

import type { CiFailureClass } from '../../../sdk/failure/index.js';

/** What differs between two runs of the same failure. */
export interface Machine {
  /** Absolute checkout directory. */
  root: string;
  /** Temporary directory. */
  tmp: string;
  /** Python's random temporary name. */
  tmpName: string;
  /** ISO 8601 start time. */
  timestamp: string;
  clock: string;
  seconds: string;
  milliseconds: number;
  address: string;
  port: number;
  pid: number;
  seed: number;
  /** Hash in a build artefact's file name. */
  buildHash: string;
  /** Lines added above the failing code since the other run. */
  lineShift: number;
  /** Tests that passed in the run. */
  passed: number;
}

export const linuxRunner: Machine = {
  root: '/home/runner/work/shop/shop',
  tmp: '/tmp',
  tmpName: 'tmpk3j4h5l6',
  timestamp: '2025-03-04T09:15:27.4183921Z',
  clock: '09:15:31',
  seconds: '0.42',
  milliseconds: 7,
  address: '0x7f3a2c1e4d90',
  port: 41823,
  pid: 2817,
  seed: 1937362014,
  buildHash: '3f2a9c1b0d4e5f6a',
  lineShift: 0,
  passed: 11,
};

export const macLaptop: Machine = {
  root: '/Users/dana/code/github.com/acme/shop',
  tmp: '/private/var/folders/x1/zq8m7k2n5vb3_x0000gn/T',
  tmpName: 'tmpz9y8x7w6',
  timestamp: '2025-03-06T17:02:44.0051Z',
  clock: '17:02:49',
  seconds: '1.87',
  milliseconds: 23,
  address: '0x1049b8e50',
  port: 53102,
  pid: 91344,
  seed: 2209847735,
  buildHash: 'a81c0fe27d3b4e99',
  lineShift: 3,
  passed: 14,
};

/** The same laptop, a retry later: only the clock and the process details changed. */
export const macLaptopRetry: Machine = {
  ...macLaptop,
  tmpName: 'tmpq1w2e3r4',
  timestamp: '2025-03-06T17:09:03.7710Z',
  clock: '17:09:08',
  seconds: '1.91',
  milliseconds: 26,
  address: '0x104a71c30',
  port: 53377,
  pid: 91502,
  seed: 884213,
};

/** Which of two different failures a fixture prints. */
export type Variant = 'first' | 'second';

export interface ToolFixture {
  name: string;
  output: (machine: Machine, variant: Variant) => string;
  testIds: Record<Variant, string[]>;
  failureClass: CiFailureClass;
  /** Output of the same tool that names nothing that was checked. */
  bare: string;
}

function line(machine: Machine, base: number): number {
  return base + machine.lineShift;
}

/** Prefixes every line with the time stamp that downloaded GitHub Actions logs carry. */
function githubLog(output: string, m: Machine): string {
  return output
    .split('\n')
    .map((text) => `${m.timestamp} ${text}`)
    .join('\n');
}

/** Colours the output the way eslint's stylish formatter does on a terminal. */
function colour(output: string): string {
  return output
    .replace(/\berror\b/g, '\x1b[31merror\x1b[39m')
    .replace(/\bwarning\b/g, '\x1b[33mwarning\x1b[39m')
    .replace(/^(\/\S+)$/gm, '\x1b[4m$1\x1b[24m');
}

function pytestOutput(m: Machine, variant: Variant): string {
  const test =
    variant === 'first'
      ? { name: 'test_applies_discount', call: 'cart.total(discount=0.1)', actual: '30.0', expected: '27' }
      : { name: 'test_rounds_cents', call: 'cart.total(discount=0.333)', actual: '20.01', expected: '20.0' };
  return `============================= test session starts ==============================
platform linux -- Python 3.12.3, pytest-8.2.0, pluggy-1.5.0
rootdir: ${m.root}
configfile: pyproject.toml
plugins: randomly-3.15.0
Using --randomly-seed=${m.seed}
collected ${m.passed + 1} items

tests/test_cart.py ..F.....                                             [ 61%]
tests/test_store.py .....                                                [100%]

=================================== FAILURES ===================================
_______________________ TestTotal.${test.name} ________________________

self = <tests.test_cart.TestTotal object at ${m.address}>
tmp_path = PosixPath('${m.tmp}/pytest-of-runner/pytest-${m.pid % 40}/${test.name}0')

    def ${test.name}(self, tmp_path):
        cart = Cart(prices=[10, 20])
>       assert ${test.call} == ${test.expected}
E       assert ${test.actual} == ${test.expected}
E        +  where ${test.actual} = <bound method Cart.total of <shop.cart.Cart object at ${m.address}>>(discount=0.1)

tests/test_cart.py:${line(m, 12)}: AssertionError
=========================== short test summary info ============================
FAILED tests/test_cart.py::TestTotal::${test.name} - assert ${test.actual} == ${test.expected}
========================= 1 failed, ${m.passed} passed in ${m.seconds}s =========================
`;
}

const pytestBare = `=================================== FAILURES ===================================
________________________________ test_checkout _________________________________

    def test_checkout():
>       checkout(Cart())

tests/test_checkout.py:8:
_ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _

    def checkout(cart):
>       raise RuntimeError
E       RuntimeError

shop/checkout.py:14: RuntimeError
=========================== short test summary info ============================
FAILED tests/test_checkout.py::test_checkout - RuntimeError
============================== 1 failed in 0.05s ===============================
`;

function jestOutput(m: Machine, variant: Variant): string {
  const test =
    variant === 'first'
      ? { name: 'applies the discount', call: 'cart.total(0.1)', expected: '27', received: '30' }
      : { name: 'rounds to cents', call: 'cart.total(0.333)', expected: '20', received: '20.01' };
  const failing = line(m, 12);
  return `
> shop@1.0.0 test
> jest --ci

PASS src/store.test.ts (${m.seconds} s)
FAIL src/cart.test.ts (${m.seconds} s)
  cart
    ✓ adds an item (${m.milliseconds} ms)
    ✕ ${test.name} (${m.milliseconds + 4} ms)
    ✓ empties (1 ms)

  ● cart › ${test.name}

    expect(received).toBe(expected) // Object.is equality

    Expected: ${test.expected}
    Received: ${test.received}

      ${failing - 2} |   it('${test.name}', () => {
      ${failing - 1} |     const cart = new Cart([10, 20]);
    > ${failing} |     expect(${test.call}).toBe(${test.expected});
         |                             ^
      ${failing + 1} |   });

      at Object.<anonymous> (${m.root}/src/cart.test.ts:${failing}:29)

Test Suites: 1 failed, 1 passed, 2 total
Tests:       1 failed, ${m.passed} passed, ${m.passed + 1} total
Snapshots:   0 total
Time:        ${m.seconds} s, estimated 3 s
Ran all test suites.
`;
}

const jestBare = `FAIL src/cart.test.ts
  ● cart › checks out

    TypeError: Cannot read properties of undefined (reading 'total')

      at Cart.checkout (src/cart.ts:21:18)
      at Object.<anonymous> (src/cart.test.ts:30:10)

Test Suites: 1 failed, 1 passed, 2 total
Tests:       1 failed, 4 passed, 5 total
`;

function vitestOutput(m: Machine, variant: Variant): string {
  const test =
    variant === 'first'
      ? { name: 'applies the discount', expected: '27', received: '30' }
      : { name: 'rounds to cents', expected: '20', received: '20.01' };
  const failing = line(m, 12);
  return `
 RUN  v4.1.12 ${m.root}

 ✓ src/store.test.ts (5 tests) ${m.milliseconds}ms
 ❯ src/cart.test.ts (3 tests | 1 failed) ${m.milliseconds + 9}ms
   ✓ cart > adds an item ${m.milliseconds}ms
   × cart > ${test.name} ${m.milliseconds + 3}ms
     → expected ${test.received} to be ${test.expected} // Object.is equality
   ✓ cart > empties 0ms

⎯⎯⎯⎯⎯⎯⎯ Failed Tests 1 ⎯⎯⎯⎯⎯⎯⎯

 FAIL  src/cart.test.ts > cart > ${test.name}
AssertionError: expected ${test.received} to be ${test.expected} // Object.is equality

- Expected
+ Received

- ${test.expected}
+ ${test.received}

 ❯ src/cart.test.ts:${failing}:29
     ${failing - 1}|     const cart = new Cart([10, 20]);
     ${failing}|     expect(cart.total()).toBe(${test.expected});
       |                             ^
     ${failing + 1}|   });

⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯[1/1]⎯

 Test Files  1 failed | 1 passed (2)
      Tests  1 failed | ${m.passed} passed (${m.passed + 1})
   Start at  ${m.clock}
   Duration  ${m.milliseconds * 40}ms (transform 35ms, setup 0ms, collect 40ms, tests ${m.milliseconds}ms, environment 0ms, prepare 60ms)
`;
}

const vitestBare = `
 ❯ src/cart.test.ts (3 tests | 1 failed) 12ms
   × cart > checks out 3ms
     → Cannot read properties of undefined (reading 'total')

 FAIL  src/cart.test.ts > cart > checks out
TypeError: Cannot read properties of undefined (reading 'total')
 ❯ Cart.checkout src/cart.ts:21:18
 ❯ src/cart.test.ts:30:10

 Test Files  1 failed (1)
      Tests  1 failed | 2 passed (3)
`;

function goTestOutput(m: Machine, variant: Variant): string {
  const failing =
    variant === 'first'
      ? { test: 'TestTotal', sub: 'applies_discount', message: 'Total() = 30, want 27' }
      : { test: 'TestCheckout', sub: 'out_of_stock', message: 'Checkout() error = <nil>, want ErrOutOfStock' };
  return `=== RUN   TestAdd
--- PASS: TestAdd (0.00s)
=== RUN   ${failing.test}
=== RUN   ${failing.test}/${failing.sub}
    cart_test.go:${line(m, 27)}: ${failing.message}
=== RUN   ${failing.test}/empty_cart
--- FAIL: ${failing.test} (0.00s)
    --- FAIL: ${failing.test}/${failing.sub} (0.00s)
    --- PASS: ${failing.test}/empty_cart (0.00s)
FAIL
FAIL	github.com/acme/shop/cart	${m.seconds}s
ok  	github.com/acme/shop/store	(cached)
FAIL
`;
}

const goTestBare = `=== RUN   TestCheckout
--- FAIL: TestCheckout (0.00s)
panic: runtime error: invalid memory address or nil pointer dereference [recovered]
	panic: runtime error: invalid memory address or nil pointer dereference
[signal SIGSEGV: segmentation violation code=0x1 addr=0x18 pc=0x4f2a1c]

goroutine 7 [running]:
testing.tRunner.func1.2({0x52e2c0, 0x6a1b30})
	/usr/local/go/src/testing/testing.go:1631 +0x24a
github.com/acme/shop/cart.(*Cart).Checkout(...)
	/home/runner/work/shop/shop/cart/cart.go:42 +0x1c
FAIL	github.com/acme/shop/cart	0.004s
FAIL
`;

function tscOutput(m: Machine, variant: Variant): string {
  // One machine prints paths relative to the project, the other absolute ones.
  const prefix = m === linuxRunner ? '' : `${m.root}/`;
  const second =
    variant === 'first'
      ? `${prefix}src/checkout.ts(${line(m, 30)},7): error TS2345: Argument of type 'Cart | undefined' is not assignable to parameter of type 'Cart'.
  Type 'undefined' is not assignable to type 'Cart'.`
      : `${prefix}src/checkout.ts(${line(m, 30)},12): error TS2339: Property 'totl' does not exist on type 'Cart'.`;
  return `
> shop@1.0.0 typecheck
> tsc -p tsconfig.json --noEmit

${prefix}src/cart.ts(${line(m, 12)},5): error TS2322: Type 'string' is not assignable to type 'number'.
${second}

Found 2 errors in 2 files.

Errors  Files
     1  ${prefix}src/cart.ts:${line(m, 12)}
     1  ${prefix}src/checkout.ts:${line(m, 30)}
`;
}

const npmExitBare = (script: string, command: string, code: number) => `
> shop@1.0.0 ${script}
> ${command}

npm error Lifecycle script \`${script}\` failed with error:
npm error code ${code}
npm error path /home/runner/work/shop/shop
npm error command failed
npm error command sh -c ${command}
Error: Process completed with exit code ${code}.
`;

function eslintOutput(m: Machine, variant: Variant): string {
  const second =
    variant === 'first'
      ? `  ${line(m, 4)}:10  error  'Cart' is defined but never used  @typescript-eslint/no-unused-vars`
      : `  ${line(m, 4)}:7   error  'total' is never reassigned. Use 'const' instead  prefer-const`;
  return `
> shop@1.0.0 lint
> eslint .

${m.root}/src/cart.ts
  ${line(m, 12)}:7   error    'discount' is assigned a value but never used  @typescript-eslint/no-unused-vars
  ${line(m, 20)}:3   warning  Unexpected console statement                   no-console

${m.root}/src/checkout.ts
${second}

✖ 3 problems (2 errors, 1 warning)
`;
}

function cargoTestOutput(m: Machine, variant: Variant): string {
  const test = variant === 'first' ? 'applies_discount' : 'rounds_cents';
  const [left, right] = variant === 'first' ? ['30', '27'] : ['2001', '2000'];
  return `   Compiling shop v0.1.0 (${m.root})
    Finished \`test\` profile [unoptimized + debuginfo] target(s) in ${m.seconds}s
     Running unittests src/lib.rs (target/debug/deps/shop-${m.buildHash})

running 3 tests
test cart::tests::adds_item ... ok
test cart::tests::${test} ... FAILED
test cart::tests::empties ... ok

failures:

---- cart::tests::${test} stdout ----

thread 'cart::tests::${test}' panicked at src/cart.rs:${line(m, 41)}:9:
assertion \`left == right\` failed
  left: ${left}
 right: ${right}
note: run with \`RUST_BACKTRACE=1\` environment variable to display a backtrace


failures:
    cart::tests::${test}

test result: FAILED. ${m.passed} passed; 1 failed; 0 ignored; 0 measured; 0 filtered out; finished in ${m.seconds}s

error: test failed, to rerun pass \`--lib\`
`;
}

const cargoTestBare = `running 1 test
test cart::tests::checks_out ... FAILED

failures:

---- cart::tests::checks_out stdout ----

thread 'cart::tests::checks_out' panicked at src/cart.rs:52:30:
called \`Option::unwrap()\` on a \`None\` value


failures:
    cart::tests::checks_out

test result: FAILED. 0 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s
`;

function rustcOutput(m: Machine, variant: Variant): string {
  const at = line(m, 18);
  const error =
    variant === 'first'
      ? `error[E0308]: mismatched types
  --> src/cart.rs:${at}:26
   |
${at} |         let total: u32 = self.sum();
   |                    ---   ^^^^^^^^^^ expected \`u32\`, found \`f64\`
   |                    |
   |                    expected due to this

For more information about this error, try \`rustc --explain E0308\`.`
      : `error[E0425]: cannot find value \`discont\` in this scope
  --> src/cart.rs:${at}:31
   |
${at} |         let total = self.sum() * discont;
   |                                  ^^^^^^^ help: a local variable with a similar name exists: \`discount\`

For more information about this error, try \`rustc --explain E0425\`.`;
  return `   Compiling shop v0.1.0 (${m.root})
${error}
error: could not compile \`shop\` (lib) due to 1 previous error
`;
}

function goBuildOutput(m: Machine, variant: Variant): string {
  // CI builds from the module root; the laptop builds inside the package.
  const dir = m === linuxRunner ? 'cart/' : './';
  const second =
    variant === 'first'
      ? `${dir}cart.go:${line(m, 31)}:9: undefined: totl`
      : `${dir}checkout.go:${line(m, 8)}:2: "fmt" imported and not used`;
  return `# github.com/acme/shop/cart
${dir}cart.go:${line(m, 14)}:2: declared and not used: discount
${second}
`;
}

export const TOOLS: ToolFixture[] = [
  {
    name: 'pytest',
    output: pytestOutput,
    testIds: {
      first: ['test_cart.py::TestTotal::test_applies_discount'],
      second: ['test_cart.py::TestTotal::test_rounds_cents'],
    },
    failureClass: 'test_failure',
    bare: pytestBare,
  },
  {
    name: 'jest',
    output: jestOutput,
    testIds: {
      first: ['cart.test.ts > cart > applies the discount'],
      second: ['cart.test.ts > cart > rounds to cents'],
    },
    failureClass: 'test_failure',
    bare: jestBare,
  },
  {
    name: 'vitest',
    output: vitestOutput,
    testIds: {
      first: ['cart.test.ts > cart > applies the discount'],
      second: ['cart.test.ts > cart > rounds to cents'],
    },
    failureClass: 'test_failure',
    bare: vitestBare,
  },
  {
    name: 'go test',
    output: goTestOutput,
    testIds: {
      first: ['github.com/acme/shop/cart.TestTotal', 'github.com/acme/shop/cart.TestTotal/applies_discount'],
      second: ['github.com/acme/shop/cart.TestCheckout', 'github.com/acme/shop/cart.TestCheckout/out_of_stock'],
    },
    failureClass: 'test_failure',
    bare: goTestBare,
  },
  {
    name: 'cargo test',
    output: cargoTestOutput,
    testIds: {
      first: ['cart::tests::applies_discount'],
      second: ['cart::tests::rounds_cents'],
    },
    failureClass: 'test_failure',
    bare: cargoTestBare,
  },
  {
    name: 'tsc',
    output: (m, variant) => (m === linuxRunner ? githubLog(tscOutput(m, variant), m) : tscOutput(m, variant)),
    testIds: { first: [], second: [] },
    failureClass: 'compile_error',
    bare: npmExitBare('typecheck', 'tsc -p tsconfig.json --noEmit', 2),
  },
  {
    name: 'eslint',
    output: (m, variant) => (m === linuxRunner ? eslintOutput(m, variant) : colour(eslintOutput(m, variant))),
    testIds: { first: [], second: [] },
    failureClass: 'lint',
    bare: npmExitBare('lint', 'eslint .', 1),
  },
  {
    name: 'rustc',
    output: (m, variant) => (m === linuxRunner ? githubLog(rustcOutput(m, variant), m) : rustcOutput(m, variant)),
    testIds: { first: [], second: [] },
    failureClass: 'compile_error',
    bare: `   Compiling shop v0.1.0 (/home/runner/work/shop/shop)\nError: Process completed with exit code 101.\n`,
  },
  {
    name: 'go build',
    output: goBuildOutput,
    testIds: { first: [], second: [] },
    failureClass: 'compile_error',
    bare: `go build ./...\nError: Process completed with exit code 1.\n`,
  },
];
