import type { FailureClass } from '../semconv.js';
import { scanLines } from './scan.js';
import { extractTestIds } from './test-ids.js';

/**
 * The failure classes that CI output can show. `requirements_gap` and
 * `review_rejected` come from reviewers, so `classifyFailure` never returns them.
 */
export type CiFailureClass = Exclude<FailureClass, 'requirements_gap' | 'review_rejected'>;

// Every pattern runs on the scanned lines joined by "\n", with the m flag where it
// anchors to a line. Whitespace is written [ \t], never \s, so that no repeat
// crosses a line break, and no pattern repeats a group that can match the same
// text two ways, so matching stays linear.

const MERGE_CONFLICT = [
  /^CONFLICT \([^)\n]*\): /m,
  /\bAutomatic merge failed\b/,
  /\bMerge conflict in\b/,
  /\bcould not apply [0-9a-f]{7,}/,
  /\bResolve all conflicts manually\b/,
  /\bMerging is not possible because you have unmerged files\b/,
  /\bThis branch has conflicts that must be resolved\b/,
];

const INFRASTRUCTURE = [
  // Disk
  /\bNo space left on device\b/i,
  /\bENOSPC\b/,
  /\bDisk quota exceeded\b/i,
  // Network, while fetching dependencies or images
  /\bECONNRESET\b/,
  /\bETIMEDOUT\b/,
  /\bgetaddrinfo (?:ENOTFOUND|EAI_AGAIN)\b/,
  /\bEAI_AGAIN\b/,
  /\bCould not resolve host\b/i,
  /\bTemporary failure in name resolution\b/i,
  /\bConnection reset by peer\b/i,
  /\bConnection timed out\b/i,
  /\bTLS handshake timeout\b/i,
  /\bi\/o timeout\b/,
  /\bnetwork is unreachable\b/i,
  /\bnpm (?:ERR!|error) network\b/,
  /\bMax retries exceeded with url\b/,
  /\bReadTimeoutError\b/,
  /\bspurious network error\b/,
  /\bfailed to download from\b/,
  /\b50[234] (?:Service Unavailable|Bad Gateway|Gateway Time-?out)\b/i,
  // Rate limits
  /\b(?:API )?rate limit (?:exceeded|reached)\b/i,
  /\bsecondary rate limit\b/i,
  /\b429 Too Many Requests\b/i,
  /\btoomanyrequests\b/i,
  // Container images
  /\bError response from daemon\b/,
  /\bfailed to pull image\b/i,
  /\bpull access denied\b/i,
  /\b(?:ErrImagePull|ImagePullBackOff)\b/,
  // Lost or stopped runners
  /\brunner has received a shutdown signal\b/i,
  /\blost communication with the server\b/i,
  /\brunner system failure\b/i,
  /\bJob failed \(system failure\)/,
  // Processes killed by the kernel's OOM killer
  /\bexit(?:ed)? (?:with )?(?:code|status) 137\b/i,
  /\bOOMKilled\b/,
  /\bOut of memory: Kill(?:ed)? process\b/i,
  /^Killed$/m,
];

const TIMEOUT = [
  /\btimed out\b/i,
  /\bTimeout (?:of )?\d+ ?ms exceeded\b/i,
  /\bExceeded timeout of \d+ ?ms\b/i,
  /\btimeout exceeded\b/i,
  /\bdeadline exceeded\b/i,
  /\bexceeded the maximum (?:execution )?time\b/i,
  /\bmaximum time limit\b/i,
  /\bexecution took longer than\b/i,
  /\bTimeoutError\b/,
  /\bFailed: Timeout\b/,
];

// clippy reports through rustc, which ends with "could not compile" as it does
// for a type error; these markers tell the two apart.
const CLIPPY = [/\bclippy::[a-z_]+/, /\brust-clippy\b/];
const RUSTC_GIVING_UP = /^error: (?:could not compile|aborting due to)/m;

const COMPILE = [
  /\berror TS\d{4,5}\b/,
  /^error\[E\d{4}\]/m,
  /^\S+\.go:\d+:\d+: (?!.*\([a-z0-9-]+\)$)/m,
  /\[(?:build|setup) failed\]/,
  /\.java:\d+: error: /,
  /\bCOMPILATION ERROR\b/,
  /\bCompilation failed\b/i,
  /^e: \S+\.kts?:/m,
  /\.(?:c|cc|cpp|cxx|h|hpp|m|mm|swift):\d+:\d+: (?:fatal )?error: /,
  /^\S+\.pyi?:\d+: error: /m,
  /\b(?:SyntaxError|IndentationError|TabError): (?!.*\bJSON\b)/,
  /\bERROR collecting /,
  /\berrors? during collection\b/,
  /\bTransform failed with \d+ errors?\b/,
  /✘ \[ERROR\]/,
  /\bModule not found: Error: Can't resolve\b/,
  /\bCannot find module '[^'\n]*' from\b/,
  /\bFailed to resolve import\b/,
  /\bParsing error: /,
  /\bsyntax error\b/i,
];

const LINT = [
  /^[ \t]+\d+:\d+[ \t]+(?:error|warning)[ \t]{2}\S/m,
  /^✖ \d+ problems? \(/m,
  /\bESLint found too many warnings\b/,
  /^\S+\.pyi?:\d+:\d+: [A-Z]{1,3}\d{3,4}\b/m,
  /^[ \t]*--> \S+\.pyi?:\d+:\d+/m,
  /\[\*\] \d+ fixable with the\b/,
  /^would reformat /m,
  /\b\d+ files? would be reformatted\b/,
  /\bYour code has been rated at\b/,
  /^\S+\.go:\d+:\d+: .*\([a-z0-9-]+\)$/m,
  /^\d+ issues?:$/m,
  ...CLIPPY,
  /\bCode style issues (?:found|detected)\b/,
  /\b\d+ offenses? detected\b/,
  /\bSC\d{4}\b/,
  /\bMD\d{3}\/[a-z-]+/,
];

const TEST_FAILURE = [
  /^=+ .*\b\d+ failed\b/m,
  /\bshort test summary info\b/,
  /^Tests:[ \t]+\d+ failed\b/m,
  /^Test Suites:[ \t]+\d+ failed\b/m,
  /^[ \t]*Tests?[ \t]+\d+ failed\b/m,
  /^[ \t]*Test Files[ \t]+\d+ failed\b/m,
  /^[ \t]*--- FAIL: /m,
  /^FAIL[ \t]+\S+[ \t]+\d+(?:\.\d+)?s$/m,
  /^test result: FAILED\b/m,
  /\berror: test failed, to rerun pass\b/,
  /^[ \t]*\d+ failing$/m,
  /\bTests run: \d+, Failures: [1-9]/,
  /\bThere (?:are|were) test failures\b/,
  /\b\d+ examples?, [1-9]\d* failures?\b/,
  /\bAssertionError\b/,
];

/**
 * Maps CI output to a failure class.
 *
 * When the output matches several classes, the first in this order wins:
 * `merge_conflict`, `infrastructure`, `timeout`, `compile_error`, `lint`,
 * `test_failure`, then `other`. After a merge conflict or a broken runner the
 * code was never fairly tested. A timeout ends a run whatever else it printed. A
 * compile error makes the lint and test results after it meaningless, and lint
 * usually runs before the tests. Empty output is `other`. Only the last
 * `MAX_SCAN_CHARS` of the output are read.
 */
export function classifyFailure(output: string): CiFailureClass {
  return classifyFailureLines(scanLines(output));
}

/** @internal `classifyFailure` of output that `scanLines` already split, for callers that run several analyses. */
export function classifyFailureLines(lines: readonly string[]): CiFailureClass {
  const text = lines.join('\n');
  if (text.trim().length === 0) return 'other';

  if (matchesAny(MERGE_CONFLICT, text)) return 'merge_conflict';
  if (matchesAny(INFRASTRUCTURE, text)) return 'infrastructure';
  if (matchesAny(TIMEOUT, text)) return 'timeout';

  const clippy = matchesAny(CLIPPY, text);
  if (matchesAny(COMPILE, text) || (!clippy && RUSTC_GIVING_UP.test(text))) return 'compile_error';
  if (matchesAny(LINT, text)) return 'lint';
  if (matchesAny(TEST_FAILURE, text) || extractTestIds(lines).length > 0) return 'test_failure';
  return 'other';
}

function matchesAny(patterns: readonly RegExp[], text: string): boolean {
  return patterns.some((pattern) => pattern.test(text));
}
