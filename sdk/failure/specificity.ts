import { scanLines } from './scan.js';

/** Reason code for specific feedback, from a small fixed set that is safe to record. */
export type SpecificityReason = 'expected_actual' | 'assertion_message' | 'value_diff' | 'diagnostic';

/** Whether CI output names what was checked, and how. */
export interface FeedbackSpecificity {
  specific: boolean;
  /** Unique reasons in the order of `SPECIFICITY_REASONS`. */
  reasons: SpecificityReason[];
}

/** Every reason `feedbackSpecificity` can return, in the order it returns them. */
export const SPECIFICITY_REASONS: readonly SpecificityReason[] = [
  'expected_actual',
  'assertion_message',
  'value_diff',
  'diagnostic',
];

// Patterns run on single lines of at most MAX_LINE_CHARS. Where a pattern spans
// two keywords, the gap between them is bounded, so a line costs at most a few
// hundred steps per keyword.

// Values on one line: chai and vitest "expected 3 to be 4", "expected 4, got 3",
// "expected:<4> but was:<3>" (JUnit), pytest "assert 3 == 4", unittest "3 != 4".
const EXPECTED_ACTUAL_LINE = [
  /\bexpected [^\n]{1,300}? to (?:not )?(?:be|equal|eql|deep|deeply|strictly|have|include|contain|match|satisfy|throw)\b/i,
  /\bexpected:?\s*\S[^\n]{0,300}?\b(?:got|was|received|found|actual)\b:?\s*\S/i,
  /^\s*(?:E\s+)?assert\s[^\n]{1,300}?\s(?:==|!=|<=|>=|<|>|is|is not|in|not in)\s+\S/,
  /\bAssertionError\b[^\n]{0,300}?\S !=\s+\S/,
];
// Go's "got 3, want 4", "Total() = 3, want 4" and "want 4, got 3".
const GO_WANT = /[,;]\s*want:?\s+\S/;
const GO_GOT = /(?:\bgot:?\s+\S|\S\s+=\s+\S)/;
const GO_WANT_FIRST = /\bwant:?\s+\S/;
const GO_GOT_AFTER = /[,;]\s*got:?\s+\S/;
// Values on two lines: jest "Expected: 4" / "Received: 3", NUnit "Actual:",
// Rust assert_eq "left: 3" / "right: 4".
const EXPECTED_LINE = /^\s*(?:E\s+)?Expected\b[\w ]{0,40}:\s*\S/;
const RECEIVED_LINE = /^\s*(?:E\s+)?(?:Received|Actual|But was)\b[\w ]{0,40}:\s*\S/;
const LEFT_LINE = /^\s*left:\s*\S/;
const RIGHT_LINE = /^\s*right:\s*\S/;

// A failing assertion named by a message or by its expression. The default
// messages of unittest's assertTrue and assertFalse name no check, so they do
// not count.
const ASSERTION_MESSAGE = [
  /\bAssertionError(?: \[\w+\])?: (?!False is not true\b|True is not false\b)\S/,
  /\bAssertionFailedError: \S/,
  /\bassertion failed: \S/,
  /\bassertion `[^`\n]{1,300}` failed: \S/,
  /\bAssertion [`'][^`'\n]{1,300}['`] failed\b/,
  /\bexpect\([^)\n]{0,200}\)\.(?:not\.)?(?:resolves\.|rejects\.)?to[A-Z]\w*\(/,
  // A message that Go's t.Error or t.Fatal printed.
  /^\s+\S+_test\.go:\d+: \S/,
];

const DIFF_MINUS_HEADER = /^\s*- Expected\b/;
const DIFF_PLUS_HEADER = /^\s*\+ Received\b/;
const VALUE_DIFF = [
  /\((?:-want \+got|-got \+want|-expected \+actual|-actual \+expected)\)/,
  /^\s*(?:E\s+)?Full diff:/,
  /\bAt index \d+ diff: /,
  /^@@ -\d+(?:,\d+)? \+\d+(?:,\d+)? @@/,
  /\bDiff < left \/ right >/,
  /\+ expected - actual\b/,
  // unittest's diff marker line, "?     ^".
  /^\?\s+[\^+-]+\s*$/,
];

// Compiler and linter diagnostics that name the error and where it is.
const DIAGNOSTIC = [
  /\berror TS\d{4,5}: \S/,
  /^error\[E\d{4}\]: \S/,
  /^\s+\d+:\d+\s+(?:error|warning)\s{2}\S/,
  /^\S+\.[A-Za-z]{1,6}:\d+:\d+: \S/,
  /\.java:\d+: error: \S/,
];

/**
 * Decides whether CI output names what was checked.
 *
 * Specific output shows expected and actual values, names the failing assertion
 * by its message or expression, shows a diff of values, or is a compiler or
 * linter diagnostic with an error code or rule and a location. A bare "test
 * failed" or "exit code 1", an exception name or a stack trace is not specific.
 * Only the last `MAX_SCAN_CHARS` of the output are read.
 */
export function feedbackSpecificity(output: string): FeedbackSpecificity {
  return feedbackSpecificityOfLines(scanLines(output));
}

/** @internal `feedbackSpecificity` of output that `scanLines` already split, for callers that run several analyses. */
export function feedbackSpecificityOfLines(lines: readonly string[]): FeedbackSpecificity {
  const found = new Set<SpecificityReason>();
  let expectedLine = false;
  let receivedLine = false;
  let leftLine = false;
  let rightLine = false;
  let minusHeader = false;
  let plusHeader = false;

  for (const line of lines) {
    // No pattern matches a blank line, and logs can hold many of them.
    if (line.trim().length === 0) continue;
    if (EXPECTED_LINE.test(line)) expectedLine = true;
    if (RECEIVED_LINE.test(line)) receivedLine = true;
    if (LEFT_LINE.test(line)) leftLine = true;
    if (RIGHT_LINE.test(line)) rightLine = true;
    if (DIFF_MINUS_HEADER.test(line)) minusHeader = true;
    if (DIFF_PLUS_HEADER.test(line)) plusHeader = true;

    if (hasExpectedAndActual(line)) found.add('expected_actual');
    if (ASSERTION_MESSAGE.some((pattern) => pattern.test(line))) found.add('assertion_message');
    if (VALUE_DIFF.some((pattern) => pattern.test(line))) found.add('value_diff');
    if (DIAGNOSTIC.some((pattern) => pattern.test(line))) found.add('diagnostic');
  }

  if ((expectedLine && receivedLine) || (leftLine && rightLine)) found.add('expected_actual');
  if (minusHeader && plusHeader) found.add('value_diff');

  const reasons = SPECIFICITY_REASONS.filter((reason) => found.has(reason));
  return { specific: reasons.length > 0, reasons };
}

function hasExpectedAndActual(line: string): boolean {
  if (EXPECTED_ACTUAL_LINE.some((pattern) => pattern.test(line))) return true;
  if (GO_WANT.test(line) && GO_GOT.test(line)) return true;
  return GO_WANT_FIRST.test(line) && GO_GOT_AFTER.test(line);
}
