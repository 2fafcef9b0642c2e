/**
 * Extraction of failing test ids from the output of pytest, jest, vitest,
 * go test and cargo test.
 *
 * Ids are normalised so that the same test gets the same id on every machine. A
 * file path in an id keeps only its base name, and suite separators become
 * " > ". Whitespace is collapsed, and durations printed after a name are dropped.
 */

import { baseName } from './normalise.js';

/** Maximum length of one returned test id; a longer name is cut. */
export const MAX_TEST_ID_CHARS = 512;

// Markers that jest and vitest print before a failed test's name.
const CROSS_MARKS = '✕×✗✖';
const CROSS_LINE = new RegExp(`^\\s*[${CROSS_MARKS}]\\s+(\\S.*)$`);
const TRAILING_DURATION = /(?<!\s)\s+\(?\d+(?:\.\d+)?\s?m?s\)?$/;
const ESLINT_PROBLEMS = /^\d+ problems?\b/;

// jest prints "FAIL path" (optionally with a duration) above a file's results;
// vitest prints "FAIL  path > suite > name" for each failed test, sometimes with a
// "|project|" label before the path.
const FAIL_LINE = /^\s*FAIL\s+(?:\|[^|]*\|\s+)?(\S.*)$/;
const VITEST_FILE_HEADER = /^\s*❯\s+(\S+)\s+\(\d+ tests?\b/;
const JEST_BULLET = /^\s*● (\S.*)$/;
const JEST_NON_TEST_BULLETS = /^(?:Test suite failed to run|Console\b|Validation (?:Warning|Error)|Deprecation Warning|Invalid\b)/;

const PYTEST_SUMMARY = /^(?:FAILED|ERROR) (\S.*)$/;
// The verbose form's outcome at the end of the line; the id before it is found
// with indexOf, which keeps long lines of "::" linear.
const PYTEST_VERBOSE_OUTCOME = / (?:FAILED|ERROR)(?:\s+\[\s*\d+%\])?$/;

const GO_FAIL = /^\s*--- FAIL: (\S+)/;
const GO_PACKAGE_FAIL = /^FAIL\s+(\S+)\s+(?:\d|\(cached\)|\[)/;
const GO_PACKAGE_OK = /^ok\s+\S+/;

const CARGO_RESULT = /^test (\S+) \.\.\. FAILED$/;
const CARGO_STDOUT = /^---- (\S+) stdout ----$/;
const CARGO_LIST_ENTRY = /^ {4}([A-Za-z_][A-Za-z0-9_]*(?:::[A-Za-z_][A-Za-z0-9_]*)*)$/;

/**
 * Returns the sorted, unique ids of the failing tests that `lines` name.
 *
 * Formats read:
 * - pytest `FAILED path::Class::test - message` and the verbose `path::test FAILED`;
 * - vitest `FAIL path > suite > test`;
 * - jest `● suite › test`, under its `FAIL path` header;
 * - go test `--- FAIL: TestName` and subtests `TestName/sub`, prefixed with the
 *   package from the `FAIL package` line that follows;
 * - cargo `test path::name ... FAILED`, `---- name stdout ----` and the
 *   `failures:` list.
 *
 * The `✕ name` lines of jest and vitest count only when no other jest or vitest
 * id was found, because they omit the suite.
 */
export function extractTestIds(lines: readonly string[]): string[] {
  const ids = new Set<string>();
  const crossIds: string[] = [];
  const goPending: string[] = [];
  let currentFile: string | undefined;
  let inCargoFailures = false;

  const add = (id: string) => {
    const normalised = normaliseId(id);
    if (normalised.length > 0) ids.add(normalised);
  };

  for (const line of lines) {
    let match: RegExpExecArray | null;

    if ((match = CARGO_RESULT.exec(line)) || (match = CARGO_STDOUT.exec(line))) {
      add(match[1]!);
      continue;
    }
    if ((match = PYTEST_SUMMARY.exec(line))) {
      const id = pytestId(match[1]!);
      if (id) add(id);
      continue;
    }
    if ((match = PYTEST_VERBOSE_OUTCOME.exec(line)) && !/\s/.test(line[0] ?? ' ')) {
      const id = pytestId(line.slice(0, match.index));
      if (id) {
        add(id);
        continue;
      }
    }

    if ((match = GO_FAIL.exec(line))) {
      goPending.push(match[1]!);
      continue;
    }
    if ((match = GO_PACKAGE_FAIL.exec(line))) {
      for (const test of goPending.splice(0)) add(`${match[1]!}.${test}`);
      continue;
    }
    if (GO_PACKAGE_OK.test(line)) {
      for (const test of goPending.splice(0)) add(test);
      continue;
    }

    if (line === 'failures:') {
      inCargoFailures = true;
      continue;
    }
    if (inCargoFailures) {
      if (line.startsWith('test result:')) inCargoFailures = false;
      if ((match = CARGO_LIST_ENTRY.exec(line))) {
        add(match[1]!);
        continue;
      }
    }

    if ((match = FAIL_LINE.exec(line))) {
      const rest = match[1]!;
      const separator = rest.indexOf(' > ');
      if (separator > 0) {
        add(`${baseName(rest.slice(0, separator))} > ${rest.slice(separator + 3)}`);
      } else {
        currentFile = baseName(rest.replace(TRAILING_DURATION, '').split(/\s/)[0]!);
      }
      continue;
    }
    if ((match = VITEST_FILE_HEADER.exec(line))) {
      currentFile = baseName(match[1]!);
      continue;
    }
    if ((match = JEST_BULLET.exec(line))) {
      const name = match[1]!;
      if (!JEST_NON_TEST_BULLETS.test(name)) {
        const path = name.split(' › ').join(' > ');
        add(currentFile ? `${currentFile} > ${path}` : path);
      }
      continue;
    }
    if ((match = CROSS_LINE.exec(line))) {
      const name = match[1]!.replace(TRAILING_DURATION, '');
      if (!ESLINT_PROBLEMS.test(name)) crossIds.push(currentFile ? `${currentFile} > ${name}` : name);
    }
  }

  // Subtests whose package line is outside the scanned tail keep their bare name.
  for (const test of goPending) add(test);
  if (!hasJsId(ids)) for (const id of crossIds) add(id);
  return [...ids].sort();
}

/** Returns `path::rest` with the path cut to its base name, or undefined when it is no test id. */
function pytestId(text: string): string | undefined {
  const dash = text.indexOf(' - ');
  const id = (dash >= 0 ? text.slice(0, dash) : text).trim();
  const colons = id.indexOf('::');
  if (colons <= 0 || /\s/.test(id.slice(0, colons))) return undefined;
  return `${baseName(id.slice(0, colons))}${id.slice(colons)}`;
}

function hasJsId(ids: Set<string>): boolean {
  for (const id of ids) if (id.includes(' > ')) return true;
  return false;
}

function normaliseId(id: string): string {
  const collapsed = id.replace(/\s+/g, ' ').trim();
  return collapsed.length > MAX_TEST_ID_CHARS ? collapsed.slice(0, MAX_TEST_ID_CHARS) : collapsed;
}
