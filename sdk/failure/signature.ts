import { sha256Hex } from '../sha256.js';
import { normaliseLine } from './normalise.js';
import { scanLines } from './scan.js';
import { extractTestIds } from './test-ids.js';

/** Source of a failure signature: test ids, normalised error text, or nothing. */
export type SignatureBasis = 'test_ids' | 'normalised_error' | 'empty';

/** A fingerprint of a CI failure that is equal for the same failure on any machine. */
export interface FailureSignature {
  /** 16 lowercase hex characters: the first 8 bytes of a SHA-256 digest. */
  signature: string;
  /** Sorted, unique, normalised ids of the failing tests; empty when the output names none. */
  testIds: string[];
  basis: SignatureBasis;
}

// Hashed before the basis and the lines, so that a change of the rules can be
// marked by a new version instead of silently colliding with old signatures.
const SIGNATURE_VERSION = 'factory-telemetry/failure-signature/v1';

// Test-run summaries and banners, whose counts change when an unrelated test is
// added or starts to pass.
const SUMMARY_LINE =
  /^(?:Tests:?\s+\d|Test Suites:|Test Files\s+\d|Snapshots:|Time:|Duration\s|Start at\s|Ran all test suites|test result:|ok\s|PASS(?:\s|$)|Ran (?:\d+|<n>) tests? in\b)|^=+ .* =+$|^_+ .* _+$|^[-=_⎯]+$/;

// Words and names that mark a line as part of an error report.
const ERROR_WORDS =
  /\b(?:errors?|fatal|panic(?:ked)?|traceback|fail(?:s|ed|ure|ures)?|undefined|cannot|can't|could not|unable to|not found|no such|denied|refused|timed out|timeout|exceeded|killed|segmentation fault|conflicts?|assert(?:ion)?|mismatch(?:ed)?|invalid|unexpected|missing|not assignable|not used)\b/i;
const ERROR_NAME = /(?<!\w)[A-Z]\w*(?:Error|Exception)\b/;
// "file.ext: message" once line and column are removed (go build, gcc, javac,
// ruff), rustc's "--> file" location line and eslint's "warning  message  rule".
const DIAGNOSTIC_START = /^(?:[\w.@+~%<>-]+\.[A-Za-z]{1,6}:\s\S|-->\s|warning\s(?!:))/;

const PLACEHOLDER = /<(?:time|uuid|hex|ip|tmp|n|duration)>/g;

/**
 * Computes a stable fingerprint of the failure that `output` reports.
 *
 * When the output names failing tests, the signature is the hash of their sorted
 * ids (basis `test_ids`), so a test that fails again with other values still has
 * the same signature. Otherwise it is the hash of the normalised error lines
 * (basis `normalised_error`). Every line is normalised, and the lines that
 * mention an error are kept, or all lines when none does. The kept lines are
 * deduplicated and sorted, so the order in which parallel jobs print does not
 * matter. Output with nothing left after normalisation has basis `empty` and one
 * fixed signature. Only the last `MAX_SCAN_CHARS` of the output are read.
 */
export function failureSignature(output: string): FailureSignature {
  return failureSignatureOfLines(scanLines(output));
}

/** @internal `failureSignature` of output that `scanLines` already split, for callers that run several analyses. */
export function failureSignatureOfLines(lines: readonly string[]): FailureSignature {
  const testIds = extractTestIds(lines);
  if (testIds.length > 0) {
    return { signature: hashLines('test_ids', testIds), testIds, basis: 'test_ids' };
  }

  const kept = new Set<string>();
  const errors = new Set<string>();
  for (const line of lines) {
    if (line.trim().length === 0) continue;
    const normalised = normaliseLine(line);
    if (!isInformative(normalised)) continue;
    kept.add(normalised);
    if (isErrorLine(normalised)) errors.add(normalised);
  }
  if (kept.size === 0) return { signature: EMPTY_SIGNATURE, testIds: [], basis: 'empty' };

  const basisLines = [...(errors.size > 0 ? errors : kept)].sort();
  return { signature: hashLines('normalised_error', basisLines), testIds: [], basis: 'normalised_error' };
}

function isInformative(line: string): boolean {
  if (line.length === 0 || SUMMARY_LINE.test(line)) return false;
  return /[A-Za-z]/.test(line.replace(PLACEHOLDER, ''));
}

function isErrorLine(line: string): boolean {
  return ERROR_WORDS.test(line) || ERROR_NAME.test(line) || DIAGNOSTIC_START.test(line);
}

function hashLines(basis: SignatureBasis, lines: readonly string[]): string {
  return sha256Hex(`${SIGNATURE_VERSION}\n${basis}\n${lines.join('\n')}`).slice(0, 16);
}

const EMPTY_SIGNATURE = hashLines('empty', []);
