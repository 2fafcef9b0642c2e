import { describe, expect, it } from 'vitest';
import { classifyFailure, failureSignature, feedbackSpecificity, redactSecrets } from '../../../sdk/failure/index.js';

// Inputs of 1 MiB built to make a backtracking regex take quadratic or worse
// time: long runs of what one pattern repeats, with the character it needs next
// missing. A quadratic pattern needs about (2^20)^2, some 10^12, steps on 1 MiB,
// so a 30 s bound still catches it, and stays far above a busy machine's times
// for linear patterns (about 5 s seen with eight test processes on two cores).
const BOUND_MS = 30_000;
const SIZE = 1 << 20;

function repeatTo(unit: string): string {
  return unit.repeat(Math.ceil(SIZE / unit.length)).slice(0, SIZE);
}

function mixedCharacters(): string {
  const alphabet = 'a0Z/\\:.@-_=" \n[]x(),;&\'`eyJ<>|#?+%~\t';
  let state = 42;
  let text = '';
  while (text.length < SIZE) {
    state = (state * 1103515245 + 12345) % 2147483648;
    text += alphabet[state % alphabet.length];
  }
  return text;
}

const INPUTS: Record<string, () => string> = {
  'letters': () => repeatTo('a'),
  'digits': () => repeatTo('7'),
  'blank lines': () => repeatTo('\n'),
  'spaces and tabs between lines': () => repeatTo(' \t\n'),
  'one line of spaces': () => `x${' '.repeat(SIZE - 2)}y`,
  'path separators': () => repeatTo('a/'),
  'Windows separators': () => repeatTo('a\\'),
  'colon numbers': () => repeatTo(':1'),
  'hex digits': () => repeatTo('0123456789abcdef'),
  'labelled numbers': () => repeatTo('port 1 '),
  'month names': () => repeatTo('May 1'),
  'temporary prefixes': () => repeatTo('tmp'),
  'one long line': () => repeatTo(`${'x'.repeat(5000)}\n`),
  'capital letters in long lines': () => repeatTo(`${'A'.repeat(2000)}\n`),
  'spaces inside test names': () => repeatTo(`✕ x${' '.repeat(2000)}y\nFAIL x${' '.repeat(2000)}y\n`),
  'escape sequences': () => repeatTo('\x1b['),
  'carriage returns': () => repeatTo('\r'),
  'PEM headers without end': () => repeatTo('-----BEGIN RSA PRIVATE KEY-----\n'),
  'JWT prefixes': () => repeatTo('eyJabcde.'),
  'at signs': () => repeatTo('a@'),
  'domain labels': () => `a@${repeatTo('b.')}`,
  'URL schemes': () => repeatTo('x://'),
  'URL user information': () => repeatTo('s://u:p@'),
  'password without end': () => `postgres://u:${repeatTo('p')}`,
  'Bearer words': () => repeatTo('Bearer '),
  'password keys': () => repeatTo('password='),
  'open quotes': () => repeatTo('password="'),
  'backslashes in a value': () => `password="${repeatTo('\\')}`,
  'assignments': () => repeatTo('a=b '),
  'token prefixes': () => repeatTo('ghp_sk-ant-AKIAglpat-'),
  'pytest outcomes': () => repeatTo('a::b FAILED '),
  'go failures': () => repeatTo('--- FAIL: '),
  'go diagnostics': () => repeatTo('x.go:1:1: '),
  'expected words': () => repeatTo('expected '),
  'want and got': () => repeatTo(', want got '),
  'equals signs': () => repeatTo('= '),
  'syntax errors': () => repeatTo('SyntaxError: '),
  'mixed characters': mixedCharacters,
};

const FUNCTIONS: Record<string, (input: string) => unknown> = {
  failureSignature,
  classifyFailure,
  feedbackSpecificity,
  redactSecrets,
};

const CASES = Object.keys(INPUTS).flatMap((input) => Object.keys(FUNCTIONS).map((fn) => [fn, input] as const));

describe('failure functions on 1 MiB adversarial input', () => {
  it.each(CASES)('%s on %s finishes', (fn, input) => {
    const text = INPUTS[input]!();
    const started = performance.now();
    FUNCTIONS[fn]!(text);
    expect(performance.now() - started).toBeLessThan(BOUND_MS);
  });
});
