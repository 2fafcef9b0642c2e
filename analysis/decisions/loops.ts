import { wilsonInterval, type ProportionInterval } from '../stats/index.js';
import { checkRunCounts } from './counts.js';
import { percent, percentInterval } from './format.js';
import type { LoopSliceCounts, LoopsInput } from './types.js';

/**
 * Whether a slice's retries learn. `not_learning` and `learning` are claimed
 * only when an interval lies wholly on one side of a limit. `unclear` means
 * the intervals straddle the limits, usually from too few runs or retries.
 */
export type LoopStatus = 'not_learning' | 'learning' | 'unclear';

/** The retry loop of one team or repository. */
export interface LoopSlice {
  kind: 'team' | 'repository';
  name: string;
  resolved: number;
  oneShot: ProportionInterval;
  autonomous: ProportionInterval;
  /** (autonomous - oneShot) / resolved: the gap between the two rates, the share of runs that retries rescued. */
  gap: ProportionInterval;
  /** (autonomous - oneShot) / (resolved - oneShot): the share of first-attempt misses that retries rescued. */
  rescued: ProportionInterval;
  /** retriesRepeated / retriesVerified: verified retries that failed the same way as the attempt before. */
  repeated: ProportionInterval;
  status: LoopStatus;
  /** The reason for the status, in one sentence. */
  sentence: string;
}

/** Result of the loop analysis. */
export interface LoopsAnswer {
  slices: LoopSlice[];
  /** `kind:name` of the slices whose retries do not learn. */
  notLearning: string[];
  confidence: number;
  /** True when at least one slice's retries do not learn, for a CLI's exit code. */
  significant: boolean;
}

/**
 * Analyses the retry loops of teams and repositories. The gap between
 * autonomous and one-shot success is the share of runs that retries rescued.
 * A slice's retries do not learn when, at the stated confidence, more than
 * `repeatedShareLimit` of its verified retries repeat the previous failure, or
 * fewer than `rescueShareLimit` of its first-attempt misses are rescued.
 */
export function analyseLoops(input: LoopsInput): LoopsAnswer {
  const confidence = input.confidence ?? 0.95;
  const repeatedLimit = input.repeatedShareLimit ?? 0.5;
  const rescueLimit = input.rescueShareLimit ?? 0.15;
  input.slices.forEach(checkSlice);

  const slices = input.slices.map((slice) => describeSlice(slice, { confidence, repeatedLimit, rescueLimit }));
  const notLearning = slices.filter((slice) => slice.status === 'not_learning').map((slice) => `${slice.kind}:${slice.name}`);
  return { slices, notLearning, confidence, significant: notLearning.length > 0 };
}

function checkSlice(slice: LoopSliceCounts): void {
  const name = `${slice.kind} ${slice.name}`;
  checkRunCounts(slice, name);
  for (const field of ['retriesVerified', 'retriesRepeated'] as const) {
    if (!Number.isInteger(slice[field]) || slice[field] < 0) {
      throw new RangeError(`${name}.${field} must be a whole number of 0 or more, got ${slice[field]}`);
    }
  }
  if (slice.retriesRepeated > slice.retriesVerified) {
    throw new RangeError(
      `${name}.retriesRepeated (${slice.retriesRepeated}) must not exceed retriesVerified (${slice.retriesVerified})`,
    );
  }
}

interface Limits {
  confidence: number;
  repeatedLimit: number;
  rescueLimit: number;
}

function describeSlice(slice: LoopSliceCounts, limits: Limits): LoopSlice {
  const { confidence, repeatedLimit, rescueLimit } = limits;
  const rescuedRuns = slice.autonomous - slice.oneShot;
  const misses = slice.resolved - slice.oneShot;
  const rescued = wilsonInterval({ successes: rescuedRuns, trials: misses }, confidence);
  const repeated = wilsonInterval({ successes: slice.retriesRepeated, trials: slice.retriesVerified }, confidence);

  const repeatsTooOften = slice.retriesVerified > 0 && repeated.lower > repeatedLimit;
  const rescuesTooFew = misses > 0 && rescued.upper < rescueLimit;
  const repeatsRarely = slice.retriesVerified > 0 && repeated.upper < repeatedLimit;
  const rescuesEnough = misses > 0 && rescued.lower > rescueLimit;

  let status: LoopStatus = 'unclear';
  if (repeatsTooOften || rescuesTooFew) status = 'not_learning';
  else if (repeatsRarely && rescuesEnough) status = 'learning';

  const rescuedText = `retries rescued ${rescuedRuns} of ${misses} first-attempt misses (${percent(rescued.estimate)}, interval ${percentInterval(rescued)})`;
  const repeatedText = `${slice.retriesRepeated} of ${slice.retriesVerified} verified retries repeated the previous failure (${percent(repeated.estimate)}, interval ${percentInterval(repeated)})`;
  const sentences: Record<LoopStatus, string> = {
    not_learning: `Retries do not learn: ${[repeatsTooOften ? repeatedText : '', rescuesTooFew ? rescuedText : ''].filter(Boolean).join(', and ')}.`,
    learning: `Retries learn: ${rescuedText}, and ${repeatedText}.`,
    unclear: `Not enough evidence either way: ${rescuedText}, and ${repeatedText}.`,
  };

  return {
    kind: slice.kind,
    name: slice.name,
    resolved: slice.resolved,
    oneShot: wilsonInterval({ successes: slice.oneShot, trials: slice.resolved }, confidence),
    autonomous: wilsonInterval({ successes: slice.autonomous, trials: slice.resolved }, confidence),
    gap: wilsonInterval({ successes: rescuedRuns, trials: slice.resolved }, confidence),
    rescued,
    repeated,
    status,
    sentence: `${slice.kind} ${slice.name}: ${sentences[status]}`,
  };
}
