import { runIdSchema } from './schema.js';
import { TASK_COMPLEXITIES, type TaskComplexity } from './semconv.js';

/**
 * Pure helpers that write a run id into a pull request and read it back, so that
 * a webhook handler can find the run a pull request belongs to. There are three
 * carriers, read in this order:
 *
 * 1. a marker in the pull request body, an HTML comment that GitHub does not render:
 *    `<!-- factory.run.id=run-42 gen_ai.request.model=claude-sonnet-4-5 factory.task.complexity=standard -->`;
 * 2. the head branch name `factory/<run id>` or `factory/<run id>/<anything>`;
 * 3. a git trailer `Factory-Run-Id: <run id>` in a commit message.
 *
 * Only the body marker also carries the model, provider and complexity, which
 * label the spans that the handler records.
 */

/** The run facts that a pull request carries. */
export interface PullRequestLink {
  runId: string;
  /** `gen_ai.request.model` of the run. */
  model?: string;
  /** `gen_ai.provider.name` of the run. */
  provider?: string;
  complexity?: TaskComplexity;
}

/** Carrier in which a link was found. */
export type PullRequestLinkSource = 'body' | 'branch' | 'trailer';

/** Prefix of the head branch names that carry a run id. */
export const RUN_BRANCH_PREFIX = 'factory/';

/** Key of the commit trailer that carries a run id. */
export const RUN_ID_TRAILER = 'Factory-Run-Id';

const MARKER_KEYS = {
  runId: 'factory.run.id',
  model: 'gen_ai.request.model',
  provider: 'gen_ai.provider.name',
  complexity: 'factory.task.complexity',
} as const;

const MARKER_PATTERN = /<!--\s*factory\.run\.id=(\S+)((?:\s+[a-z_.]+=\S+)*)\s*-->/;
// Branch-safe run ids: git forbids spaces, `..`, `~^:?*[\`, and names ending in `.lock`.
const BRANCH_RUN_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const TRAILER_PATTERN = new RegExp(`^${RUN_ID_TRAILER}:[ \\t]*(\\S.*?)[ \\t]*$`, 'im');

/**
 * Returns the body marker for `link`, to append to the pull request body. Values
 * are percent-encoded, so any valid run id fits. Returns undefined for an invalid
 * run id (empty, longer than 256 characters, or with control characters).
 */
export function pullRequestMarker(link: PullRequestLink): string | undefined {
  if (!runIdSchema.safeParse(link.runId).success) return undefined;
  const fields = (Object.keys(MARKER_KEYS) as (keyof PullRequestLink)[])
    .filter((key) => link[key] !== undefined && link[key] !== '')
    .map((key) => `${MARKER_KEYS[key]}=${encodeURIComponent(String(link[key]))}`);
  return `<!-- ${fields.join(' ')} -->`;
}

/**
 * Reads the first body marker. Returns undefined when there is none or its run id
 * is invalid; an unknown complexity is left out, unknown keys are ignored.
 */
export function parsePullRequestMarker(body: string | null | undefined): PullRequestLink | undefined {
  const match = typeof body === 'string' ? MARKER_PATTERN.exec(body) : null;
  if (match === null) return undefined;
  const runId = decode(match[1]!);
  if (runId === undefined || !runIdSchema.safeParse(runId).success) return undefined;

  const link: PullRequestLink = { runId };
  for (const pair of (match[2] ?? '').trim().split(/\s+/).filter((text) => text !== '')) {
    const separator = pair.indexOf('=');
    const key = pair.slice(0, separator);
    const value = decode(pair.slice(separator + 1));
    if (value === undefined || value === '' || /\p{Cc}/u.test(value)) continue;
    if (key === MARKER_KEYS.model) link.model = value;
    else if (key === MARKER_KEYS.provider) link.provider = value;
    else if (key === MARKER_KEYS.complexity && (TASK_COMPLEXITIES as readonly string[]).includes(value)) link.complexity = value as TaskComplexity;
  }
  return link;
}

/**
 * Returns the head branch name `factory/<runId>`, or `factory/<runId>/<suffix>`.
 * Returns undefined when the run id cannot be part of a branch name: it must start
 * with a letter or digit, contain only letters, digits, `_`, `.` and `-`, have no
 * `..`, and not end in `.lock` (UUIDs from newRunId always fit).
 */
export function runBranchName(runId: string, suffix?: string): string | undefined {
  if (!isBranchRunId(runId)) return undefined;
  return suffix === undefined || suffix === '' ? `${RUN_BRANCH_PREFIX}${runId}` : `${RUN_BRANCH_PREFIX}${runId}/${suffix}`;
}

/** Reads the run id from a head branch name made by runBranchName, with or without `refs/heads/`. */
export function parseRunBranchName(branch: string | null | undefined): string | undefined {
  if (typeof branch !== 'string') return undefined;
  const name = branch.startsWith('refs/heads/') ? branch.slice('refs/heads/'.length) : branch;
  if (!name.startsWith(RUN_BRANCH_PREFIX)) return undefined;
  const runId = name.slice(RUN_BRANCH_PREFIX.length).split('/')[0] ?? '';
  return isBranchRunId(runId) ? runId : undefined;
}

/**
 * Returns the trailer line `Factory-Run-Id: <runId>`, to add as the last
 * paragraph of a commit message (`git commit --trailer`). Returns undefined for an
 * invalid run id, one with a line separator, or one with leading or trailing
 * whitespace, which git would strip.
 */
export function runIdTrailer(runId: string): string | undefined {
  if (!runIdSchema.safeParse(runId).success || runId.trim() !== runId || /[\u2028\u2029]/.test(runId)) return undefined;
  return `${RUN_ID_TRAILER}: ${runId}`;
}

/** Reads the run id of the last `Factory-Run-Id` trailer of a commit message; the key is case-insensitive, as git treats it. */
export function parseRunIdTrailer(message: string | null | undefined): string | undefined {
  if (typeof message !== 'string') return undefined;
  const pattern = new RegExp(TRAILER_PATTERN.source, 'gim');
  let runId: string | undefined;
  for (const match of message.matchAll(pattern)) runId = match[1];
  return runId !== undefined && runIdSchema.safeParse(runId).success ? runId : undefined;
}

/**
 * Finds a pull request's run from its body, head branch and commit messages, in
 * that order of precedence. Returns undefined for a pull request with no run id,
 * which a webhook handler records as human-authored.
 */
export function findRunLink(pullRequest: {
  body?: string | null;
  branch?: string | null;
  commitMessages?: readonly string[];
}): { link: PullRequestLink; source: PullRequestLinkSource } | undefined {
  const marker = parsePullRequestMarker(pullRequest.body);
  if (marker !== undefined) return { link: marker, source: 'body' };
  const fromBranch = parseRunBranchName(pullRequest.branch);
  if (fromBranch !== undefined) return { link: { runId: fromBranch }, source: 'branch' };
  for (const message of [...(pullRequest.commitMessages ?? [])].reverse()) {
    const fromTrailer = parseRunIdTrailer(message);
    if (fromTrailer !== undefined) return { link: { runId: fromTrailer }, source: 'trailer' };
  }
  return undefined;
}

function isBranchRunId(runId: string): boolean {
  return runId.length <= 200 && BRANCH_RUN_ID.test(runId) && !runId.includes('..') && !runId.endsWith('.lock');
}

function decode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}
