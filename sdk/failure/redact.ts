/**
 * Redaction of credentials and personal data from text that a user chose to
 * record, such as a failure message.
 */

/** Kind of secret that a `[REDACTED:<kind>]` marker replaced. */
export type RedactionKind =
  | 'private_key'
  | 'github_token'
  | 'gitlab_token'
  | 'aws_access_key_id'
  | 'aws_secret_access_key'
  | 'slack_token'
  | 'anthropic_key'
  | 'openai_key'
  | 'stripe_key'
  | 'google_api_key'
  | 'npm_token'
  | 'jwt'
  | 'bearer_token'
  | 'authorization'
  | 'url_credentials'
  | 'password'
  | 'secret'
  | 'token'
  | 'api_key'
  | 'connection_string_key'
  | 'slack_webhook'
  | 'cookie'
  | 'basic_auth'
  | 'email';

/** Text with its secrets replaced, and how many spans were replaced. */
export interface RedactionResult {
  text: string;
  redactions: number;
}

/** A range of the input to replace. Lower `rank` wins the kind when ranges overlap. */
interface Span {
  start: number;
  end: number;
  kind: RedactionKind;
  rank: number;
}

interface TokenRule {
  kind: RedactionKind;
  pattern: RegExp;
}

// Token formats with a fixed, documented prefix. Each pattern starts with a
// lookbehind that rejects a start inside a longer word, so every run of token
// characters is tried from one start only and matching stays linear. Repeats are
// unbounded so that a longer token than usual is still redacted in full.
const TOKEN_RULES: readonly TokenRule[] = [
  { kind: 'github_token', pattern: /(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})/g },
  // GitLab's personal, deploy, runner, CI job, trigger, feed and other tokens,
  // with the ".<digits>.<part>" suffix of routable tokens.
  { kind: 'gitlab_token', pattern: /(?<![A-Za-z0-9_])gl(?:pat|dt|rt|cbt|ptt|ft|imt|oas|soat|ffct|agent)-[A-Za-z0-9_-]{20,}(?:\.[A-Za-z0-9_-]+){0,2}/g },
  { kind: 'aws_access_key_id', pattern: /(?<![A-Z0-9])(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}(?![A-Z0-9])/g },
  { kind: 'slack_token', pattern: /(?<![\w-])xox[abposr]-[A-Za-z0-9-]{10,}/g },
  { kind: 'anthropic_key', pattern: /(?<![\w-])sk-ant-[A-Za-z0-9_-]{20,}/g },
  // sk- followed by 20 or more key characters with a digit among them, so that
  // hyphenated words such as "sk-learn-compatible-models" stay.
  { kind: 'openai_key', pattern: /(?<![\w-])sk-(?!ant-)(?=[A-Za-z0-9_-]*\d)[A-Za-z0-9_-]{20,}/g },
  { kind: 'stripe_key', pattern: /(?<![\w-])[rs]k_(?:live|test)_[A-Za-z0-9]{16,}/g },
  { kind: 'google_api_key', pattern: /(?<![\w-])AIza[0-9A-Za-z_-]{30,}/g },
  { kind: 'npm_token', pattern: /(?<![\w-])npm_[A-Za-z0-9]{30,}/g },
  { kind: 'jwt', pattern: /(?<![\w-])eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g },
  // Azure storage and Service Bus connection strings, and SAS signatures.
  { kind: 'connection_string_key', pattern: /(?<=(?:AccountKey|SharedAccessKey)=|[?&]sig=)[A-Za-z0-9+/%=]{8,}/gi },
  { kind: 'slack_webhook', pattern: /hooks\.slack\.com\/services\/[A-Za-z0-9/]{8,}/g },
  // Cookie headers carry session tokens; the whole value goes. The blanks in
  // both lookbehinds are bounded: an unbounded run makes every start inside a
  // long run of spaces scan back over all of it, which is quadratic.
  { kind: 'cookie', pattern: /(?<=(?:^|[\s"'])(?:Set-)?Cookie:[ \t]{0,8})[^\r\n"']+/gim },
  // curl -u user:password and --user user:password.
  { kind: 'basic_auth', pattern: /(?<=(?:^|\s)(?:-u|--user)[ \t]{1,8}["']?)[^\s"':]+:[^\s"']+/g },
];

const PEM_BEGIN = /-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----/g;
const PEM_END = '-----END ';
const ANSI_ESCAPE = /\u001b\[[0-9;?]*[ -\/]*[@-~]/g;

// scheme://user:password@host: the user information up to the last "@" before
// the path.
// The password may contain "/", "?", "#" and "@", so it runs to the last "@"
// before whitespace or a quote. Both parts are bounded, so that a long line
// without "@" costs linear time.
const URL_CREDENTIALS = /(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]{0,30}:\/\/([^\s/?#@:"'<>]{0,256}:[^\s"'<>]{0,256})@/dg;

// "Bearer <token>" outside an Authorization header (which the assignment rule
// covers), as in curl commands and logged request options.
const BEARER = /(?<![\w-])[Bb]earer[ \t]+([A-Za-z0-9._~+/=-]{8,})/dg;

// A key followed by "=", ":", ":=" or "=>": the key may be quoted, and a second
// ":" or "=" (as in a::b or a == b) is no assignment. Keys are at most 100
// characters, so each start costs a bounded number of steps.
const ASSIGNMENT_KEY = /(?<![\w.-])([\w.-]{1,100})["']?[ \t]{0,8}(?:=>|:=|[:=])(?![:=])[ \t]{0,8}/dg;
const UNQUOTED_VALUE = /[^\s"'`,;&)\]}>]+/y;
// Every sensitive key contains one of these; the others are rejected before the
// key is split into words.
const SENSITIVE_KEY_HINT = /pass|pwd|secret|token|key|authorization|credential/;

const EMAIL =
  /(?<![\w.%+-])([\w.%+-]{1,64})@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,24}(?![\w-])/g;

// Local parts that name an SSH or system user rather than a person.
const NON_PERSONAL_LOCAL_PARTS = new Set(['git']);

const RANK_PRIVATE_KEY = 0;
const RANK_TOKEN = 1;
const RANK_URL = 2;
const RANK_ASSIGNMENT = 3;
const RANK_EMAIL = 4;

/**
 * Replaces credentials and email addresses in `text` with `[REDACTED:<kind>]`.
 *
 * Redacts:
 * - private-key PEM blocks, to the end of the text when the END line is missing;
 * - GitHub, AWS access key id, Slack, Anthropic, OpenAI, Stripe, Google and npm
 *   tokens, found by their prefixes, and JWTs;
 * - the token after "Bearer" and the value of an Authorization header;
 * - the user and password of any `scheme://user:pass@` URL;
 * - the value assigned to a key that names a password, secret, token, API key
 *   or AWS secret access key;
 * - email addresses.
 *
 * Overlapping matches are merged into one marker, so no part of a matched secret
 * is left. The whole text is scanned, in time linear in its length. Values that
 * CI already masked as `***` are kept.
 */
export function redactSecrets(input: string): RedactionResult {
  // ANSI colour codes can sit between a key and its value, and JSON escaped into
  // a string hides the quotes the rules look for. Both are removed first.
  const text = input.replace(ANSI_ESCAPE, '').replace(/\\(["'])/g, '$1');
  const spans: Span[] = [];
  collectPrivateKeys(text, spans);
  collectTokens(text, spans);
  collectUrlCredentials(text, spans);
  collectBearerTokens(text, spans);
  collectAssignments(text, spans);
  collectEmails(text, spans);
  return applySpans(text, spans);
}

function collectPrivateKeys(text: string, spans: Span[]): void {
  PEM_BEGIN.lastIndex = 0;
  let begin: RegExpExecArray | null;
  while ((begin = PEM_BEGIN.exec(text))) {
    const endMarker = text.indexOf(PEM_END, PEM_BEGIN.lastIndex);
    let end = text.length;
    if (endMarker >= 0) {
      const close = text.indexOf('-----', endMarker + PEM_END.length);
      end = close >= 0 ? close + 5 : text.length;
    }
    spans.push({ start: begin.index, end, kind: 'private_key', rank: RANK_PRIVATE_KEY });
    PEM_BEGIN.lastIndex = end;
  }
}

function collectTokens(text: string, spans: Span[]): void {
  for (const rule of TOKEN_RULES) {
    for (const match of text.matchAll(rule.pattern)) {
      spans.push({ start: match.index, end: match.index + match[0].length, kind: rule.kind, rank: RANK_TOKEN });
    }
  }
}

function collectUrlCredentials(text: string, spans: Span[]): void {
  for (const match of text.matchAll(URL_CREDENTIALS)) {
    const [start, end] = match.indices![1]!;
    spans.push({ start, end, kind: 'url_credentials', rank: RANK_URL });
  }
}

function collectBearerTokens(text: string, spans: Span[]): void {
  for (const match of text.matchAll(BEARER)) {
    const token = match[1]!;
    // Prose such as "bearer authentication" has no digit; real tokens are long
    // random strings that nearly always have one.
    if (!/\d/.test(token) && token.length < 20) continue;
    const [start, end] = match.indices![1]!;
    spans.push({ start, end, kind: 'bearer_token', rank: RANK_TOKEN });
  }
}

function collectAssignments(text: string, spans: Span[]): void {
  // A key inside the user information of a URL (https://x-access-token:...@host)
  // is the URL rule's, whose span ends at the "@" that this rule cannot see.
  const credentials = spans.filter((span) => span.kind === 'url_credentials');
  let next = 0;

  ASSIGNMENT_KEY.lastIndex = 0;
  let match: RegExpExecArray | null;
  while ((match = ASSIGNMENT_KEY.exec(text))) {
    while (next < credentials.length && credentials[next]!.end <= match.index) next += 1;
    const enclosing = credentials[next];
    if (enclosing && enclosing.start <= match.index) continue;

    const kind = sensitiveKeyKind(match[1]!);
    if (!kind) continue;
    const value = valueSpan(text, match.index + match[0].length, kind === 'authorization');
    if (!value) continue;
    const [start, end] = value;
    // The search goes on after the value, so a value such as
    // "password=password=..." is read once, not once per key inside it.
    ASSIGNMENT_KEY.lastIndex = Math.max(ASSIGNMENT_KEY.lastIndex, end);
    if (/^\*+$/.test(text.slice(start, end))) continue;
    spans.push({ start, end, kind, rank: RANK_ASSIGNMENT });
  }
}

function collectEmails(text: string, spans: Span[]): void {
  // The password of scheme://user:password@host.tld also looks like the local
  // part of an email address; the URL rule already covers it.
  const credentialEnds = new Set(spans.filter((span) => span.kind === 'url_credentials').map((span) => span.end));
  for (const match of text.matchAll(EMAIL)) {
    const local = match[1]!;
    const at = match.index + local.length;
    if (NON_PERSONAL_LOCAL_PARTS.has(local) || credentialEnds.has(at)) continue;
    spans.push({ start: match.index, end: match.index + match[0].length, kind: 'email', rank: RANK_EMAIL });
  }
}

/**
 * Returns the kind of secret that a key names, or undefined for other keys.
 * The key is split into words at separators and lower-to-upper case changes, so
 * "clientSecret" and "DB_PASS" match while "secretary" and "max_tokens" do not.
 */
export function sensitiveKeyKind(key: string): RedactionKind | undefined {
  const compact = key.toLowerCase().replace(/[^a-z0-9]/g, '');
  if (!SENSITIVE_KEY_HINT.test(compact)) return undefined;
  const words = key
    .split(/[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])/)
    .filter((word) => word.length > 0)
    .map((word) => word.toLowerCase());
  const last = words[words.length - 1] ?? '';

  if (compact.endsWith('authorization')) return 'authorization';
  if (compact.includes('awssecretaccesskey')) return 'aws_secret_access_key';
  if (/pass(?:word|wd|phrase)/.test(compact) || last === 'pass' || last === 'pwd') return 'password';
  if (/(?:api|access)key/.test(compact)) return 'api_key';
  if (
    /(?:private|signing|encryption)key/.test(compact) ||
    words.some((word) => word.endsWith('secret') || word === 'credential' || word === 'credentials')
  ) {
    return 'secret';
  }
  if (last.endsWith('token')) return 'token';
  return undefined;
}

/**
 * Returns the range of the value that starts at `from`, without its quotes.
 * A quoted value ends at its closing quote or the end of the line. An
 * Authorization header's value is the rest of the line. Any other value ends at
 * whitespace, a quote, ",", ";", "&" or a closing bracket.
 */
function valueSpan(text: string, from: number, toEndOfLine: boolean): [number, number] | undefined {
  const quote = text[from];
  if (quote === '"' || quote === "'" || quote === '`') {
    let index = from + 1;
    while (index < text.length && text[index] !== quote && text[index] !== '\n') {
      index += text[index] === '\\' ? 2 : 1;
    }
    const end = Math.min(index, text.length);
    return end > from + 1 ? [from + 1, end] : undefined;
  }
  if (toEndOfLine) {
    let end = from;
    while (end < text.length && !'\r\n"\''.includes(text[end]!)) end += 1;
    while (end > from && /\s/.test(text[end - 1]!)) end -= 1;
    return end > from ? [from, end] : undefined;
  }
  UNQUOTED_VALUE.lastIndex = from;
  const match = UNQUOTED_VALUE.exec(text);
  return match ? [from, from + match[0].length] : undefined;
}

/** Merges overlapping spans and replaces each merged span with one marker. */
function applySpans(text: string, spans: Span[]): RedactionResult {
  if (spans.length === 0) return { text, redactions: 0 };
  spans.sort((a, b) => a.start - b.start || a.rank - b.rank || b.end - a.end);

  const merged: Span[] = [];
  for (const span of spans) {
    const last = merged[merged.length - 1];
    if (last && span.start < last.end) {
      last.end = Math.max(last.end, span.end);
      if (span.rank < last.rank) {
        last.kind = span.kind;
        last.rank = span.rank;
      }
    } else {
      merged.push({ ...span });
    }
  }

  const parts: string[] = [];
  let position = 0;
  for (const span of merged) {
    parts.push(text.slice(position, span.start), `[REDACTED:${span.kind}]`);
    position = span.end;
  }
  parts.push(text.slice(position));
  return { text: parts.join(''), redactions: merged.length };
}
