/**
 * The part of a CI output that the failure functions read, cleaned of terminal
 * control sequences and split into lines.
 */

/**
 * Maximum UTF-16 code units of an output that `failureSignature`,
 * `classifyFailure` and `feedbackSpecificity` read: the last 256 Ki code units
 * (256 KiB of an ASCII log). Test runners and compilers print their summary of
 * failures at the end of a run, so the tail contains what these functions need.
 */
export const MAX_SCAN_CHARS = 256 * 1024;

/** Maximum code units of one line that are analysed. The rest of a longer line is ignored. */
export const MAX_LINE_CHARS = 2048;

// CSI sequences (colours, cursor moves), OSC sequences (titles, hyperlinks) with
// or without their terminator, and two-character escapes. Each alternative
// starts at ESC and its classes are disjoint, so matching is linear.
const ANSI_ESCAPE = /\x1b(?:\[[0-?]*[ -/]*[@-~]?|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-_])/g;
const CONTROL_CHARS = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g;
// Finds a character that either pattern above needs, since ESC is one of the control characters.
const ESCAPE_OR_CONTROL_CHAR = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/;

// The time stamp that downloaded GitHub Actions and GitLab CI logs put before
// every line, with GitLab's stream marker ("00O ", "01E+") after it.
const LOG_TIMESTAMP_PREFIX = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z (?:\d{2}[OE]\+? )?/;

/**
 * Returns the last `MAX_SCAN_CHARS` of `output` as cleaned lines.
 *
 * When the output is cut, the partial first line is dropped. Each line loses its
 * ANSI escape sequences, other control characters and a leading CI log time
 * stamp. A line rewritten in place with carriage returns (a progress bar) keeps
 * only its last version, and a line longer than `MAX_LINE_CHARS` is cut to that
 * length.
 */
export function scanLines(output: string): string[] {
  let text = output;
  if (text.length > MAX_SCAN_CHARS) {
    text = text.slice(text.length - MAX_SCAN_CHARS);
    const newline = text.indexOf('\n');
    if (newline >= 0) text = text.slice(newline + 1);
  }
  // Most outputs contain no escape or control character, and then the two
  // replacements per line that remove them would find nothing.
  const hasControlChars = ESCAPE_OR_CONTROL_CHAR.test(text);
  return text.split('\n').map((line) => cleanLine(line, hasControlChars));
}

function cleanLine(raw: string, hasControlChars: boolean): string {
  let line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
  const carriageReturn = line.lastIndexOf('\r');
  if (carriageReturn >= 0) line = line.slice(carriageReturn + 1);
  if (hasControlChars) line = line.replace(ANSI_ESCAPE, '').replace(CONTROL_CHARS, '');
  line = line.replace(LOG_TIMESTAMP_PREFIX, '');
  return line.length > MAX_LINE_CHARS ? line.slice(0, MAX_LINE_CHARS) : line;
}
