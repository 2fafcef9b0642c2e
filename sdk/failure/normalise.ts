/**
 * Normalisation of one CI output line for failure signatures: replaces what
 * varies between runs and machines with fixed placeholders and keeps what
 * identifies the failure.
 *
 * Every pattern here starts with a fixed character sequence, is anchored at the
 * start of the line, or begins with a lookbehind that rejects a start inside a
 * run of the characters it repeats. Each run is therefore scanned from one start
 * only, and matching stays linear in the length of the line.
 */

const MONTH =
  '(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)(?![a-z])';
const WEEKDAY = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)(?:day|sday|nesday|rsday|urday)?(?![a-z])';

// 2024-05-01, 2024/05/01, 2024-05-01T12:00:00.123Z, 2024-05-01 12:00:00 +0200 and
// npm's log-file form 2024-05-01T12_00_00_123Z.
const ISO_TIMESTAMP = new RegExp(
  '(?<!\\d)\\d{4}([-/])\\d{2}\\1\\d{2}' +
    '(?:[T _]\\d{2}[:_]\\d{2}(?:[:_]\\d{2}(?:[.,_]\\d+)?)?(?: ?(?:Z|UTC|GMT|[+-]\\d{2}:?\\d{2}))?)?(?!\\d)',
  'g',
);
// "Wed May  1", "May 1, 2024", "1 May 2024", "01/May/2024".
const NAMED_DATE = new RegExp(
  `(?<![A-Za-z])(?:${WEEKDAY},? )?${MONTH}\\.? {1,2}\\d{1,2}(?:st|nd|rd|th)?(?:,? \\d{4})?(?!\\d)` +
    `|(?<!\\d)\\d{1,2}[ /-]${MONTH}[ /-]\\d{4}(?!\\d)`,
  'g',
);
const TIME_OF_DAY = /(?<![\d:.])\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?(?: ?[AaPp][Mm]\b)?(?![\d:])/g;
const UUID = /(?<![0-9A-Fa-f])[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}(?![0-9A-Fa-f])/g;

// A URL, or a path that contains at least one slash or backslash: /abs/x.ts,
// ./x.go, src/x.test.ts, C:\work\x.cs, ~/x. Its characters exclude ':' so that a
// following :line:col stays outside the match.
const URL_OR_PATH = new RegExp(
  '(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]{0,30}://[^\\s"\'<>()\\[\\]{}|\\\\^`]*' +
    '|(?<![\\w.@+~%\\\\/-])(?:[A-Za-z]:)?[\\w.@+~%-]*(?:[\\\\/][\\w.@+~%-]*)+',
  'g',
);

// Names that temporary-file helpers generate: Python's tmpXXXXXXXX, mktemp's
// tmp.XXXXXXXXXX and Node's tmp-<pid>-<random>.
const TEMP_NAME = /(?<![\w.-])tmp(?:[a-z0-9_]{8}(?![\w])|\.[A-Za-z0-9]{6,}|-\d+-[A-Za-z0-9]+)/g;

const HEX_LITERAL = /(?<![\w])0[xX][0-9a-fA-F]+/g;
// Java's default toString, Object@1b6d3586.
const IDENTITY_HASH = /(?<=[\w$])@[0-9a-f]{6,}(?![\w])/g;
// Commit SHAs, build ids and content hashes: seven or more hex digits with at
// least one digit and one letter, so that words such as "defaced" stay.
const HEX_ID = /(?<![A-Za-z0-9])(?=[0-9a-fA-F]*\d)(?=[0-9a-fA-F]*[a-fA-F])[0-9a-fA-F]{7,}(?![A-Za-z0-9])/g;
const IPV4 = /(?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?![\d.])/g;

// eslint's leading "12:5" column, tsc's "(12,5)", ":12:5" after a file name or a
// host (which also drops ports), Python's "line 12", and code-frame gutters
// ("> 12 |" in jest, "12|" in vitest, "4 |" in rustc).
const ESLINT_POSITION = /^\s*\d+:\d+(?=\s)/;
const PAREN_POSITION = /(?<=[\w.])\(\d+,\d+\)/g;
const COLON_POSITION = /(?<=[\w)\]])(?::\d+){1,2}(?![\d])/g;
const WORD_POSITION = /\b(line|column|col)\s+\d+/gi;
const GUTTER = /^\s*(?:>\s*)?\d+\s*\|/;

const UNIT = '(?:ms|µs|us|ns|s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?)';
const GO_DURATION = /(?<![\w.])(?:\d+(?:\.\d+)?(?:h|m|s|ms|µs|us|ns)){2,}(?![A-Za-z])/g;
const DURATION = new RegExp(`(?<![\\w.])\\d+(?:\\.\\d+)?\\s?${UNIT}(?![A-Za-z])`, 'g');

const LABELLED_NUMBER = /\b(pid|process|port|seed|worker|thread)(\s*(?:[:=#]\s*)?)\d+/gi;
const LONG_NUMBER = /(?<![\w.])\d{10,}(?:\.\d+)?(?![\w])/g;
// Replaced time stamps at the start of a line: "<time>", "[<time>]" or
// "<time> <time>". They are dropped, so that a line with a CI log prefix equals
// the same line without one.
const LEADING_TIMES = /^(?:[[(]?<time>[\])]?[ \t]*)+/;

const PASSED_COUNT =
  /(?<![\w.])\d+(\s+)(passed|passing|pass|skipped|pending|todo|ignored|measured|filtered out|deselected|xfailed|xpassed|warnings?|total|succeeded)\b/gi;

/**
 * Returns `line` with run- and machine-specific parts replaced.
 *
 * Timestamps and dates become `<time>`, and are dropped at the start of the line,
 * where CI systems add them as a log prefix. Durations become `<duration>`, UUIDs
 * `<uuid>`, hex addresses and ids `<hex>`, IPv4 addresses `<ip>`, temporary
 * names `<tmp>`, and long numbers, labelled PIDs, ports and seeds and counts of
 * passed or skipped tests `<n>`. Paths keep only their base name, and URLs keep
 * scheme, host and last path segment. Line and column numbers are removed, or
 * become `<n>` after the words "line" and "column". Literal values (assertion
 * operands, quoted identifiers, error codes) are kept.
 */
export function normaliseLine(line: string): string {
  let text = line;
  text = text.replace(ISO_TIMESTAMP, '<time>');
  text = text.replace(NAMED_DATE, '<time>');
  text = text.replace(TIME_OF_DAY, '<time>');
  text = text.replace(UUID, '<uuid>');
  text = text.replace(ESLINT_POSITION, '');
  text = text.replace(GUTTER, '|');
  text = text.replace(URL_OR_PATH, shortenUrlOrPath);
  text = text.replace(TEMP_NAME, '<tmp>');
  text = text.replace(PAREN_POSITION, '');
  text = text.replace(COLON_POSITION, '');
  text = text.replace(WORD_POSITION, '$1 <n>');
  text = text.replace(HEX_LITERAL, '<hex>');
  text = text.replace(IDENTITY_HASH, '@<hex>');
  text = text.replace(HEX_ID, '<hex>');
  text = text.replace(IPV4, '<ip>');
  text = text.replace(GO_DURATION, '<duration>');
  text = text.replace(DURATION, '<duration>');
  text = text.replace(LABELLED_NUMBER, '$1$2<n>');
  text = text.replace(LONG_NUMBER, '<n>');
  text = text.replace(PASSED_COUNT, '<n>$1$2');
  text = text.trim().replace(LEADING_TIMES, '');
  return text.replace(/\s+/g, ' ').trim();
}

/** Returns the base name of a path, or scheme, host and last segment of a URL. */
function shortenUrlOrPath(match: string): string {
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(match);
  if (scheme) return shortenUrl(match, scheme[0].length, scheme[1]!);
  // Fractions such as 3/10 are no paths, and names that start with "@" are npm
  // scopes or lint rules such as @typescript-eslint/no-unused-vars.
  if (!/[A-Za-z]/.test(match) || match.startsWith('@')) return match;
  return baseName(match);
}

function shortenUrl(url: string, authorityStart: number, scheme: string): string {
  const rest = url.slice(authorityStart);
  const slash = rest.indexOf('/');
  let authority = slash >= 0 ? rest.slice(0, slash) : rest;
  const at = authority.lastIndexOf('@');
  if (at >= 0) authority = authority.slice(at + 1);
  const host = authority.replace(/:\d*$/, '');
  const path = slash >= 0 ? rest.slice(slash).replace(/[?#].*$/, '') : '';
  const last = path.length > 0 ? baseName(path) : '';
  return last.length > 0 ? `${scheme}://${host}/${last}` : `${scheme}://${host}`;
}

/** Returns the last non-empty segment of a slash- or backslash-separated path. */
export function baseName(path: string): string {
  const segments = path.split(/[\\/]/).filter((segment) => segment.length > 0);
  return segments[segments.length - 1] ?? path;
}
