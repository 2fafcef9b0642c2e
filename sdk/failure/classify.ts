import type { FailureClass } from '../semconv.js';
import { scanLines } from './scan.js';
import { extractTestIds } from './test-ids.js';
import { gated, mayMatch, wordsOf, type GatedPattern } from './words.js';

/**
 * The failure classes that CI output can show. `requirements_gap` and
 * `review_rejected` come from reviewers, so `classifyFailure` never returns them.
 */
export type CiFailureClass = Exclude<FailureClass, 'requirements_gap' | 'review_rejected'>;

// Every pattern runs on the scanned lines joined by "\n", with the m flag where it
// anchors to a line. Whitespace is written [ \t], never \s, so that no repeat
// crosses a line break, and no pattern repeats a group that can match the same
// text two ways, so matching stays linear. Each pattern comes with the words that
// every match of it contains (see words.ts), and runs only when the output has one.

const MERGE_CONFLICT = [
  gated(/^CONFLICT \([^)\n]*\): /m, 'conflict'),
  gated(/\bAutomatic merge failed\b/, 'automatic'),
  gated(/\bMerge conflict in\b/, 'conflict'),
  gated(/\bcould not apply [0-9a-f]{7,}/, 'apply'),
  gated(/\bResolve all conflicts manually\b/, 'conflicts'),
  gated(/\bMerging is not possible because you have unmerged files\b/, 'merging'),
  gated(/\bThis branch has conflicts that must be resolved\b/, 'conflicts'),
];

const INFRASTRUCTURE = [
  // Disk
  gated(/\bNo space left on device\b/i, 'device'),
  gated(/\bENOSPC\b/, 'enospc'),
  gated(/\bDisk quota exceeded\b/i, 'quota'),
  // Network, while fetching dependencies or images
  gated(/\bECONNRESET\b/, 'econnreset'),
  gated(/\bETIMEDOUT\b/, 'etimedout'),
  gated(/\bgetaddrinfo (?:ENOTFOUND|EAI_AGAIN)\b/, 'getaddrinfo'),
  gated(/\bEAI_AGAIN\b/, 'eai_again'),
  gated(/\bCould not resolve host\b/i, 'resolve'),
  gated(/\bTemporary failure in name resolution\b/i, 'resolution'),
  gated(/\bConnection reset by peer\b/i, 'peer'),
  gated(/\bConnection timed out\b/i, 'connection'),
  gated(/\bTLS handshake timeout\b/i, 'handshake'),
  gated(/\bi\/o timeout\b/, 'timeout'),
  gated(/\bnetwork is unreachable\b/i, 'unreachable'),
  gated(/\bnpm (?:ERR!|error) network\b/, 'npm'),
  gated(/\bMax retries exceeded with url\b/, 'retries'),
  gated(/\bReadTimeoutError\b/, 'readtimeouterror'),
  gated(/\bspurious network error\b/, 'spurious'),
  gated(/\bfailed to download from\b/, 'download'),
  gated(/\b50[234] (?:Service Unavailable|Bad Gateway|Gateway Time-?out)\b/i, 'unavailable', 'gateway'),
  // Rate limits
  gated(/\b(?:API )?rate limit (?:exceeded|reached)\b/i, 'rate'),
  gated(/\bsecondary rate limit\b/i, 'rate'),
  gated(/\b429 Too Many Requests\b/i, 'requests'),
  gated(/\btoomanyrequests\b/i, 'toomanyrequests'),
  // Container images
  gated(/\bError response from daemon\b/, 'daemon'),
  gated(/\bfailed to pull image\b/i, 'image'),
  gated(/\bpull access denied\b/i, 'denied'),
  gated(/\b(?:ErrImagePull|ImagePullBackOff)\b/, 'errimagepull', 'imagepullbackoff'),
  // Lost or stopped runners
  gated(/\brunner has received a shutdown signal\b/i, 'shutdown'),
  gated(/\blost communication with the server\b/i, 'communication'),
  gated(/\brunner system failure\b/i, 'system'),
  gated(/\bJob failed \(system failure\)/, 'system'),
  // Processes killed by the kernel's OOM killer
  gated(/\bexit(?:ed)? (?:with )?(?:code|status) 137\b/i, '137'),
  gated(/\bOOMKilled\b/, 'oomkilled'),
  gated(/\bOut of memory: Kill(?:ed)? process\b/i, 'memory'),
  gated(/^Killed$/m, 'killed'),
];

const TIMEOUT = [
  gated(/\btimed out\b/i, 'timed'),
  gated(/\bTimeout (?:of )?\d+ ?ms exceeded\b/i, 'timeout'),
  gated(/\bExceeded timeout of \d+ ?ms\b/i, 'timeout'),
  gated(/\btimeout exceeded\b/i, 'timeout'),
  gated(/\bdeadline exceeded\b/i, 'deadline'),
  gated(/\bexceeded the maximum (?:execution )?time\b/i, 'maximum'),
  gated(/\bmaximum time limit\b/i, 'maximum'),
  gated(/\bexecution took longer than\b/i, 'longer'),
  gated(/\bTimeoutError\b/, 'timeouterror'),
  gated(/\bFailed: Timeout\b/, 'timeout'),
];

// clippy reports through rustc, which ends with "could not compile" as it does
// for a type error; these markers tell the two apart.
const CLIPPY = [gated(/\bclippy::[a-z_]+/, 'clippy'), gated(/\brust-clippy\b/, 'clippy')];
const RUSTC_GIVING_UP = gated(/^error: (?:could not compile|aborting due to)/m, 'compile', 'aborting');

const COMPILE = [
  gated(/\berror TS\d{4,5}\b/, 'error'),
  gated(/^error\[E\d{4}\]/m, 'error'),
  gated(/^\S+\.go:\d+:\d+: (?!.*\([a-z0-9-]+\)$)/m, 'go'),
  gated(/\[(?:build|setup) failed\]/, 'build', 'setup'),
  gated(/\.java:\d+: error: /, 'java'),
  gated(/\bCOMPILATION ERROR\b/, 'compilation'),
  gated(/\bCompilation failed\b/i, 'compilation'),
  gated(/^e: \S+\.kts?:/m, 'kt', 'kts'),
  gated(/\.(?:c|cc|cpp|cxx|h|hpp|m|mm|swift):\d+:\d+: (?:fatal )?error: /, 'error'),
  gated(/^\S+\.pyi?:\d+: error: /m, 'error'),
  gated(/\b(?:SyntaxError|IndentationError|TabError): (?!.*\bJSON\b)/, 'syntaxerror', 'indentationerror', 'taberror'),
  gated(/\bERROR collecting /, 'collecting'),
  gated(/\berrors? during collection\b/, 'collection'),
  gated(/\bTransform failed with \d+ errors?\b/, 'transform'),
  gated(/✘ \[ERROR\]/, 'error'),
  gated(/\bModule not found: Error: Can't resolve\b/, 'resolve'),
  gated(/\bCannot find module '[^'\n]*' from\b/, 'module'),
  gated(/\bFailed to resolve import\b/, 'import'),
  gated(/\bParsing error: /, 'parsing'),
  gated(/\bsyntax error\b/i, 'syntax'),
];

const LINT = [
  // [ \t]{2} after the severity: two spaces, two tabs or one of each.
  gated(/^[ \t]+\d+:\d+[ \t]+(?:error|warning)[ \t]{2}\S/m, 'error', 'warning'),
  gated(/^✖ \d+ problems? \(/m, 'problem', 'problems'),
  gated(/\bESLint found too many warnings\b/, 'eslint'),
  gated(/^\S+\.pyi?:\d+:\d+: [A-Z]{1,3}\d{3,4}\b/m, 'py', 'pyi'),
  gated(/^[ \t]*--> \S+\.pyi?:\d+:\d+/m, 'py', 'pyi'),
  gated(/\[\*\] \d+ fixable with the\b/, 'fixable'),
  gated(/^would reformat /m, 'reformat'),
  gated(/\b\d+ files? would be reformatted\b/, 'reformatted'),
  gated(/\bYour code has been rated at\b/, 'rated'),
  gated(/^\S+\.go:\d+:\d+: .*\([a-z0-9-]+\)$/m, 'go'),
  gated(/^\d+ issues?:$/m, 'issue', 'issues'),
  ...CLIPPY,
  gated(/\bCode style issues (?:found|detected)\b/, 'style'),
  gated(/\b\d+ offenses? detected\b/, 'detected'),
  // No fixed word: the code is part of the word, so these two always run.
  gated(/\bSC\d{4}\b/),
  gated(/\bMD\d{3}\/[a-z-]+/),
];

const TEST_FAILURE = [
  gated(/^=+ .*\b\d+ failed\b/m, 'failed'),
  gated(/\bshort test summary info\b/, 'summary'),
  gated(/^Tests:[ \t]+\d+ failed\b/m, 'failed'),
  gated(/^Test Suites:[ \t]+\d+ failed\b/m, 'failed'),
  gated(/^[ \t]*Tests?[ \t]+\d+ failed\b/m, 'failed'),
  gated(/^[ \t]*Test Files[ \t]+\d+ failed\b/m, 'failed'),
  gated(/^[ \t]*--- FAIL: /m, 'fail'),
  gated(/^FAIL[ \t]+\S+[ \t]+\d+(?:\.\d+)?s$/m, 'fail'),
  gated(/^test result: FAILED\b/m, 'failed'),
  gated(/\berror: test failed, to rerun pass\b/, 'rerun'),
  gated(/^[ \t]*\d+ failing$/m, 'failing'),
  gated(/\bTests run: \d+, Failures: [1-9]/, 'failures'),
  gated(/\bThere (?:are|were) test failures\b/, 'failures'),
  gated(/\b\d+ examples?, [1-9]\d* failures?\b/, 'failure', 'failures'),
  gated(/\bAssertionError\b/, 'assertionerror'),
];

/** @internal The patterns of each class that `classifyFailure` tests, in its order of precedence. */
export const CLASS_RULES = { MERGE_CONFLICT, INFRASTRUCTURE, TIMEOUT, CLIPPY, RUSTC_GIVING_UP, COMPILE, LINT, TEST_FAILURE } as const;

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

/**
 * @internal `classifyFailure` of output that `scanLines` already split, for
 * callers that run several analyses. `words` are the output's `wordsOf(lines)`.
 */
export function classifyFailureLines(lines: readonly string[], words: ReadonlySet<string> = wordsOf(lines)): CiFailureClass {
  const text = lines.join('\n');
  if (text.trim().length === 0) return 'other';

  if (matchesAny(MERGE_CONFLICT, text, words)) return 'merge_conflict';
  if (matchesAny(INFRASTRUCTURE, text, words)) return 'infrastructure';
  if (matchesAny(TIMEOUT, text, words)) return 'timeout';

  if (matchesAny(COMPILE, text, words)) return 'compile_error';
  if (matches(RUSTC_GIVING_UP, text, words) && !matchesAny(CLIPPY, text, words)) return 'compile_error';
  if (matchesAny(LINT, text, words)) return 'lint';
  if (matchesAny(TEST_FAILURE, text, words) || extractTestIds(lines).length > 0) return 'test_failure';
  return 'other';
}

function matchesAny(rules: readonly GatedPattern[], text: string, words: ReadonlySet<string>): boolean {
  for (const candidate of rules) {
    if (matches(candidate, text, words)) return true;
  }
  return false;
}

function matches(candidate: GatedPattern, text: string, words: ReadonlySet<string>): boolean {
  return mayMatch(candidate, words) && candidate.pattern.test(text);
}
