import { scanLines } from './scan.js';
import { gated, mayMatch, wordsOf, type GatedPattern } from './words.js';

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
// hundred steps per keyword. Each pattern comes with the words that every match
// of it contains (see words.ts). A pattern whose words the output lacks runs on
// no line.

// Values on one line: chai and vitest "expected 3 to be 4", "expected 4, got 3",
// "expected:<4> but was:<3>" (JUnit), pytest "assert 3 == 4", unittest "3 != 4".
const EXPECTED_ACTUAL_LINE = [
  gated(/\bexpected [^\n]{1,300}? to (?:not )?(?:be|equal|eql|deep|deeply|strictly|have|include|contain|match|satisfy|throw)\b/i, 'expected'),
  gated(/\bexpected:?\s*\S[^\n]{0,300}?\b(?:got|was|received|found|actual)\b:?\s*\S/i, 'got', 'was', 'received', 'found', 'actual'),
  gated(/^\s*(?:E\s+)?assert\s[^\n]{1,300}?\s(?:==|!=|<=|>=|<|>|is|is not|in|not in)\s+\S/, 'assert'),
  gated(/\bAssertionError\b[^\n]{0,300}?\S !=\s+\S/, 'assertionerror'),
];
// Go's "got 3, want 4", "Total() = 3, want 4" and "want 4, got 3".
const GO_WANT = /[,;]\s*want:?\s+\S/;
const GO_GOT = /(?:\bgot:?\s+\S|\S\s+=\s+\S)/;
const GO_WANT_FIRST = /\bwant:?\s+\S/;
const GO_GOT_AFTER = /[,;]\s*got:?\s+\S/;
// Every Go pattern pair above needs "want".
const GO_WORD = 'want';
// Values on two lines: jest "Expected: 4" / "Received: 3", NUnit "Actual:",
// Rust assert_eq "left: 3" / "right: 4".
const EXPECTED_LINE = gated(/^\s*(?:E\s+)?Expected\b[\w ]{0,40}:\s*\S/, 'expected');
const RECEIVED_LINE = gated(/^\s*(?:E\s+)?(?:Received|Actual|But was)\b[\w ]{0,40}:\s*\S/, 'received', 'actual', 'but');
const LEFT_LINE = gated(/^\s*left:\s*\S/, 'left');
const RIGHT_LINE = gated(/^\s*right:\s*\S/, 'right');

// A failing assertion named by a message or by its expression. The default
// messages of unittest's assertTrue and assertFalse name no check, so they do
// not count.
const ASSERTION_MESSAGE = [
  gated(/\bAssertionError(?: \[\w+\])?: (?!False is not true\b|True is not false\b)\S/, 'assertionerror'),
  gated(/\bAssertionFailedError: \S/, 'assertionfailederror'),
  gated(/\bassertion failed: \S/, 'assertion'),
  gated(/\bassertion `[^`\n]{1,300}` failed: \S/, 'assertion'),
  gated(/\bAssertion [`'][^`'\n]{1,300}['`] failed\b/, 'assertion'),
  gated(/\bexpect\([^)\n]{0,200}\)\.(?:not\.)?(?:resolves\.|rejects\.)?to[A-Z]\w*\(/, 'expect'),
  // A message that Go's t.Error or t.Fatal printed.
  gated(/^\s+\S+_test\.go:\d+: \S/, 'go'),
];

const DIFF_MINUS_HEADER = gated(/^\s*- Expected\b/, 'expected');
const DIFF_PLUS_HEADER = gated(/^\s*\+ Received\b/, 'received');
const VALUE_DIFF = [
  gated(/\((?:-want \+got|-got \+want|-expected \+actual|-actual \+expected)\)/, 'want', 'got', 'expected', 'actual'),
  gated(/^\s*(?:E\s+)?Full diff:/, 'diff'),
  gated(/\bAt index \d+ diff: /, 'diff'),
  gated(/^@@ -\d+(?:,\d+)? \+\d+(?:,\d+)? @@/),
  gated(/\bDiff < left \/ right >/, 'diff'),
  gated(/\+ expected - actual\b/, 'expected'),
  // unittest's diff marker line, "?     ^".
  gated(/^\?\s+[\^+-]+\s*$/),
];

// Compiler and linter diagnostics that name the error and where it is.
const DIAGNOSTIC = [
  gated(/\berror TS\d{4,5}: \S/, 'error'),
  gated(/^error\[E\d{4}\]: \S/, 'error'),
  gated(/^\s+\d+:\d+\s+(?:error|warning)\s{2}\S/, 'error', 'warning'),
  gated(/^\S+\.[A-Za-z]{1,6}:\d+:\d+: \S/),
  gated(/\.java:\d+: error: \S/, 'java'),
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

/**
 * @internal `feedbackSpecificity` of output that `scanLines` already split, for
 * callers that run several analyses. `words` are the output's `wordsOf(lines)`.
 */
export function feedbackSpecificityOfLines(lines: readonly string[], words: ReadonlySet<string> = wordsOf(lines)): FeedbackSpecificity {
  const found = new Set<SpecificityReason>();
  let expectedLine = false;
  let receivedLine = false;
  let leftLine = false;
  let rightLine = false;
  let minusHeader = false;
  let plusHeader = false;

  // The patterns that can match somewhere in the output, chosen once for all lines.
  const expectedLinePattern = active(EXPECTED_LINE, words);
  const receivedLinePattern = active(RECEIVED_LINE, words);
  const leftLinePattern = active(LEFT_LINE, words);
  const rightLinePattern = active(RIGHT_LINE, words);
  const minusHeaderPattern = active(DIFF_MINUS_HEADER, words);
  const plusHeaderPattern = active(DIFF_PLUS_HEADER, words);
  const expectedActual = activeAll(EXPECTED_ACTUAL_LINE, words);
  const goWant = words.has(GO_WORD);
  const assertionMessage = activeAll(ASSERTION_MESSAGE, words);
  const valueDiff = activeAll(VALUE_DIFF, words);
  const diagnostic = activeAll(DIAGNOSTIC, words);

  for (const line of lines) {
    // No pattern matches a blank line, and logs can hold many of them.
    if (line.trim().length === 0) continue;
    if (expectedLinePattern?.test(line)) expectedLine = true;
    if (receivedLinePattern?.test(line)) receivedLine = true;
    if (leftLinePattern?.test(line)) leftLine = true;
    if (rightLinePattern?.test(line)) rightLine = true;
    if (minusHeaderPattern?.test(line)) minusHeader = true;
    if (plusHeaderPattern?.test(line)) plusHeader = true;

    if (hasExpectedAndActual(line, expectedActual, goWant)) found.add('expected_actual');
    if (assertionMessage.some((pattern) => pattern.test(line))) found.add('assertion_message');
    if (valueDiff.some((pattern) => pattern.test(line))) found.add('value_diff');
    if (diagnostic.some((pattern) => pattern.test(line))) found.add('diagnostic');
  }

  if ((expectedLine && receivedLine) || (leftLine && rightLine)) found.add('expected_actual');
  if (minusHeader && plusHeader) found.add('value_diff');

  const reasons = SPECIFICITY_REASONS.filter((reason) => found.has(reason));
  return { specific: reasons.length > 0, reasons };
}

function active(candidate: GatedPattern, words: ReadonlySet<string>): RegExp | undefined {
  return mayMatch(candidate, words) ? candidate.pattern : undefined;
}

function activeAll(candidates: readonly GatedPattern[], words: ReadonlySet<string>): RegExp[] {
  return candidates.filter((candidate) => mayMatch(candidate, words)).map((candidate) => candidate.pattern);
}

function hasExpectedAndActual(line: string, expectedActual: readonly RegExp[], goWant: boolean): boolean {
  if (expectedActual.some((pattern) => pattern.test(line))) return true;
  if (!goWant) return false;
  if (GO_WANT.test(line) && GO_GOT.test(line)) return true;
  return GO_WANT_FIRST.test(line) && GO_GOT_AFTER.test(line);
}

/** @internal The patterns of each reason, for tests of their words. */
export const SPECIFICITY_PATTERNS = { EXPECTED_ACTUAL_LINE, EXPECTED_LINE, RECEIVED_LINE, LEFT_LINE, RIGHT_LINE, ASSERTION_MESSAGE, DIFF_MINUS_HEADER, DIFF_PLUS_HEADER, VALUE_DIFF, DIAGNOSTIC } as const;
